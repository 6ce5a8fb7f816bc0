import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type TaskKind = 'callback' | 'follow_up' | 'custom';
export type TaskStatus = 'open' | 'done' | 'cancelled';

@Entity('task')
export class Task {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'deal_id', type: 'uuid' }) dealId: string;
  @Column({ name: 'contact_id', type: 'uuid' }) contactId: string;
  @Column({ name: 'assignee_id', type: 'uuid', nullable: true }) assigneeId: string | null;
  @Column({ type: 'text' }) kind: TaskKind;
  @Column({ type: 'text' }) title: string;
  @Column({ name: 'due_at', type: 'timestamptz' }) dueAt: Date;
  @Column({ type: 'text', default: 'open' }) status: TaskStatus;
  /** Precomputed SLA instants (business time), see sla/sla-schedule.ts. */
  @Column({ name: 'remind_at', type: 'timestamptz', nullable: true }) remindAt: Date | null;
  @Column({ name: 'escalate_at', type: 'timestamptz', nullable: true }) escalateAt: Date | null;
  @Column({ name: 'reminded_at', type: 'timestamptz', nullable: true }) remindedAt: Date | null;
  @Column({ name: 'overdue_at', type: 'timestamptz', nullable: true }) overdueAt: Date | null;
  @Column({ name: 'escalated_at', type: 'timestamptz', nullable: true }) escalatedAt: Date | null;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt: Date | null;
  @Column({ name: 'completed_by_id', type: 'uuid', nullable: true }) completedById: string | null;
  /** Set on tasks made by a stage rule: leaving that stage cancels them. */
  @Column({ name: 'stage_id', type: 'uuid', nullable: true }) stageId: string | null;
  @Column({ name: 'stage_rule_id', type: 'uuid', nullable: true }) stageRuleId: string | null;
  /** Owner tasks move with the deal's owner; tasks for admins or a named manager stay with them. */
  @Column({ name: 'follows_owner', type: 'boolean', default: true }) followsOwner: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
