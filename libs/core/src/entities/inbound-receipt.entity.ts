import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type ReceiptStatus = 'processed' | 'failed';

/** Idempotency ledger of every inbound event, and the parking place of payloads we failed to process. */
@Entity('inbound_receipt')
@Unique('uq_inbound_receipt_channel_external', ['channel', 'externalId'])
export class InboundReceipt {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) channel: string;
  @Column({ name: 'external_id', type: 'text' }) externalId: string;
  /** Content key for "same submission within a short window" when the sender gave no id. */
  @Column({ name: 'dedupe_key', type: 'text', nullable: true }) dedupeKey: string | null;
  @Column({ type: 'text' }) status: ReceiptStatus;
  /** The payload as JSON text (not jsonb: that refuses NUL and lone surrogates, which a failed receipt must keep). */
  @Column({ type: 'text', nullable: true }) raw: string | null;
  @Column({ type: 'jsonb', nullable: true }) result: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'integer', default: 1 }) attempts: number;
  @Column({ name: 'received_at', type: 'timestamptz' }) receivedAt: Date;
  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true }) processedAt: Date | null;
}
