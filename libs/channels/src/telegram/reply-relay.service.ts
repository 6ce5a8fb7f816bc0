import { CALL_LAUNCHER, ChannelRegistry, ConversationsService, DomainError, type CallLauncher, type OutboundAttachment, type OutboxDelivery } from '@leadline/core';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { BoundManager } from './manager-directory';
import { TelegramBots } from './telegram-bots';
import { downloadFile, FileTooLarge, fileOfMessage } from './telegram-files';
import type { TgCallbackQuery, TgMessage } from './telegram.mapper';
import { botLocale, TEXTS } from './telegram.texts';

/** `confirm` of a reply sent from the manager bot: the status message to turn into "Sent ✓" or "Not sent: …". */
type TelegramConfirmation = {
  via: 'telegram';
  managerId: string;
  chatId: string;
  statusMessageId: number;
};

/** What a manager does to a client from Telegram: answer by replying (text and files), or call. */
@Injectable()
export class ReplyRelayService {
  private readonly log = new Logger('TelegramReplies');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly conversations: ConversationsService,
    private readonly channels: ChannelRegistry,
    @Optional() @Inject(CALL_LAUNCHER) private readonly launcher: CallLauncher | null,
  ) {}

  /**
   * A Telegram reply to a forwarded client message, a lead card or a notice: goes to the client through
   * the channel the client wrote from (Telegram or email), via the outbox; on the timeline as outbound.
   * A file (photo, document, voice, audio, video, video note) is downloaded from the manager bot and
   * stored with the message: the client bot uploads it again (file ids belong to one bot), or it is
   * attached to the email. The manager sees "Sending…", turned into "Sent ✓" only once the channel
   * delivered it, or into "Not sent: <why>". Returns false when the replied message is not one of ours.
   */
  async relay(manager: BoundManager, m: TgMessage): Promise<boolean> {
    const t = TEXTS[manager.locale];
    const chatId = m.chat.id;
    const [target] = await this.db.query(
      `SELECT tm.contact_id, tm.channel, c.merged_into_id FROM telegram_manager_message tm JOIN contact c ON c.id = tm.contact_id
        WHERE tm.chat_id = $1 AND tm.message_id = $2`,
      [String(chatId), m.reply_to_message!.message_id],
    );
    if (!target) return false;
    const text = m.text ?? m.caption ?? '';
    const file = fileOfMessage(m);
    if (!text.trim() && !file) {
      await this.say(chatId, t.replyNothing, m.message_id);
      return true;
    }
    const status = await this.bots.manager.api.sendMessage(chatId, t.replySending, { reply_parameters: { message_id: m.message_id, allow_sending_without_reply: true } });
    const settle = (line: string) => this.edit(String(chatId), status.message_id, line);
    const attachments: OutboundAttachment[] = [];
    if (file) {
      try {
        attachments.push({ kind: file.kind === 'sticker' ? 'photo' : file.kind, fileName: file.fileName ?? null, mimeType: file.mimeType ?? null, content: await downloadFile(this.bots.manager, file.fileId) });
      } catch (err) {
        const why = err instanceof FileTooLarge ? t.fileTooLarge : this.bots.describe(err);
        this.log.warn({ msg: 'manager file not downloaded', managerId: manager.id, error: this.bots.describe(err) });
        return settle(t.replyFailed(why)).then(() => true);
      }
    }
    // The reply goes back the way the card's message came when that channel can reply (else the core's default).
    const channel = target.channel && this.channels.get(target.channel)?.outbound ? (target.channel as string) : undefined;
    const confirm: TelegramConfirmation = { via: 'telegram', managerId: manager.id, chatId: String(chatId), statusMessageId: status.message_id };
    try {
      await this.conversations.send(manager, { contactId: target.merged_into_id ?? target.contact_id, channel, text, attachments, confirm });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      await settle(t.replyFailed(err.message));
    }
    return true;
  }

  /** The 'message.delivery_result' of a reply sent from the manager bot: the status message says how it ended. */
  async deliveryResult(delivery: OutboxDelivery): Promise<void> {
    const p = delivery.payload as { status: 'sent' | 'failed'; error: string | null; confirm: Partial<TelegramConfirmation> };
    const c = p.confirm;
    if (c?.via !== 'telegram' || !c.chatId || !c.statusMessageId) return;
    const [row] = await this.db.query(`SELECT locale FROM manager WHERE id = $1`, [c.managerId]);
    const t = TEXTS[botLocale(row?.locale, this.bots.options.defaultLocale)];
    await this.edit(c.chatId, c.statusMessageId, p.status === 'sent' ? t.replySent : t.replyFailed(p.error ?? '—'));
  }

  private async edit(chatId: string, messageId: number, text: string): Promise<void> {
    try {
      await this.bots.manager.api.editMessageText(chatId, messageId, undefined, text);
    } catch (err) {
      if (/not modified/i.test(this.bots.describe(err))) return;
      // The status message is gone (deleted by the manager): say it in a new one.
      if (/message to edit not found/i.test(this.bots.describe(err))) {
        await this.bots.manager.api.sendMessage(chatId, text);
        return;
      }
      throw err;
    }
  }

  private async say(chatId: number, text: string, replyTo: number): Promise<void> {
    await this.bots.manager.api.sendMessage(chatId, text, { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } });
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
