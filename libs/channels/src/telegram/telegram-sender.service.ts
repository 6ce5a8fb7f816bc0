import { ConversationsService, MessageUpdates, OutboxKind, OutboxService, RetryLater, type OutboxDelivery, type StoredAttachment } from '@leadline/core';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { RateGate } from './rate-gate';
import { TelegramBots, telegramErrorCode } from './telegram-bots';
import { sendFile } from './telegram-files';
import { CAPTION_LIMIT, splitText } from './text-split';

/**
 * Longest a delivery waits in process for its slot; longer waits go back to the outbox (RetryLater).
 * A little over the 1 s per-chat spacing (plus the 30/s slice), so the parts of one long message go
 * out one after another without leaving the worker, while a crowded chat frees the slot for others.
 */
const MAX_WAIT_MS = 1_500;

/** A 'message.telegram' outbox row (ConversationsService.send). `attachments`: how many files are stored with the activity. */
interface TelegramMessagePayload {
  activityId: string;
  contactId: string;
  dealId: string | null;
  chatId: string;
  text: string;
  attachments?: number;
}

/** One Bot API message of a manager's message: a file (with the text as caption when it fits) or a piece of text. */
type Part = { file: StoredAttachment; caption?: string } | { text: string };

/** Telegram said no for good: the message will never go through as it is. */
class PermanentFailure extends Error {
  constructor(
    readonly reason: 'blocked' | 'rejected',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Delivers managers' messages to clients through the client bot ('message.telegram' outbox rows),
 * within Telegram's limits: files are uploaded with the method of their kind, a text over 4,096
 * characters goes as several messages cut at sensible boundaries. Each delivered part is recorded on
 * the activity, so a retry after a failure continues where it stopped instead of repeating parts. A
 * client who blocked the bot (403) or a chat Telegram rejects (400) is final: the timeline entry is
 * marked failed and the sender gets a notice; anything else retries.
 */
@Injectable()
export class TelegramSenderService {
  private readonly log = new Logger('TelegramSender');
  readonly gate = new RateGate();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly conversations: ConversationsService,
    private readonly messages: MessageUpdates,
    private readonly outbox: OutboxService,
  ) {}

  async handle(delivery: OutboxDelivery): Promise<void> {
    const p = delivery.payload as unknown as TelegramMessagePayload;
    const [activity]: Array<{ status: string | null; sent_parts: number | null; message_ids: number[] | null }> = await this.db.query(
      `SELECT payload->>'status' AS status, (payload->'details'->>'sentParts')::int AS sent_parts, payload->'details'->'messageIds' AS message_ids FROM activity WHERE id = $1`,
      [p.activityId],
    );
    // Sent already: a retry after a crash between the send and marking the row done.
    if (activity?.status === 'sent') return;
    const parts = plan(p.text, p.attachments ? await this.conversations.attachmentsOf(p.activityId) : []);
    const ids: number[] = Array.isArray(activity?.message_ids) ? activity.message_ids : [];
    let chatId: number | null = null;
    try {
      for (let i = activity?.sent_parts ?? 0; i < parts.length; i++) {
        const sent = await this.send(String(p.chatId), parts[i]);
        chatId = sent.chat.id;
        ids.push(sent.message_id);
        await this.messages.recordDeliveryProgress(p.activityId, { sentParts: i + 1, messageIds: ids });
      }
      await this.conversations.markSent(p.activityId, {
        providerMessageId: String(ids[0]),
        details: { chatId: chatId ?? Number(p.chatId), messageId: ids[0], messageIds: ids, parts: parts.length },
      });
    } catch (err) {
      if (!(err instanceof PermanentFailure)) throw err;
      const partial = ids.length ? ` (${ids.length} of ${parts.length} parts were delivered)` : '';
      await this.fail(p, err.reason, `${err.message}${partial}`);
    }
  }

  /** The outbox gave up (retries exhausted): say so on the timeline and to the sender. */
  async onDead(delivery: OutboxDelivery, lastError: string): Promise<void> {
    const p = delivery.payload as unknown as TelegramMessagePayload;
    await this.fail(p, 'failed', lastError);
  }

  /**
   * A 429 (and a chat still held after one) comes back from the bot as RetryLater: the outbox row
   * is due again after exactly `retry_after`, and this delivery's slot is free for other chats. The
   * parts already delivered are recorded, so the retry goes on from the part that was held.
   */
  private async send(chatId: string, part: Part): Promise<{ message_id: number; chat: { id: number } }> {
    const wait = this.gate.reserve(chatId, MAX_WAIT_MS);
    if (wait === null) throw new RetryLater(MAX_WAIT_MS, `Telegram rate limit for chat ${chatId}: no free slot within ${MAX_WAIT_MS} ms`);
    if (wait > 0) await sleep(wait);
    try {
      if ('text' in part) return await this.bots.client.api.sendMessage(chatId, part.text, { link_preview_options: { is_disabled: true } });
      return await sendFile(this.bots.client, chatId, { kind: part.file.kind, content: part.file.content, fileName: part.file.fileName }, { caption: part.caption });
    } catch (err) {
      const code = telegramErrorCode(err);
      const description = this.bots.describe(err);
      if (code === 403) throw new PermanentFailure('blocked', description);
      if (code === 400) throw new PermanentFailure('rejected', description);
      throw err;
    }
  }

  private async fail(p: { activityId: string; contactId: string; dealId: string | null }, reason: 'blocked' | 'rejected' | 'failed', error: string): Promise<void> {
    await this.conversations.markFailed(p.activityId, reason === 'blocked' ? `the client blocked the bot (${error})` : error);
    const [a] = await this.db.query(`SELECT actor_id FROM activity WHERE id = $1`, [p.activityId]);
    this.log.warn({ msg: 'telegram message not delivered', activityId: p.activityId, reason, error });
    if (!a?.actor_id) return;
    await this.outbox.enqueue(this.db.manager, {
      kind: OutboxKind.NotifyManager,
      payload: { event: 'message_failed', managerId: a.actor_id, contactId: p.contactId, dealId: p.dealId, activityId: p.activityId, channel: 'telegram', reason, error },
    });
  }
}

/**
 * The Bot API messages of one manager message: each file, then the text in parts of at most 4,096
 * characters. A single file that can carry a caption takes a text of up to 1,024 characters as its caption.
 */
export function plan(text: string, files: StoredAttachment[]): Part[] {
  const captionable = files.length === 1 && files[0].kind !== 'video_note' && text.length > 0 && text.length <= CAPTION_LIMIT;
  if (captionable) return [{ file: files[0], caption: text }];
  return [...files.map((file) => ({ file })), ...(text ? splitText(text).map((t) => ({ text: t })) : [])];
}
