import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ManagerRole = 'admin' | 'manager';

@Entity('manager')
export class Manager {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) role: ManagerRole;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text', unique: true }) email: string;
  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false }) passwordHash: string | null;
  /** E.164, used for call forwarding. */
  @Column({ type: 'text', nullable: true }) phone: string | null;
  /** Inactive managers (left the company) get nothing, not even sticky contacts. */
  @Column({ type: 'boolean', default: true }) active: boolean;
  /** The pause switch: a paused manager gets no new leads (not even sticky contacts' new deals). */
  @Column({ type: 'boolean', default: true }) available: boolean;
  /** Weekly shift in `timezone` (BUSINESS_HOURS syntax, see shift-schedule.ts); off shift = no new leads. Null = no schedule. */
  @Column({ type: 'text', nullable: true }) shift: string | null;
  /** Max open deals for round robin; null = no limit. */
  @Column({ type: 'integer', nullable: true }) capacity: number | null;
  @Column({ type: 'integer', default: 1 }) weight: number;
  @Column({ type: 'text', default: 'UTC' }) timezone: string;
  /** Bot and notice language; null = the hub's default (TELEGRAM_DEFAULT_LOCALE). */
  @Column({ type: 'text', nullable: true }) locale: string | null;
  /** Gets new leads (round robin, queue): default true for managers, false for admins. */
  @Column({ name: 'receives_leads', type: 'boolean', default: true }) receivesLeads: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
