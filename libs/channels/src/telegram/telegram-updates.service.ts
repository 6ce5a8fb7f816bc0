import { ContactMergeService, IntakeService, isDatabaseUnavailable, isIngestFailure, MessageUpdates, type InboundEvent } from '@leadline/core';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ManagerBotService } from './manager-bot.service';
import { ManagerDirectory } from './manager-directory';
import { TelegramBots, type BotHandle } from './telegram-bots';
import { mapTelegramUpdate, telegramUserIdOf, type MappedUpdate, type TelegramInboundEvent, type TgUpdate } from './telegram.mapper';

/**
 * Everything that happens to one update, for webhook and polling alike. Client messages go through
 * intake (idempotent on bot id + update_id); manager actions are claimed once per update in
 * telegram_update. Throws only when the database is unreachable (the caller answers 5xx / retries);
 * any other failure is logged (client messages are kept as failed receipts) and the update is acknowledged.
 */
@Injectable()
export class TelegramUpdatesService {
  private readonly log = new Logger('Telegram');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly intake: IntakeService,
    private readonly merges: ContactMergeService,
    private readonly messages: MessageUpdates,
    private readonly directory: ManagerDirectory,
    private readonly managerBot: ManagerBotService,
  ) {}

  async process(bot: BotHandle, update: TgUpdate): Promise<{ outcome: string; [k: string]: unknown }> {
    let mapped: MappedUpdate;
    try {
      mapped = mapTelegramUpdate(bot.id, update);
    } catch (err) {
      mapped = { type: 'ignored', reason: `unreadable update: ${(err as Error).message}` };
    }
    try {
      const result = await this.route(bot, update, mapped);
      this.log.log({ msg: 'telegram update', bot: bot.role, updateId: update?.update_id, type: mapped.type, ...result });
      return result;
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      this.log.error({ msg: 'telegram update failed', bot: bot.role, updateId: update?.update_id, type: mapped.type, error: this.bots.describe(err) });
      return { outcome: 'failed', error: this.bots.describe(err) };
    }
  }

  private async route(bot: BotHandle, update: TgUpdate, mapped: MappedUpdate): Promise<{ outcome: string; [k: string]: unknown }> {
    if (mapped.type === 'ignored') return { outcome: 'ignored', reason: mapped.reason };
    const isManagerBot = bot === this.bots.manager;

    if (mapped.type === 'callback') {
      if (!isManagerBot) return { outcome: 'ignored', reason: 'button on the client bot' };
      if (!(await this.claim(bot, update.update_id))) return { outcome: 'duplicate' };
      await this.managerBot.onCallback(mapped.query);
      return { outcome: 'callback' };
    }

    const fromId = mapped.from.id;
    const manager = isManagerBot ? await this.directory.byTelegramUser(fromId) : null;

    if (mapped.type === 'edit') {
      if (manager || (isManagerBot && !this.bots.shared)) return { outcome: 'ignored', reason: 'edit on the manager side' };
      const edited = await this.applyEdit(bot, mapped.chatId, mapped.messageId, mapped.text, mapped.editedAt);
      return { outcome: edited ? 'edited' : 'ignored', reason: edited ? undefined : 'edit of an unknown message' };
    }

    const message = update.message!;
    const command = mapped.command;
    if (isManagerBot && command?.name === 'start' && command.arg) {
      if (!(await this.claim(bot, update.update_id))) return { outcome: 'duplicate' };
      if (await this.managerBot.tryBind(mapped.from, mapped.chatId, command.arg)) return { outcome: 'bind' };
    }
    if (manager) {
      if (!(await this.claim(bot, update.update_id))) return { outcome: 'duplicate' };
      await this.managerBot.onMessage(manager, message, command);
      return { outcome: 'manager', managerId: manager.id };
    }
    if (isManagerBot && !this.bots.shared) {
      if (!(await this.claim(bot, update.update_id))) return { outcome: 'duplicate' };
      await this.managerBot.stranger(mapped.chatId, mapped.from);
      return { outcome: 'stranger' };
    }
    return this.clientMessage(bot, mapped.event, update);
  }

  private async clientMessage(bot: BotHandle, event: TelegramInboundEvent, update: TgUpdate): Promise<{ outcome: string; [k: string]: unknown }> {
    const result = await this.intake.ingest(event as InboundEvent, update);
    if (isIngestFailure(result)) return { outcome: 'failed', receiptId: result.receiptId };
    const details = event.message.details;
    // A shared phone that already belongs to another contact: they are the same person.
    if (details.contactShared?.own) await this.mergeSharedPhone(result.contactId, event);
    if (!result.duplicate) await this.answerClient(bot, details.chatId, event, result.repeatLead);
    return { outcome: result.duplicate ? 'duplicate' : 'client', externalId: event.externalId, contactId: result.contactId, dealId: result.dealId };
  }

  /** Merges every other contact that holds this client's Telegram id or shared phone into the one intake chose. */
  private async mergeSharedPhone(contactId: string, event: TelegramInboundEvent): Promise<void> {
    const others: Array<{ contact_id: string }> = await this.db.query(
      `SELECT DISTINCT ci.contact_id FROM contact_identity ci JOIN contact c ON c.id = ci.contact_id
        WHERE ci.contact_id <> $1 AND c.merged_into_id IS NULL
          AND ((ci.kind = 'telegram' AND ci.value = $2)
            OR (ci.kind = 'phone' AND ci.value IN (SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'phone')))
        ORDER BY 1`,
      [contactId, telegramUserIdOf(event)],
    );
    for (const other of others) {
      await this.merges.merge(undefined, contactId, other.contact_id, { reason: 'the Telegram client shared a phone number of this contact', channel: 'telegram' });
    }
  }

  private async answerClient(bot: BotHandle, chatId: number, event: TelegramInboundEvent, repeat: boolean): Promise<void> {
    const t = this.directory.texts(typeof event.fields?.languageCode === 'string' ? event.fields.languageCode : null);
    const details = event.message.details;
    const [hasPhone] = await this.db.query(
      `SELECT 1 FROM contact_identity ci JOIN contact_identity tg ON tg.contact_id = ci.contact_id
        WHERE tg.kind = 'telegram' AND tg.value = $1 AND ci.kind = 'phone' LIMIT 1`,
      [telegramUserIdOf(event)],
    );
    const phoneButton = { keyboard: [[{ text: t.sharePhone, request_contact: true }]], resize_keyboard: true, one_time_keyboard: true };
    try {
      if (details.contactShared?.own) await bot.api.sendMessage(chatId, t.phoneThanks, { reply_markup: { remove_keyboard: true } });
      else if (event.message.text === null && !details.media && !details.location) await bot.api.sendMessage(chatId, t.clientWelcome, hasPhone ? {} : { reply_markup: phoneButton });
      else if (!repeat) await bot.api.sendMessage(chatId, hasPhone ? t.clientThanks : `${t.clientThanks}\n${t.sharePhoneAsk}`, hasPhone ? {} : { reply_markup: phoneButton });
    } catch (err) {
      // The lead is stored; a failed courtesy reply (client blocked the bot meanwhile) changes nothing.
      this.log.warn({ msg: 'telegram auto-reply failed', chatId, error: this.bots.describe(err) });
    }
  }

  /** An edited client message: the timeline entry shows the new text and says it was edited. */
  private async applyEdit(bot: BotHandle, chatId: number, messageId: number, text: string | null, editedAt: Date): Promise<boolean> {
    return this.messages.applyInboundEdit('telegram', { botId: String(bot.id), chatId: String(chatId), messageId: String(messageId) }, { text, editedAt });
  }

  /** Once per bot and update_id: a redelivered button press or command does nothing the second time. */
  private async claim(bot: BotHandle, updateId: number): Promise<boolean> {
    const rows = await this.db.query(`INSERT INTO telegram_update (bot, update_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING update_id`, [String(bot.id), updateId]);
    return rows.length > 0;
  }
}
