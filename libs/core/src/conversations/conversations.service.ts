import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../access/viewer';
import { ContactsService } from '../contacts/contacts.service';
import { Clock } from '../core-options';
import { DomainError } from '../errors/domain-error';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { TasksService } from '../tasks/tasks.service';
import { TimelineService } from '../timeline/timeline.service';

export type MessageChannel = 'email' | 'telegram';

export interface SendMessage {
  contactId: string;
  /** Default: the channel the client last wrote from, else the identity the contact has (Telegram, then email). */
  channel?: MessageChannel;
  text: string;
  /** Email only; default "Re: <subject of the thread>". */
  subject?: string | null;
  html?: string | null;
}

export interface SentMessage {
  activityId: string;
  channel: MessageChannel;
  outboxId: string;
  dealId: string | null;
}

interface ThreadRow {
  subject: string | null;
  message_id: string | null;
  references: string[] | null;
  mailbox_id: string | null;
}

/**
 * A manager's message to a client, whatever the channel: the timeline entry, the outbox row the
 * channel delivers, and the "outbound contact" that completes the callback task — one transaction.
 * Channels report back with markSent / markFailed.
 */
@Injectable()
export class ConversationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly contacts: ContactsService,
    private readonly outbox: OutboxService,
    private readonly tasks: TasksService,
    private readonly timeline: TimelineService,
  ) {}

  async send(viewer: Viewer, input: SendMessage): Promise<SentMessage> {
    const text = input.text.trim();
    if (!text) throw DomainError.invalid('the message is empty', { text: 'must not be empty' });
    return this.db.transaction(async (em) => {
      await this.contacts.assertVisible(viewer, input.contactId, em);
      // A contact merged into another is written to as the survivor.
      const [contact] = await em.query(`SELECT COALESCE(merged_into_id, id) AS id FROM contact WHERE id = $1`, [input.contactId]);
      const contactId: string = contact.id;
      const channel = input.channel ?? (await this.preferredChannel(em, contactId));
      const address = await this.addressOf(em, contactId, channel);
      const [deal] = await em.query(`SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1`, [contactId]);
      const dealId: string | null = deal?.id ?? null;
      const activityId = randomUUID();
      const outboxId = randomUUID();
      const at = this.clock.now();

      let payload: Record<string, unknown>;
      let activityPayload: Record<string, unknown>;
      if (channel === 'telegram') {
        payload = { activityId, contactId, dealId, chatId: address, text };
        activityPayload = { text, to: address, status: 'queued', outboxId, details: {} };
      } else {
        const thread = await this.emailThread(em, contactId);
        const subject = input.subject?.trim() || (thread?.subject ? replySubject(thread.subject) : 'Your enquiry');
        const references = [...(thread?.references ?? []), ...(thread?.message_id ? [thread.message_id] : [])].filter(uniqueStrings());
        payload = {
          activityId,
          contactId,
          dealId,
          to: address,
          subject,
          text,
          ...(input.html ? { html: input.html } : {}),
          ...(thread?.message_id ? { inReplyTo: thread.message_id } : {}),
          references,
          ...(thread?.mailbox_id ? { mailboxId: thread.mailbox_id } : {}),
        };
        activityPayload = { text, subject, to: address, status: 'queued', outboxId, details: { inReplyTo: thread?.message_id ?? null, references, mailboxId: thread?.mailbox_id ?? null } };
      }
      await this.timeline.record(em, { id: activityId, contactId, dealId, kind: 'message_out', channel, actorId: viewer.id, occurredAt: at, payload: activityPayload });
      await em.query(`INSERT INTO outbox (id, kind, payload, next_attempt_at) VALUES ($1, $2, $3, now())`, [
        outboxId,
        channel === 'telegram' ? OutboxKind.MessageTelegram : OutboxKind.MessageEmail,
        JSON.stringify(payload),
      ]);
      await em.query(`UPDATE contact SET last_activity_at = GREATEST(last_activity_at, $2), updated_at = now() WHERE id = $1`, [contactId, at]);
      await this.tasks.recordOutboundContact(em, { contactId, channel, at, actorId: viewer.id });
      return { activityId, channel, outboxId, dealId };
    });
  }

  /** The channel delivered the message. `details` (e.g. the Message-ID it sent) are merged into the entry's details. */
  async markSent(activityId: string, sent: { providerMessageId?: string | null; details?: Record<string, unknown> } = {}): Promise<void> {
    const patch = { status: 'sent', sentAt: new Date().toISOString(), ...(sent.providerMessageId ? { providerMessageId: sent.providerMessageId } : {}) };
    await this.db.query(
      `UPDATE activity
          SET payload = (payload || $2::jsonb) - 'error'
                        || jsonb_build_object('details', COALESCE(payload->'details', '{}'::jsonb) || $3::jsonb)
        WHERE id = $1 AND kind = 'message_out'`,
      [activityId, JSON.stringify(patch), JSON.stringify(sent.details ?? {})],
    );
  }

  /** Delivery gave up (dead outbox row, client blocked the bot, address rejected): the timeline says so. */
  async markFailed(activityId: string, error: string): Promise<void> {
    await this.db.query(`UPDATE activity SET payload = payload || $2::jsonb WHERE id = $1 AND kind = 'message_out'`, [
      activityId,
      JSON.stringify({ status: 'failed', error: error.slice(0, 1000), failedAt: new Date().toISOString() }),
    ]);
  }

  /**
   * Sends a failed message of this contact's timeline again (its outbox row, fresh attempts); the entry
   * reads "queued" until the channel reports back. Only a failed one: a sent message is never sent twice.
   */
  async retry(viewer: Viewer, contactId: string, activityId: string): Promise<{ activityId: string; status: 'queued' }> {
    await this.contacts.assertVisible(viewer, contactId);
    const [entry] = await this.db.query(
      `SELECT payload->>'status' AS status, payload->>'outboxId' AS outbox_id FROM activity
        WHERE id = $1 AND kind = 'message_out' AND contact_id IN (SELECT id FROM contact WHERE id = $2 OR merged_into_id = $2)`,
      [activityId, contactId],
    );
    if (!entry) throw DomainError.notFound('message');
    if (entry.status !== 'failed' || !entry.outbox_id) throw DomainError.conflict(`only a failed message can be sent again (this one is ${entry.status ?? 'unknown'})`);
    await this.db.transaction(async (em) => {
      await this.outbox.retry(entry.outbox_id, em);
      await em.query(`UPDATE activity SET payload = (payload - 'error' - 'failedAt') || $2::jsonb WHERE id = $1`, [activityId, JSON.stringify({ status: 'queued', retriedAt: this.clock.now().toISOString() })]);
    });
    return { activityId, status: 'queued' };
  }

  private async preferredChannel(em: EntityManager, contactId: string): Promise<MessageChannel> {
    const [last] = await em.query(
      `SELECT channel FROM activity
        WHERE contact_id = $1 AND channel IN ('email', 'telegram') AND kind IN ('lead', 'repeat_lead', 'message_in')
        ORDER BY occurred_at DESC, created_at DESC LIMIT 1`,
      [contactId],
    );
    if (last) return last.channel;
    const kinds: Array<{ kind: string }> = await em.query(`SELECT DISTINCT kind FROM contact_identity WHERE contact_id = $1 AND kind IN ('telegram', 'email')`, [contactId]);
    if (kinds.some((k) => k.kind === 'telegram')) return 'telegram';
    if (kinds.some((k) => k.kind === 'email')) return 'email';
    throw DomainError.invalid('the contact has no email address or Telegram account to write to', { channel: 'no email or Telegram identity' });
  }

  private async addressOf(em: EntityManager, contactId: string, channel: MessageChannel): Promise<string> {
    // The identity the client last wrote from wins over older ones.
    const [identity] = await em.query(
      `SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 1`,
      [contactId, channel],
    );
    if (!identity) throw DomainError.invalid(`the contact has no ${channel === 'email' ? 'email address' : 'Telegram account'}`, { channel: `no ${channel} identity` });
    return identity.value;
  }

  /** The latest email of the conversation (either direction) that carries a Message-ID: what a reply threads onto. */
  private async emailThread(em: EntityManager, contactId: string): Promise<ThreadRow | null> {
    const [row] = await em.query(
      `SELECT COALESCE(payload->>'subject', NULL) AS subject,
              payload->'details'->>'messageId' AS message_id,
              CASE WHEN jsonb_typeof(payload->'details'->'references') = 'array'
                   THEN ARRAY(SELECT jsonb_array_elements_text(payload->'details'->'references')) END AS "references",
              payload->'details'->>'mailboxId' AS mailbox_id
         FROM activity
        WHERE contact_id = $1 AND channel = 'email' AND kind IN ('lead', 'repeat_lead', 'message_in', 'message_out')
          AND payload->'details'->>'messageId' IS NOT NULL
        ORDER BY occurred_at DESC, created_at DESC LIMIT 1`,
      [contactId],
    );
    return row ?? null;
  }
}

function replySubject(subject: string): string {
  return /^\s*(re|ответ|на)\s*:/i.test(subject) ? subject.trim() : `Re: ${subject.trim()}`;
}

function uniqueStrings() {
  const seen = new Set<string>();
  return (v: string) => !!v && !seen.has(v) && !!seen.add(v);
}
