import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ActivityKind =
  | 'lead'
  // A deal's figures changed by hand (amount, currency).
  | 'deal_updated'
  | 'repeat_lead'
  | 'message_in'
  | 'message_out'
  // A delivery failure reported after a message_out was sent (an email bounce).
  | 'message_bounced'
  | 'call_in'
  | 'call_out'
  | 'call_missed'
  | 'recording'
  | 'task_created'
  | 'task_done'
  | 'task_overdue'
  | 'task_escalated'
  | 'task_cancelled'
  | 'assigned'
  | 'unassigned'
  | 'stage_changed'
  | 'identity_conflict'
  | 'identity_added'
  | 'merged'
  | 'deal_merged'
  | 'note';

/** One entry of a contact's timeline. `payload` holds what the kind needs to be shown. */
@Entity('activity')
export class Activity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'contact_id', type: 'uuid' }) contactId: string;
  @Column({ name: 'deal_id', type: 'uuid', nullable: true }) dealId: string | null;
  @Column({ type: 'text' }) kind: ActivityKind;
  @Column({ type: 'text', nullable: true }) channel: string | null;
  /** Manager who did it; null for the system or the client. */
  @Column({ name: 'actor_id', type: 'uuid', nullable: true }) actorId: string | null;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt: Date;
  @Column({ type: 'jsonb', default: {} }) payload: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
