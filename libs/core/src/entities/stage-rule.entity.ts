import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type StageRuleTarget = 'owner' | 'admins' | 'manager';
export type StageRuleDueUnit = 'minutes' | 'hours';

/** "On entering this stage create task `title` for `assignTo`, due in `dueIn` `dueUnit` of business time." */
@Entity('stage_rule')
export class StageRule {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'stage_id', type: 'uuid' }) stageId: string;
  @Column({ type: 'text' }) title: string;
  @Column({ name: 'assign_to', type: 'text' }) assignTo: StageRuleTarget;
  @Column({ name: 'manager_id', type: 'uuid', nullable: true }) managerId: string | null;
  @Column({ name: 'due_in', type: 'integer' }) dueIn: number;
  @Column({ name: 'due_unit', type: 'text' }) dueUnit: StageRuleDueUnit;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
