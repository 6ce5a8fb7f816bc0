import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('web_form')
export class WebForm {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Public key in the endpoint URL; not a secret, but unguessable so strangers cannot spam arbitrary forms. */
  @Column({ type: 'text', unique: true }) key: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'boolean', default: true }) active: boolean;
  /** Origins allowed to post from a browser (CORS). Empty = server-to-server posts only. */
  @Column({ name: 'allowed_origins', type: 'jsonb', default: [] }) allowedOrigins: string[];
  /** A hidden field humans leave empty; a filled one marks a bot. */
  @Column({ name: 'honeypot_field', type: 'text', default: '_gotcha' }) honeypotField: string;
  /** Posts per minute per client IP. */
  @Column({ name: 'rate_limit_per_minute', type: 'integer', default: 10 }) rateLimitPerMinute: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
