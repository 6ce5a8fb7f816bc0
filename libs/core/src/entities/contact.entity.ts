import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ContactIdentity } from './contact-identity.entity';

@Entity('contact')
export class Contact {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', nullable: true }) name: string | null;
  @Column({ name: 'owner_id', type: 'uuid', nullable: true }) ownerId: string | null;
  /** Set when this contact was merged into another; all history moved there. */
  @Column({ name: 'merged_into_id', type: 'uuid', nullable: true }) mergedIntoId: string | null;
  /** Other names the person is known by (an absorbed contact's name after a merge): searchable. */
  @Column({ type: 'text', array: true, default: () => "'{}'" }) aliases: string[];
  @Column({ name: 'last_activity_at', type: 'timestamptz' }) lastActivityAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @OneToMany('ContactIdentity', 'contact') identities?: ContactIdentity[];
}
