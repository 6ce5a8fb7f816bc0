import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { StageKind } from '../deals/pipeline';

/** One stage of a pipeline. `key` never changes (deal.stage holds it); won and lost close a deal. */
@Entity('stage')
export class Stage {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'pipeline_id', type: 'uuid' }) pipelineId: string;
  @Column({ type: 'text' }) key: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'integer' }) position: number;
  @Column({ type: 'text' }) kind: StageKind;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
