import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { cardKeyboard, cardText, type LeadCardData } from './lead-card';
import type { BoundManager } from './manager-directory';
import { TelegramBots } from './telegram-bots';
import { TELEGRAM_OPTIONS, type TelegramOptions } from './telegram.options';
import { TEXTS } from './telegram.texts';

/** Draws lead cards in managers' chats and remembers which bot message shows which deal. */
@Injectable()
export class LeadCardsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    @Inject(TELEGRAM_OPTIONS) private readonly options: TelegramOptions,
  ) {}

  async load(dealId: string, timezone: string): Promise<LeadCardData | null> {
    const [row] = await this.db.query(
      `SELECT d.id, d.contact_id, d.stage, d.lost_reason, d.source_channel, d.source, c.name,
              (SELECT value FROM contact_identity WHERE contact_id = c.id AND kind = 'phone' ORDER BY created_at LIMIT 1) AS phone,
              (SELECT value FROM contact_identity WHERE contact_id = c.id AND kind = 'email' ORDER BY created_at LIMIT 1) AS email,
              (SELECT details->>'username' FROM contact_identity WHERE contact_id = c.id AND kind = 'telegram' ORDER BY created_at LIMIT 1) AS tg_username,
              (SELECT payload->>'message' FROM activity WHERE deal_id = d.id AND kind IN ('lead', 'repeat_lead', 'message_in') AND payload->>'message' IS NOT NULL
                ORDER BY occurred_at, id LIMIT 1) AS first_message,
              (SELECT count(*) FROM activity WHERE deal_id = d.id AND kind = 'repeat_lead') AS repeats,
              t.due_at, t.id AS task_id
         FROM deal d JOIN contact c ON c.id = d.contact_id
         LEFT JOIN task t ON t.deal_id = d.id AND t.kind = 'callback' AND t.status = 'open'
        WHERE d.id = $1`,
      [dealId],
    );
    if (!row) return null;
    return {
      dealId: row.id,
      contactId: row.contact_id,
      contactName: row.name,
      phone: row.phone,
      email: row.email,
      telegramUsername: row.tg_username,
      channel: row.source_channel,
      source: row.source ?? {},
      firstMessage: row.first_message,
      dueAt: row.due_at ? new Date(row.due_at) : null,
      callbackOpen: !!row.task_id,
      stage: row.stage,
      lostReason: row.lost_reason,
      repeat: Number(row.repeats) > 0,
      timezone,
    };
  }

  openUrl(contactId: string): string | null {
    // Telegram accepts only public http(s) addresses in buttons; a localhost hub gets no Open button.
    return this.options.publicUrl.startsWith('https://') ? `${this.options.publicUrl}/admin/#/contacts/${contactId}` : null;
  }

  /** Sends a fresh card to a manager. Returns false when the deal no longer exists. */
  async send(manager: BoundManager, dealId: string): Promise<boolean> {
    const data = await this.load(dealId, manager.timezone);
    if (!data) return false;
    const t = TEXTS[manager.locale];
    const sent = await this.bots.manager.api.sendMessage(manager.chatId, cardText(t, data, null), {
      reply_markup: cardKeyboard(t, data, this.openUrl(data.contactId)),
      link_preview_options: { is_disabled: true },
    });
    await this.remember(manager, sent.message_id, data.contactId, dealId, 'card', data.channel);
    return true;
  }

  /** Redraws a card in place with a state line ("Called back (Oleg)"). */
  async redraw(manager: BoundManager, chatId: number | string, messageId: number, dealId: string, state: string | null): Promise<void> {
    const data = await this.load(dealId, manager.timezone);
    if (!data) return;
    const t = TEXTS[manager.locale];
    await this.bots.manager.api
      .editMessageText(chatId, messageId, undefined, cardText(t, data, state), {
        reply_markup: cardKeyboard(t, data, this.openUrl(data.contactId)),
        link_preview_options: { is_disabled: true },
      })
      .catch((err) => {
        // Pressing a button twice redraws the same text: Telegram says "message is not modified".
        if (!/not modified/i.test(this.bots.describe(err))) throw err;
      });
  }

  async remember(manager: Pick<BoundManager, 'id' | 'chatId'>, messageId: number, contactId: string, dealId: string | null, kind: string, channel: string | null): Promise<void> {
    await this.db.query(
      `INSERT INTO telegram_manager_message (chat_id, message_id, manager_id, contact_id, deal_id, kind, channel)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (chat_id, message_id) DO NOTHING`,
      [manager.chatId, messageId, manager.id, contactId, dealId, kind, channel],
    );
  }
}
