import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** What the visitor is told after a plain HTML post, per language (empty = the built-in text). */
export interface FormThankYou {
  en?: string;
  ru?: string;
}

/** The lead fields an incoming form field can be mapped to. */
export const FORM_FIELD_TARGETS = ['name', 'phone', 'email', 'message', 'company'] as const;
export type FormFieldTarget = (typeof FORM_FIELD_TARGETS)[number];


@Entity('web_form')
export class WebForm {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Public key in the endpoint URL; not a secret, but unguessable so strangers cannot spam arbitrary forms. */
  @Column({ type: 'text', unique: true }) key: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'boolean', default: true }) active: boolean;
  /** Origins allowed to post from a browser (CORS and plain form posts). Empty = any origin. */
  @Column({ name: 'allowed_origins', type: 'jsonb', default: [] }) allowedOrigins: string[];
  /** A hidden field humans leave empty; a filled one marks a bot. */
  @Column({ name: 'honeypot_field', type: 'text', default: '_gotcha' }) honeypotField: string;
  /** Posts per minute per client IP. */
  @Column({ name: 'rate_limit_per_minute', type: 'integer', default: 10 }) rateLimitPerMinute: number;
  /** Where a plain HTML post sends the visitor (303); null = the built-in thank-you page. */
  @Column({ name: 'success_url', type: 'text', nullable: true }) successUrl: string | null;
  @Column({ name: 'thank_you', type: 'jsonb', default: {} }) thankYou: FormThankYou;
  /** Incoming field name (lower case) → lead field, for site builders whose names we do not know. */
  @Column({ name: 'field_map', type: 'jsonb', default: {} }) fieldMap: Record<string, FormFieldTarget>;
  /** Embed-snippet posts filled faster than this are kept as spam receipts, not leads. 0 = off. */
  @Column({ name: 'min_fill_seconds', type: 'integer', default: 2 }) minFillSeconds: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
