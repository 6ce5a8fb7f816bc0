import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../access/viewer';
import { touchContact } from '../contacts/contact-activity';
import { ContactsService } from '../contacts/contacts.service';
import { Clock, CORE_OPTIONS, type CoreOptions } from '../core-options';
import { clientLanguageOf, type ClientLanguage } from './client-language';
import { failureNotices } from './failure-notices';
import { returnedRows } from '../database/returned-rows';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import type { MessageSendPayload, MessageTemplate, ReplyPermission } from '../channels/channel-plugin';
import { ChannelRegistry, type ReplyingChannel } from '../channels/channel-registry';
import { TasksService } from '../tasks/tasks.service';
import { TimelineService } from '../timeline/timeline.service';

/** The name of a registered channel that can reply (ChannelRegistry). */
export type MessageChannel = string;

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
  /** Default: the replying channel the client last wrote from, else the first replying channel (by fallbackRank) the contact has an address on. */
  channel?: MessageChannel;
  /** May be empty when attachments are given. */
  text: string;
  attachments?: OutboundAttachment[];
  confirm?: DeliveryConfirmation;
  /** For channels with subjects (email: default "Re: <subject of the thread>"); others ignore it. */
  subject?: string | null;
  html?: string | null;
  /** A pre-approved template instead of free text (channels with `capabilities.templates`); `text` is its rendered preview. */
  template?: MessageTemplate | null;
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
  deal_id: string | null;
  channel: string;
  actor_id: string | null;
  confirm: DeliveryConfirmation | null;
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
    private readonly channels: ChannelRegistry,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  /** The language to write our own words to a client in (clientLanguageOf), else the hub's default. */
  private clientLanguage(em: EntityManager, contactId: string): Promise<ClientLanguage> {
    return clientLanguageOf(em, contactId, this.options.defaultLocale ?? 'en');
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
      const plugin = input.channel ? this.channels.replyingChannel(input.channel) : await this.preferredChannel(em, contactId);
      const channel = plugin.name;
      const template = input.template ?? null;
      if (template && !plugin.capabilities.templates) throw DomainError.invalid(`${channel} has no message templates`, { template: `${channel} sends no templates` });
      const address = await this.addressOf(em, contactId, plugin);
      // A template is what may go when free text may not (outside a reply window).
      const permission = template ? ({ ok: true } as const) : await this.permission(em, contactId, plugin);
      // The reason code travels as the `channel` field: the composer renders it in the reader's language.
      if (!permission.ok) throw new DomainError(ErrorCode.Conflict, `${channel} cannot take a message to this contact now (${permission.reason})`, { channel: permission.reason });
      const [deal] = await em.query(`SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1`, [contactId]);
      const dealId: string | null = deal?.id ?? null;
      const activityId = randomUUID();
      const outboxId = randomUUID();
      const at = this.clock.now();

      const composed = await plugin.outbound.compose({
        em,
        contactId,
        dealId,
        address,
        text,
        attachments: attachments.length,
        subject: input.subject?.trim() || null,
        html: input.html ?? null,
        template,
        clientLanguage: () => this.clientLanguage(em, contactId),
      });
      const payload: MessageSendPayload = {
        ...composed.payload,
        channel,
        activityId,
        contactId,
        dealId,
        to: address,
        text,
        ...(attachments.length ? { attachments: attachments.length } : {}),
      };
      const activityPayload: Record<string, unknown> = { ...composed.entry, text, to: address, status: 'queued', outboxId, details: composed.details ?? {} };
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
      await em.query(`INSERT INTO outbox (id, kind, payload, next_attempt_at) VALUES ($1, $2, $3, now())`, [outboxId, OutboxKind.MessageSend, JSON.stringify(payload)]);
      await touchContact(em, contactId, at);
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
      // A channel that reports delivery later answers the client when delivered (DeliveryStatusService), not here.
      if (!this.channels.get(row.channel)?.outbound?.answersOnDelivery) {
        await this.tasks.recordOutboundContact(em, { contactId: row.contact_id, channel: row.channel, at, actorId: row.actor_id });
      }
      await this.tellAsker(em, row, 'sent', null);
    });
  }

  /**
   * Delivery gave up (dead outbox row, client blocked the bot, address rejected): the timeline says so,
   * the asker is told, and with `notifyAuthor` the manager who wrote gets a 'message_failed' notice
   * with the `reason` code — once, however often the failure is reported.
   */
  async markFailed(activityId: string, error: string, failure: { reason?: string; notifyAuthor?: boolean } = {}): Promise<void> {
    await this.db.transaction(async (em) => {
      // The reason code is the timeline's state too (window_closed, undeliverable…), rendered in the reader's language.
      const patch = { status: 'failed', error: error.slice(0, 1000), failedAt: this.clock.now().toISOString(), ...(failure.reason ? { errorState: failure.reason } : {}) };
      const [row] = await this.transition(em, activityId, 'failed', patch, {});
      if (!row) return;
      await this.outbox.enqueue(
        em,
        ...failureNotices(
          { activityId, contactId: row.contact_id, dealId: row.deal_id, channel: row.channel, actorId: row.actor_id, confirm: row.confirm },
          { reason: failure.reason ?? 'failed', error: patch.error, notifyAuthor: !!failure.notifyAuthor },
        ),
      );
    });
  }

  /** Whether the entry was delivered already (a retry after a crash between the provider's answer and markSent). */
  async isSent(activityId: string): Promise<boolean> {
    const [row]: Array<{ status: string | null }> = await this.db.query(`SELECT payload->>'status' AS status FROM activity WHERE id = $1 AND kind = 'message_out'`, [activityId]);
    return row?.status === 'sent';
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
       RETURNING id AS activity_id, contact_id, deal_id, channel, actor_id, payload->'confirm' AS confirm`,
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
      await em.query(`UPDATE activity SET payload = (payload - 'error' - 'failedAt' - 'errorState' - 'errorCode') || $2::jsonb WHERE id = $1`, [activityId, JSON.stringify({ status: 'queued', retriedAt: this.clock.now().toISOString() })]);
    });
    return { activityId, status: 'queued' };
  }

  /**
   * Per replying channel the contact has an address on: whether a message may go now (canReply), for
   * the composer. In `fallbackRank` order; the first one is what `send` picks with no channel given only
   * when the client never wrote on a replying channel.
   */
  async replyOptions(viewer: Viewer, contactId: string): Promise<Array<{ channel: string; address: string } & ReplyPermission>> {
    await this.contacts.assertVisible(viewer, contactId);
    return this.db.transaction(async (em) => {
      const [contact] = await em.query(`SELECT COALESCE(merged_into_id, id) AS id FROM contact WHERE id = $1`, [contactId]);
      const out: Array<{ channel: string; address: string } & ReplyPermission> = [];
      for (const plugin of this.channels.replying()) {
        const address = await this.latestAddress(em, contact.id, plugin);
        if (address) out.push({ channel: plugin.name, address, ...(await this.permission(em, contact.id, plugin)) });
      }
      return out;
    });
  }

  private permission(em: EntityManager, contactId: string, plugin: ReplyingChannel): Promise<ReplyPermission> {
    return plugin.outbound.canReply ? plugin.outbound.canReply(em, contactId) : Promise.resolve({ ok: true });
  }

  /** The replying channel the client last wrote from, else the first (by fallbackRank) they have an address on. */
  private async preferredChannel(em: EntityManager, contactId: string): Promise<ReplyingChannel> {
    const replying = this.channels.replying();
    const [last]: Array<{ channel: string }> = await em.query(
      `SELECT channel FROM activity
        WHERE contact_id = $1 AND channel = ANY($2::text[]) AND kind IN ('lead', 'repeat_lead', 'message_in')
        ORDER BY occurred_at DESC, created_at DESC LIMIT 1`,
      [contactId, replying.map((p) => p.name)],
    );
    const lastUsed = last && replying.find((p) => p.name === last.channel);
    if (lastUsed) return lastUsed;
    const kinds: Array<{ kind: string }> = await em.query(`SELECT DISTINCT kind FROM contact_identity WHERE contact_id = $1`, [contactId]);
    const has = new Set(kinds.map((k) => k.kind));
    const reachable = replying.find((p) => p.outbound.addressKinds.some((k) => has.has(k)));
    if (reachable) return reachable;
    const names = replying.map((p) => p.name).join(', ');
    throw DomainError.invalid(`the contact has no address on any channel managers can write through (${names})`, { channel: `no identity for ${names}` });
  }

  private async addressOf(em: EntityManager, contactId: string, plugin: ReplyingChannel): Promise<string> {
    const address = await this.latestAddress(em, contactId, plugin);
    if (!address) throw DomainError.invalid(`the contact has no ${plugin.outbound.addressKinds.join(' or ')} identity to write to through ${plugin.name}`, { channel: `no ${plugin.name} identity` });
    return address;
  }

  /** The identity the client last wrote from wins over older ones. */
  private async latestAddress(em: EntityManager, contactId: string, plugin: ReplyingChannel): Promise<string | null> {
    const [identity]: Array<{ value: string }> = await em.query(
      `SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = ANY($2::text[]) ORDER BY created_at DESC LIMIT 1`,
      [contactId, [...plugin.outbound.addressKinds]],
    );
    return identity?.value ?? null;
  }
}
