import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { IdentityKind } from '../identity/identity-kind';
import type { Contact } from './contact.entity';

/**
 * One way to reach a person: phone (E.164), email (lowercased), or an account on a channel (kind = the
 * channel's token such as 'telegram', value = its id as the channel gives it). Unique across contacts.
 */
@Entity('contact_identity')
@Unique('uq_contact_identity_kind_value', ['kind', 'value'])
export class ContactIdentity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'contact_id', type: 'uuid' }) contactId: string;
  @ManyToOne('Contact', 'identities', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id' })
  contact?: Contact;
  @Column({ type: 'text' }) kind: IdentityKind;
  @Column({ type: 'text' }) value: string;
  /** As the person typed it, or what the channel keeps beside the id (the Telegram username). */
  @Column({ type: 'jsonb', default: {} }) details: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
