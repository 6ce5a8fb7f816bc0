import { ConversationsService, OutboxKind, OutboxService, RetryLater, type OutboxDelivery } from '@leadline/core';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { RateGate } from './rate-gate';
import { TelegramBots, telegramErrorCode } from './telegram-bots';

/** Longest a delivery waits in process for its slot; longer waits go back to the outbox (RetryLater). */
const MAX_WAIT_MS = 1_000;
const TEXT_LIMIT = 4096;

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
 * within Telegram's limits. A client who blocked the bot (403) or a chat Telegram rejects (400) is
 * final: the timeline entry is marked failed and the sender gets a notice; anything else retries.
 */
@Injectable()
export class TelegramSenderService {
  private readonly log = new Logger('TelegramSender');
  readonly gate = new RateGate();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly conversations: ConversationsService,
    private readonly outbox: OutboxService,
  ) {}

  async handle(delivery: OutboxDelivery): Promise<void> {
    const p = delivery.payload as { activityId: string; contactId: string; dealId: string | null; chatId: string; text: string };
    const [activity] = await this.db.query(`SELECT payload->>'status' AS status FROM activity WHERE id = $1`, [p.activityId]);
    // Sent already: a retry after a crash between the send and marking the row done.
    if (activity?.status === 'sent') return;
    try {
      const sent = await this.send(String(p.chatId), p.text);
      await this.conversations.markSent(p.activityId, { providerMessageId: String(sent.message_id), details: { chatId: sent.chat.id, messageId: sent.message_id } });
    } catch (err) {
      if (!(err instanceof PermanentFailure)) throw err;
      await this.fail(p, err.reason, err.message);
    }
  }

  /** The outbox gave up (retries exhausted): say so on the timeline and to the sender. */
  async onDead(delivery: OutboxDelivery, lastError: string): Promise<void> {
    const p = delivery.payload as { activityId: string; contactId: string; dealId: string | null };
    await this.fail(p, 'failed', lastError);
  }

  /**
   * A 429 (and a chat still held after one) comes back from the bot as RetryLater: the outbox row
   * is due again after exactly `retry_after`, and this delivery's slot is free for other chats.
   */
  private async send(chatId: string, text: string) {
    const wait = this.gate.reserve(chatId, MAX_WAIT_MS);
    if (wait === null) throw new RetryLater(MAX_WAIT_MS, `Telegram rate limit for chat ${chatId}: no free slot within ${MAX_WAIT_MS} ms`);
    if (wait > 0) await sleep(wait);
    try {
      return await this.bots.client.api.sendMessage(chatId, text.slice(0, TEXT_LIMIT), { link_preview_options: { is_disabled: true } });
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
