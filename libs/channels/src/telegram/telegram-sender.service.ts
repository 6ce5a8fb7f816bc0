import { ConversationsService, RetryLater, type ChannelDelivery, type DeliveryOutcome, type StoredAttachment } from '@leadline/core';
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
 * Delivers managers' messages to clients through the client bot (the Telegram channel's `deliver`),
 * within Telegram's limits: files are uploaded with the method of their kind, a text over 4,096
 * characters goes as several messages cut at sensible boundaries. Each delivered part is recorded on
 * the activity, so a retry after a failure continues where it stopped instead of repeating parts. A
 * client who blocked the bot (403) or a chat Telegram rejects (400) is final (outcome 'failed': the
 * core marks the entry and tells the author); anything else throws and is retried.
 */
@Injectable()
export class TelegramSenderService {
  private readonly log = new Logger('TelegramSender');
  readonly gate = new RateGate();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly conversations: ConversationsService,
  ) {}

  async deliver(delivery: ChannelDelivery): Promise<DeliveryOutcome> {
    const p = delivery.payload;
    const [activity]: Array<{ sent_parts: number | null; message_ids: number[] | null }> = await this.db.query(
      `SELECT (payload->'details'->>'sentParts')::int AS sent_parts, payload->'details'->'messageIds' AS message_ids FROM activity WHERE id = $1`,
      [p.activityId],
    );
    const parts = plan(p.text, p.attachments ? await this.conversations.attachmentsOf(p.activityId) : []);
    const ids: number[] = Array.isArray(activity?.message_ids) ? activity.message_ids : [];
    let chatId: number | null = null;
    try {
      for (let i = activity?.sent_parts ?? 0; i < parts.length; i++) {
        const sent = await this.send(p.to, parts[i]);
        chatId = sent.chat.id;
        ids.push(sent.message_id);
        await this.db.query(
          `UPDATE activity SET payload = jsonb_set(payload, '{details}', COALESCE(payload->'details', '{}'::jsonb) || jsonb_build_object('sentParts', $2::int, 'messageIds', $3::jsonb)) WHERE id = $1`,
          [p.activityId, i + 1, JSON.stringify(ids)],
        );
      }
      return { status: 'sent', providerMessageId: String(ids[0]), details: { chatId: chatId ?? Number(p.to), messageId: ids[0], messageIds: ids, parts: parts.length } };
    } catch (err) {
      if (!(err instanceof PermanentFailure)) throw err;
      const partial = ids.length ? ` (${ids.length} of ${parts.length} parts were delivered)` : '';
      const error = `${err.message}${partial}`;
      this.log.warn({ msg: 'telegram message not delivered', activityId: p.activityId, reason: err.reason, error });
      return { status: 'failed', reason: err.reason, error: err.reason === 'blocked' ? `the client blocked the bot (${error})` : error };
    }
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
