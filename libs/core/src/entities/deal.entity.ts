import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export interface DealSource {
  formId?: string;
  formName?: string;
  utm?: Record<string, string>;
  referrer?: string;
  page?: string;
  campaign?: string;
  /** Ad click ids from the landing URL (gclid, yclid, fbclid). */
  clickIds?: Record<string, string>;
  /** The first page of the visit, where the visitor arrived. */
  landing?: string;
  /** A test submission (form preview): a real deal, left out of reports. */
  test?: boolean;
}

@Entity('deal')
export class Deal {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'contact_id', type: 'uuid' }) contactId: string;
  @Column({ name: 'owner_id', type: 'uuid', nullable: true }) ownerId: string | null;
  @Column({ type: 'text', nullable: true }) title: string | null;
  /** The key of the deal's stage (kept equal to stage_id's key). */
  @Column({ type: 'text', default: 'new' }) stage: string;
  @Column({ name: 'pipeline_id', type: 'uuid' }) pipelineId: string;
  @Column({ name: 'stage_id', type: 'uuid' }) stageId: string;
  @Column({ name: 'source_channel', type: 'text' }) sourceChannel: string;
  @Column({ type: 'jsonb', default: {} }) source: DealSource;
  @Column({ type: 'numeric', precision: 14, scale: 2, nullable: true }) amount: string | null;
  @Column({ name: 'lost_reason', type: 'text', nullable: true }) lostReason: string | null;
  @Column({ name: 'first_response_at', type: 'timestamptz', nullable: true }) firstResponseAt: Date | null;
  /** Closed because its contact was merged into a person with an open deal: that deal. */
  @Column({ name: 'merged_into_deal_id', type: 'uuid', nullable: true }) mergedIntoDealId: string | null;
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
