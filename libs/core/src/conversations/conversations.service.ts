import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../access/viewer';
import { ContactsService } from '../contacts/contacts.service';
import { Clock, CORE_OPTIONS, type CoreOptions } from '../core-options';
import { FRESH_THREAD_SUBJECT, languageOfText, type ClientLanguage } from './client-language';
import { returnedRows } from '../database/returned-rows';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { serviceWindow } from './service-window';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { TasksService } from '../tasks/tasks.service';
import { TimelineService } from '../timeline/timeline.service';

export type MessageChannel = 'email' | 'telegram' | 'whatsapp' | 'sms';

/** Channels that write to the client's phone number (WhatsApp through the Cloud API or Twilio, SMS through Twilio). */
const PHONE_CHANNELS: readonly string[] = ['whatsapp', 'sms'];

/** A file sent with a message (a manager's photo, document or voice relayed from the manager bot). */
export interface OutboundAttachment {
  kind: 'photo' | 'document' | 'voice' | 'audio' | 'video' | 'video_note';
  fileName: string | null;
  mimeType: string | null;
  content: Buffer;
}

/** A stored attachment as the delivering channel reads it. */
export interface StoredAttachment extends OutboundAttachment {
  position: number;
  size: number;
}

/**
 * Who wants to hear how delivery ended (e.g. the manager's Telegram message the reply came from). Opaque
 * to the core: it travels with the `message.delivery_result` outbox row to the channel that asked.
 */
export type DeliveryConfirmation = { via: string } & Record<string, string | number | null>;

export interface SendMessage {
  contactId: string;
  /** Default: the channel the client last wrote from, else the identity the contact has (Telegram, then email). */
  channel?: MessageChannel;
  /** May be empty when attachments are given. */
  text: string;
  attachments?: OutboundAttachment[];
  confirm?: DeliveryConfirmation;
  /** Email only; default "Re: <subject of the thread>". */
  subject?: string | null;
  html?: string | null;
  /**
   * WhatsApp only: an approved template (checked by the channel) with its body values; the only kind of
   * message WhatsApp takes outside the 24-hour window. `text` is then the rendered body, for the timeline.
   */
  template?: { name: string; language: string; params: string[] } | null;
}

export interface SentMessage {
  activityId: string;
  channel: MessageChannel;
  outboxId: string;
  dealId: string | null;
}

interface DeliveredRow {
  activity_id: string;
  contact_id: string;
  channel: string;
  actor_id: string | null;
  confirm: DeliveryConfirmation | null;
}

interface ThreadRow {
  subject: string | null;
  message_id: string | null;
  references: string[] | null;
  mailbox_id: string | null;
}

