import { ChannelRegistry, Clock } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { cardKeyboard, cardText, type LeadCardData } from './lead-card';
import type { BoundManager } from './manager-directory';
import { TelegramBots } from './telegram-bots';
import { TELEGRAM_OPTIONS, type TelegramOptions } from './telegram.options';
import { TEXTS } from './telegram.texts';

/** Who reads a card: their language, timezone (times with the day when not today there). */
type Reader = Pick<BoundManager, 'timezone' | 'locale'>;

/**
 * Draws lead cards in managers' chats and remembers which bot message shows which deal. A notice about
 * a deal (reminder, overdue, missed call) is a card under a header line, with the same buttons; the
 * header is remembered so a button press redraws the notice, not a bare card.
 */
@Injectable()
export class LeadCardsService {
  private readonly log = new Logger('TelegramCards');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly clock: Clock,
    private readonly channels: ChannelRegistry,
    @Inject(TELEGRAM_OPTIONS) private readonly options: TelegramOptions,
  ) {}

  /** A channel as managers read it ("WhatsApp", "Сайт"), from the channel's own registration; an unknown key as it is. */
  channelLabel(channel: string | null, locale: Reader['locale']): string {
    if (!channel) return '—';
    return this.channels.get(channel)?.label[locale] ?? channel.replace(/_/g, ' ');
  }

  async load(dealId: string, reader: Reader): Promise<LeadCardData | null> {
    const [row] = await this.db.query(
      `SELECT d.id, d.contact_id, d.stage, d.lost_reason, d.source_channel, d.source, d.owner_id, m.name AS owner_name, c.name,
              (SELECT value FROM contact_identity WHERE contact_id = c.id AND kind = 'phone' ORDER BY created_at LIMIT 1) AS phone,
              (SELECT value FROM contact_identity WHERE contact_id = c.id AND kind = 'email' ORDER BY created_at LIMIT 1) AS email,
              (SELECT details->>'username' FROM contact_identity WHERE contact_id = c.id AND kind = 'telegram' ORDER BY created_at LIMIT 1) AS tg_username,
              (SELECT payload->>'message' FROM activity WHERE deal_id = d.id AND kind IN ('lead', 'repeat_lead', 'message_in') AND payload->>'message' IS NOT NULL
                ORDER BY occurred_at, id LIMIT 1) AS first_message,
              (SELECT count(*) FROM activity WHERE deal_id = d.id AND kind = 'repeat_lead') AS repeats,
              t.due_at, t.id AS task_id
         FROM deal d JOIN contact c ON c.id = d.contact_id
         LEFT JOIN manager m ON m.id = d.owner_id
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
      channel: this.channelLabel(row.source_channel, reader.locale),
      source: row.source ?? {},
      firstMessage: row.first_message,
      dueAt: row.due_at ? new Date(row.due_at) : null,
      callbackOpen: !!row.task_id,
      stage: row.stage,
      lostReason: row.lost_reason,
      repeat: Number(row.repeats) > 0,
      ownerId: row.owner_id,
      ownerName: row.owner_name,
      timezone: reader.timezone,
      locale: reader.locale,
      now: this.clock.now(),
    };
  }

  openUrl(contactId: string): string | null {
    // Telegram accepts only public http(s) addresses in buttons; a localhost hub gets no Open button.
    return this.options.publicUrl.startsWith('https://') ? `${this.options.publicUrl}/admin/#/contacts/${contactId}` : null;
  }

  /**
   * Sends a fresh card to a manager (under `header` for a notice). Returns false when the deal no longer
   * exists. Buttons only while the reader may act: the owner, or an admin.
   */
  async send(manager: BoundManager, dealId: string, header: string | null = null): Promise<boolean> {
    const data = await this.load(dealId, manager);
    if (!data) return false;
    const t = TEXTS[manager.locale];
    const mayAct = data.ownerId === manager.id || manager.role === 'admin' || data.ownerId === null;
    const body = cardText(t, data, null);
    const sent = await this.bots.manager.api.sendMessage(manager.chatId, header ? `${header}\n\n${body}` : body, {
      reply_markup: mayAct ? cardKeyboard(t, data, this.openUrl(data.contactId)) : undefined,
      link_preview_options: { is_disabled: true },
    });
    await this.remember(manager, sent.message_id, data.contactId, dealId, header ? 'notice' : 'card', data.channel, header);
    return true;
  }

  /** Redraws a card (or a notice with its header) in place with a state line ("Called back (Oleg)"); `readOnly`: no buttons. */
  async redraw(manager: BoundManager, chatId: number | string, messageId: number, dealId: string, state: string | null, readOnly = false): Promise<void> {
    const data = await this.load(dealId, manager);
    if (!data) return;
    const t = TEXTS[manager.locale];
    const [shown] = await this.db.query(`SELECT header FROM telegram_manager_message WHERE chat_id = $1 AND message_id = $2`, [String(chatId), messageId]);
    const body = cardText(t, data, state);
    await this.bots.manager.api
      .editMessageText(chatId, messageId, undefined, shown?.header ? `${shown.header}\n\n${body}` : body, {
        reply_markup: readOnly ? { inline_keyboard: [] } : cardKeyboard(t, data, this.openUrl(data.contactId)),
        link_preview_options: { is_disabled: true },
      })
      .catch((err) => {
        // Pressing a button twice redraws the same text: Telegram says "message is not modified".
        if (!/not modified/i.test(this.bots.describe(err))) throw err;
      });
  }

  /**
   * The deal left this manager (escalation, an admin's reassignment): every card and notice of it in
   * their chat turns read-only and says who has it now. A message Telegram no longer lets us edit
   * (deleted by the manager, older than 48 h for some clients) is skipped.
   */
  async retire(manager: BoundManager, dealId: string, state: string): Promise<number> {
    const shown: Array<{ message_id: string }> = await this.db.query(
      `SELECT message_id FROM telegram_manager_message WHERE chat_id = $1 AND deal_id = $2 AND kind IN ('card', 'notice') ORDER BY message_id`,
      [manager.chatId, dealId],
    );
    let edited = 0;
    for (const m of shown) {
      try {
        await this.redraw(manager, manager.chatId, Number(m.message_id), dealId, state, true);
        edited++;
      } catch (err) {
        this.log.warn({ msg: 'telegram card not retired', managerId: manager.id, dealId, messageId: m.message_id, error: this.bots.describe(err) });
      }
    }
    return edited;
  }

  async remember(
    manager: Pick<BoundManager, 'id' | 'chatId'>,
    messageId: number,
    contactId: string,
    dealId: string | null,
    kind: string,
    channel: string | null,
    header: string | null = null,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO telegram_manager_message (chat_id, message_id, manager_id, contact_id, deal_id, kind, channel, header)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (chat_id, message_id) DO NOTHING`,
      [manager.chatId, messageId, manager.id, contactId, dealId, kind, channel, header],
    );
  }
}
