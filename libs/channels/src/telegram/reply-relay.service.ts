import { CALL_LAUNCHER, ConversationsService, DomainError, type CallLauncher } from '@leadline/core';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { BoundManager } from './manager-directory';
import { TelegramBots } from './telegram-bots';
import type { TgCallbackQuery } from './telegram.mapper';
import { TEXTS } from './telegram.texts';

/** What a manager does to a client from Telegram: answer by replying, or call. */
@Injectable()
export class ReplyRelayService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly conversations: ConversationsService,
    @Optional() @Inject(CALL_LAUNCHER) private readonly launcher: CallLauncher | null,
  ) {}

  /**
   * A Telegram reply to a forwarded client message or a lead card: goes to the client through the
   * channel the client wrote from (Telegram or email), via the outbox; on the timeline as outbound.
   */
  async relay(manager: BoundManager, chatId: number, repliedMessageId: number, text: string): Promise<'sent' | 'unknown' | { error: string }> {
    const [target] = await this.db.query(
      `SELECT tm.contact_id, tm.channel, c.merged_into_id FROM telegram_manager_message tm JOIN contact c ON c.id = tm.contact_id
        WHERE tm.chat_id = $1 AND tm.message_id = $2`,
      [String(chatId), repliedMessageId],
    );
    if (!target) return 'unknown';
    const channel = target.channel === 'telegram' || target.channel === 'email' ? target.channel : undefined;
    try {
      await this.conversations.send(manager, { contactId: target.merged_into_id ?? target.contact_id, channel, text });
      return 'sent';
    } catch (err) {
      if (err instanceof DomainError) return { error: err.message };
      throw err;
    }
  }

  /** The card's Call button: click-to-call through telephony when it is there, else the number to tap. */
  async call(manager: BoundManager, q: TgCallbackQuery, contactId: string): Promise<void> {
    const t = TEXTS[manager.locale];
    const api = this.bots.manager.api;
    if (this.launcher) {
      try {
        await this.launcher.start(manager, contactId);
        await api.answerCbQuery(q.id, t.card.calling);
      } catch (err) {
        await api.answerCbQuery(q.id, (err as Error).message.slice(0, 200), { show_alert: true });
      }
      return;
    }
    const [phone] = await this.db.query(`SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'phone' ORDER BY created_at LIMIT 1`, [contactId]);
    await api.answerCbQuery(q.id);
    // Telegram shows a bare +7… number as a tappable phone link (its own tel: handling).
    await api.sendMessage(q.message!.chat.id, phone ? t.card.callNumber(phone.value) : t.card.noPhone);
  }
}