/**
 * A manager's message to a client, whatever the channel: the timeline entry (with its attachments) and
 * the outbox row the channel delivers — one transaction. Channels report back with markSent /
 * markFailed: only a delivered message is an "outbound contact" that completes the callback task and
 * records the first response (a client who blocked the bot was not answered), and whoever asked to be
 * told (`confirm`) gets a `message.delivery_result` outbox row either way.
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
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  /**
   * The language to write our own words to a client in: that of their latest words to us (a form's
   * message, an email, a chat message), else the hub's default.
   */
  private async clientLanguage(em: EntityManager, contactId: string): Promise<ClientLanguage> {
    const rows: Array<{ words: string | null }> = await em.query(
      `SELECT COALESCE(payload->>'text', payload->>'message', payload->>'subject') AS words FROM activity
        WHERE contact_id = $1 AND kind IN ('lead', 'repeat_lead', 'message_in') ORDER BY occurred_at DESC LIMIT 5`,
      [contactId],
    );
    for (const r of rows) {
      const lang = languageOfText(r.words);
      if (lang) return lang;
    }
    return this.options.defaultLocale ?? 'en';
  }

  async send(viewer: Viewer, input: SendMessage): Promise<SentMessage> {
    const text = input.text.trim();
    const attachments = input.attachments ?? [];
    if (!text && !attachments.length) throw DomainError.invalid('the message is empty', { text: 'must not be empty' });
    return this.db.transaction(async (em) => {
      await this.contacts.assertVisible(viewer, input.contactId, em);
      // A contact merged into another is written to as the survivor.
      const [contact] = await em.query(`SELECT COALESCE(merged_into_id, id) AS id FROM contact WHERE id = $1`, [input.contactId]);
      const contactId: string = contact.id;
      const channel = input.channel ?? (await this.preferredChannel(em, contactId));
      const address = await this.addressOf(em, contactId, channel);
      if (channel === 'whatsapp' && !input.template) {
        // WhatsApp takes free text only within 24 hours of the client's last message: say so before queueing.
        const window = serviceWindow(await this.lastInboundAt(em, contactId, channel), this.clock.now());
        if (!window.open) throw new DomainError(ErrorCode.Conflict, `${window.reason}`, { channel: 'window_closed' });
      }
      const [deal] = await em.query(`SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1`, [contactId]);
      const dealId: string | null = deal?.id ?? null;
      const activityId = randomUUID();
      const outboxId = randomUUID();
      const at = this.clock.now();

      let payload: Record<string, unknown>;
      let activityPayload: Record<string, unknown>;
      if (channel === 'telegram') {
        payload = { activityId, contactId, dealId, chatId: address, text, ...(attachments.length ? { attachments: attachments.length } : {}) };
        activityPayload = { text, to: address, status: 'queued', outboxId, details: {} };
      } else if (PHONE_CHANNELS.includes(channel)) {
        const template = channel === 'whatsapp' && input.template ? input.template : null;
        payload = { activityId, contactId, dealId, to: address, text, ...(attachments.length ? { attachments: attachments.length } : {}), ...(template ? { template } : {}) };
        activityPayload = { text, to: address, status: 'queued', outboxId, details: template ? { template } : {} };
      } else {
        const thread = await this.emailThread(em, contactId);
        const subject = input.subject?.trim() || (thread?.subject ? replySubject(thread.subject) : FRESH_THREAD_SUBJECT[await this.clientLanguage(em, contactId)]);
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
          ...(attachments.length ? { attachments: attachments.length } : {}),
        };
        activityPayload = { text, subject, to: address, status: 'queued', outboxId, details: { inReplyTo: thread?.message_id ?? null, references, mailboxId: thread?.mailbox_id ?? null } };
      }
      if (attachments.length) activityPayload.attachments = attachments.map((a, i) => ({ position: i, kind: a.kind, fileName: a.fileName, mimeType: a.mimeType, size: a.content.length }));
      if (input.confirm) activityPayload.confirm = input.confirm;
      await this.timeline.record(em, { id: activityId, contactId, dealId, kind: 'message_out', channel, actorId: viewer.id, occurredAt: at, payload: activityPayload });
      for (const [i, a] of attachments.entries()) {
        await em.query(`INSERT INTO message_attachment (activity_id, position, kind, file_name, mime_type, size, content) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          activityId,
          i,
          a.kind,
          a.fileName,
          a.mimeType,
          a.content.length,
          a.content,
        ]);
      }
      await em.query(`INSERT INTO outbox (id, kind, payload, next_attempt_at) VALUES ($1, $2, $3, now())`, [
        outboxId,
        channel === 'telegram' ? OutboxKind.MessageTelegram : channel === 'email' ? OutboxKind.MessageEmail : `message.${channel}`,
        JSON.stringify(payload),
      ]);
      await em.query(`UPDATE contact SET last_activity_at = GREATEST(last_activity_at, $2), updated_at = now() WHERE id = $1`, [contactId, at]);
      return { activityId, channel, outboxId, dealId };
    });
  }

  /**
   * The channel delivered the message. `details` (e.g. the Message-ID it sent) are merged into the entry's
   * details. The first time only (a retry after a crash reports again): the delivery completes the open
   * callback task and records the first response, at the delivery time, and the asker is told.
   */
  async markSent(activityId: string, sent: { providerMessageId?: string | null; details?: Record<string, unknown> } = {}): Promise<void> {
    await this.db.transaction(async (em) => {
      const at = this.clock.now();
      const patch = { status: 'sent', sentAt: at.toISOString(), ...(sent.providerMessageId ? { providerMessageId: sent.providerMessageId } : {}) };
      const [row] = await this.transition(em, activityId, 'sent', patch, sent.details ?? {});
      if (!row) return;
      if (row.channel === 'email' || row.channel === 'telegram') {
        await this.tasks.recordOutboundContact(em, { contactId: row.contact_id, channel: row.channel, at, actorId: row.actor_id });
      }
      await this.tellAsker(em, row, 'sent', null);
    });
  }

  /** Delivery gave up (dead outbox row, client blocked the bot, address rejected): the timeline says so, and the asker is told. */
  async markFailed(activityId: string, error: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const patch = { status: 'failed', error: error.slice(0, 1000), failedAt: this.clock.now().toISOString() };
      const [row] = await this.transition(em, activityId, 'failed', patch, {});
      if (row) await this.tellAsker(em, row, 'failed', patch.error);
    });
  }

  /** The files of a message, in order, for the channel delivering it. */
  async attachmentsOf(activityId: string): Promise<StoredAttachment[]> {
    const rows: Array<{ position: number; kind: OutboundAttachment['kind']; file_name: string | null; mime_type: string | null; size: number; content: Buffer }> = await this.db.query(
      `SELECT position, kind, file_name, mime_type, size, content FROM message_attachment WHERE activity_id = $1 ORDER BY position`,
      [activityId],
    );
    return rows.map((r) => ({ position: r.position, kind: r.kind, fileName: r.file_name, mimeType: r.mime_type, size: Number(r.size), content: Buffer.from(r.content) }));
  }

  /** Moves a message_out entry to `status` once; returns the row only when this call changed it. */
  private async transition(em: EntityManager, activityId: string, status: 'sent' | 'failed', patch: Record<string, unknown>, details: Record<string, unknown>): Promise<DeliveredRow[]> {
    const rows = await em.query(
      `UPDATE activity
          SET payload = (payload || $2::jsonb) - CASE WHEN $4 = 'sent' THEN 'error' ELSE '' END
                        || jsonb_build_object('details', COALESCE(payload->'details', '{}'::jsonb) || $3::jsonb)
        WHERE id = $1 AND kind = 'message_out' AND payload->>'status' IS DISTINCT FROM $4
       RETURNING id AS activity_id, contact_id, channel, actor_id, payload->'confirm' AS confirm`,
      [activityId, JSON.stringify(patch), JSON.stringify(details), status],
    );
    return returnedRows<DeliveredRow>(rows);
  }

  private async tellAsker(em: EntityManager, row: DeliveredRow, status: 'sent' | 'failed', error: string | null): Promise<void> {
    if (!row.confirm) return;
    await this.outbox.enqueue(em, {
      kind: OutboxKind.MessageDeliveryResult,
      payload: { activityId: row.activity_id, contactId: row.contact_id, channel: row.channel, status, error, confirm: row.confirm },
    });
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
        WHERE contact_id = $1 AND channel IN ('email', 'telegram', 'whatsapp', 'sms') AND kind IN ('lead', 'repeat_lead', 'message_in')
        ORDER BY occurred_at DESC, created_at DESC LIMIT 1`,
      [contactId],
    );
    if (last) return last.channel;
    const kinds: Array<{ kind: string }> = await em.query(`SELECT DISTINCT kind FROM contact_identity WHERE contact_id = $1 AND kind IN ('telegram', 'email')`, [contactId]);
    if (kinds.some((k) => k.kind === 'telegram')) return 'telegram';
    if (kinds.some((k) => k.kind === 'email')) return 'email';
    throw DomainError.invalid('the contact has no email address or Telegram account to write to', { channel: 'no email or Telegram identity' });
  }

  /** When the client last wrote on this channel (as the hub received it). */
  private async lastInboundAt(em: EntityManager, contactId: string, channel: MessageChannel): Promise<Date | null> {
    const [row]: Array<{ at: Date | string | null }> = await em.query(
      `SELECT max(occurred_at) AS at FROM activity WHERE contact_id = $1 AND channel = $2 AND kind IN ('lead', 'repeat_lead', 'message_in')`,
      [contactId, channel],
    );
    return row?.at ? new Date(row.at) : null;
  }

  private async addressOf(em: EntityManager, contactId: string, channel: MessageChannel): Promise<string> {
    if (PHONE_CHANNELS.includes(channel)) {
      // The number the client last wrote from on this channel, else their latest phone.
      const [wrote]: Array<{ phone: string | null }> = await em.query(
        `SELECT payload->'identities'->0->>'value' AS phone FROM activity
          WHERE contact_id = $1 AND channel = $2 AND kind IN ('lead', 'repeat_lead', 'message_in') AND payload->'identities'->0->>'kind' = 'phone'
          ORDER BY occurred_at DESC LIMIT 1`,
        [contactId, channel],
      );
      if (wrote?.phone) return wrote.phone;
      const [phone] = await em.query(`SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'phone' ORDER BY created_at DESC LIMIT 1`, [contactId]);
      if (!phone) throw DomainError.invalid('the contact has no phone number', { channel: 'no phone identity' });
      return phone.value;
    }
    // The identity the client last wrote from wins over older ones.
    const [identity] = await em.query(
      `SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 1`,
      [contactId, channel],
    );
    if (!identity) throw DomainError.invalid(`the contact has no ${channel === 'email' ? 'email address' : 'Telegram account'}`, { channel: `no ${channel} identity` });
    return identity.value;
  }

  /**
   * The latest email of the conversation (either direction) that carries a Message-ID: what a reply
   * threads onto. When that is a site-form notification (details.form), the client never saw it:
   * the reply starts a fresh thread to the client (no In-Reply-To, References or "Re:" of it), from
   * the mailbox it arrived in.
   */
  private async emailThread(em: EntityManager, contactId: string): Promise<ThreadRow | null> {
    const [row] = await em.query(
      `SELECT CASE WHEN payload->'details'->>'form' = 'true' THEN NULL ELSE payload->>'subject' END AS subject,
              CASE WHEN payload->'details'->>'form' = 'true' THEN NULL ELSE payload->'details'->>'messageId' END AS message_id,
              CASE WHEN payload->'details'->>'form' = 'true' THEN NULL
                   WHEN jsonb_typeof(payload->'details'->'references') = 'array'
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
