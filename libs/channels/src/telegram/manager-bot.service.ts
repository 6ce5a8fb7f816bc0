import { AssignmentService, Clock, DealsService, DomainError, ManagersService, TasksService } from '@leadline/core';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { lostReasonKeyboard, parseCardData } from './lead-card';
import { formatWhen } from './notice-time';
import { LeadCardsService } from './lead-cards.service';
import { ManagerDirectory, type BoundManager } from './manager-directory';
import { TelegramBots } from './telegram-bots';
import { TelegramLinkService } from './telegram-link.service';
import type { TgCallbackQuery, TgMessage, TgUser } from './telegram.mapper';
import { TEXTS, type BotTexts } from './telegram.texts';
import { ReplyRelayService } from './reply-relay.service';

/** The lead card's "Snooze 15 min" button. */
const SNOOZE_MINUTES = 15;

/**
 * The manager side of the bot: binding by link code, commands, lead-card buttons and reply relay.
 * Strangers get one polite line and nothing else.
 */
@Injectable()
export class ManagerBotService {
  private readonly log = new Logger('TelegramManagerBot');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly directory: ManagerDirectory,
    private readonly links: TelegramLinkService,
    private readonly cards: LeadCardsService,
    private readonly relay: ReplyRelayService,
    private readonly tasks: TasksService,
    private readonly deals: DealsService,
    private readonly managers: ManagersService,
    private readonly assignment: AssignmentService,
    private readonly clock: Clock,
  ) {}

  private get api() {
    return this.bots.manager.api;
  }

  /** "/start <code>" with a link code: binds the sender. Returns false when the payload is not a link code. */
  async tryBind(from: TgUser, chatId: number, arg: string): Promise<boolean> {
    if (!TelegramLinkService.looksLikeCode(arg)) return false;
    const manager = await this.links.redeem(arg, { userId: String(from.id), chatId: String(chatId), username: from.username ?? null });
    const t = manager ? TEXTS[manager.locale] : this.directory.texts(from.language_code);
    await this.say(chatId, manager ? t.linked(manager.name) : t.linkBad);
    this.log.log({ msg: manager ? 'telegram bound' : 'telegram link refused', telegramUserId: from.id, managerId: manager?.id ?? null });
    if (manager) await this.catchUp(manager);
    return true;
  }

  /**
   * A manager who just linked Telegram: cards of their open leads that never reached Telegram (assigned
   * before they linked), then the queue drains (round robin; its leads' cards come through the outbox).
   */
  private async catchUp(manager: BoundManager): Promise<void> {
    const missing: Array<{ id: string }> = await this.db.query(
      `SELECT d.id FROM deal d
        WHERE d.owner_id = $1 AND d.closed_at IS NULL
          AND EXISTS (SELECT 1 FROM task t WHERE t.deal_id = d.id AND t.status = 'open' AND t.kind = 'callback')
          AND NOT EXISTS (SELECT 1 FROM telegram_manager_message tm WHERE tm.chat_id = $2 AND tm.deal_id = d.id AND tm.kind IN ('card', 'notice'))
        ORDER BY d.created_at LIMIT 20`,
      [manager.id, manager.chatId],
    );
    for (const d of missing) await this.cards.send(manager, d.id);
    const drained = await this.assignment.drainQueue();
    this.log.log({ msg: 'telegram bound: catch-up', managerId: manager.id, cards: missing.length, drained });
  }

  async stranger(chatId: number, from: TgUser): Promise<void> {
    await this.say(chatId, this.directory.texts(from.language_code).stranger);
  }

  /** A message from a bound manager: a command, or a reply to a client message. */
  async onMessage(manager: BoundManager, m: TgMessage, command: { name: string; arg: string } | null): Promise<void> {
    const t = TEXTS[manager.locale];
    const chatId = m.chat.id;
    if (command) {
      switch (command.name) {
        case 'start':
        case 'help':
          return this.say(chatId, t.help);
        case 'tasks':
          return this.sendTasks(manager, chatId);
        case 'queue':
          return this.sendQueue(manager, chatId);
        case 'pause':
        case 'resume':
          await this.managers.update(manager.id, { available: command.name === 'resume' });
          return this.say(chatId, command.name === 'resume' ? t.resumed : t.paused);
        case 'stats':
          return this.sendStats(manager, chatId);
        default:
          return this.say(chatId, t.unknownCommand);
      }
    }
    if (m.reply_to_message && (await this.relay.relay(manager, m))) return;
    return this.say(chatId, t.replyUnknown, m.reply_to_message ? m.message_id : undefined);
  }

  async onCallback(q: TgCallbackQuery): Promise<void> {
    const manager = await this.directory.byTelegramUser(q.from.id);
    if (!manager) return this.answer(q, this.directory.texts(q.from.language_code).stranger);
    const t = TEXTS[manager.locale];
    const parsed = parseCardData(q.data);
    if (!parsed || !q.message) return this.answer(q);
    const { action, dealId } = parsed;
    const msg = q.message;
    const [deal] = await this.db.query(`SELECT d.id, d.contact_id, d.owner_id, d.stage, d.closed_at, m.name AS owner_name FROM deal d LEFT JOIN manager m ON m.id = d.owner_id WHERE d.id = $1`, [dealId]);
    if (!deal) return this.answer(q, t.card.gone);

    if (action === 'take') return this.take(manager, q, deal);
    if (deal.owner_id !== manager.id && manager.role !== 'admin') {
      if (!deal.owner_name) return this.answer(q, t.card.notYours, true);
      // A card left from before the lead moved on (escalation, reassignment): say who has it and retire the card.
      await this.answer(q, t.card.notYoursOwner(deal.owner_name), true);
      return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, t.card.stateMovedTo(deal.owner_name), true);
    }
    if (deal.closed_at && action !== 'back') {
      await this.answer(q, t.card.gone);
      return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, null);
    }

    try {
      switch (action) {
        case 'called': {
          const [task] = await this.db.query(`SELECT id FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open'`, [dealId]);
          if (!task) {
            await this.answer(q, t.card.taskDone);
            return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, null);
          }
          await this.tasks.complete(manager, task.id);
          await this.answer(q, t.card.stateCalled(manager.name));
          return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, t.card.stateCalled(manager.name));
        }
        case 'call':
          return this.relay.call(manager, q, deal.contact_id);
        case 'snooze': {
          const due = await this.tasks.snoozeCallback(manager, dealId, SNOOZE_MINUTES, 'telegram');
          if (!due) {
            await this.answer(q, t.card.taskDone);
            return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, null);
          }
          const state = t.card.stateSnoozed(formatWhen(due, manager.timezone, manager.locale, this.clock.now()));
          await this.answer(q, state);
          return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, state);
        }
        case 'won':
          await this.deals.changeStage(manager, dealId, 'won');
          await this.answer(q, t.card.stateWon(manager.name));
          return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, t.card.stateWon(manager.name));
        case 'lost':
          await this.answer(q, t.card.lostAsk);
          await this.api.editMessageReplyMarkup(msg.chat.id, msg.message_id, undefined, lostReasonKeyboard(t, dealId));
          return;
        case 'back':
          await this.answer(q);
          return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, null);
        default: {
          const reason = /^lr(\d)$/.exec(action);
          if (!reason || !t.lostReasons[Number(reason[1])]) return this.answer(q);
          const text = t.lostReasons[Number(reason[1])];
          await this.deals.changeStage(manager, dealId, 'lost', text);
          await this.answer(q, t.card.stateLost(manager.name, text));
          return this.cards.redraw(manager, msg.chat.id, msg.message_id, dealId, t.card.stateLost(manager.name, text));
        }
      }
    } catch (err) {
      if (err instanceof DomainError) return this.answer(q, err.message, true);
      throw err;
    }
  }

  private async take(manager: BoundManager, q: TgCallbackQuery, deal: { id: string; owner_id: string | null; owner_name: string | null }): Promise<void> {
    const t = TEXTS[manager.locale];
    const msg = q.message!;
    try {
      await this.deals.take(manager, deal.id);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const [row] = await this.db.query(`SELECT m.name FROM deal d LEFT JOIN manager m ON m.id = d.owner_id WHERE d.id = $1`, [deal.id]);
      const text = row?.name ? t.takenByOther(row.name) : t.card.gone;
      await this.answer(q, text, true);
      await this.api.editMessageText(msg.chat.id, msg.message_id, undefined, `${msg.text ?? ''}\n\n${text}`.trim()).catch(() => undefined);
      return;
    }
    await this.answer(q, t.taken);
    await this.api.editMessageText(msg.chat.id, msg.message_id, undefined, `${msg.text ?? ''}\n\n${t.taken}`.trim()).catch(() => undefined);
    // The lead_assigned notice of the take brings the full card.
  }

  private async sendTasks(manager: BoundManager, chatId: number): Promise<void> {
    const t = TEXTS[manager.locale];
    const tasks = await this.tasks.list(manager, { mine: true, status: 'open', limit: 30 });
    if (!tasks.length) return this.say(chatId, t.noTasks);
    const now = this.clock.now();
    const lines = tasks.map((x) => `${x.overdue ? `❗ ${t.overdue} ` : ''}${formatWhen(new Date(x.dueAt), manager.timezone, manager.locale, now)} — ${x.title}`);
    await this.say(chatId, [t.tasksTitle, ...lines].join('\n'));
  }

  private async sendQueue(manager: BoundManager, chatId: number): Promise<void> {
    const t = TEXTS[manager.locale];
    const queue = await this.deals.queue(10);
    if (!queue.length) return this.say(chatId, t.queueEmpty);
    await this.say(chatId, t.queueTitle);
    for (const d of queue) {
      await this.api.sendMessage(chatId, `${d.title ?? d.contactName ?? d.id}\n${formatWhen(new Date(d.createdAt), manager.timezone, manager.locale, this.clock.now())}`, {
        reply_markup: { inline_keyboard: [[{ text: t.take, callback_data: `take:${d.id}` }]] },
      });
    }
  }

  private async sendStats(manager: BoundManager, chatId: number): Promise<void> {
    const t = TEXTS[manager.locale];
    const now = this.clock.now();
    // "Today" in the manager's own timezone.
    const [row] = await this.db.query(
      `WITH bounds AS (SELECT (date_trunc('day', $2::timestamptz AT TIME ZONE $3) AT TIME ZONE $3) AS since)
       SELECT
         (SELECT count(*) FROM deal d, bounds WHERE d.owner_id = $1 AND d.created_at >= bounds.since) AS leads,
         (SELECT count(*) FROM task k, bounds WHERE k.assignee_id = $1 AND k.kind = 'callback' AND k.status = 'done' AND k.completed_at >= bounds.since) AS called,
         (SELECT count(*) FROM task k, bounds WHERE k.assignee_id = $1 AND k.kind = 'callback' AND k.status = 'done' AND k.completed_at >= bounds.since AND k.completed_at <= k.due_at) AS in_sla,
         (SELECT round(avg(extract(epoch FROM d.first_response_at - d.created_at)) / 60) FROM deal d, bounds
           WHERE d.owner_id = $1 AND d.created_at >= bounds.since AND d.first_response_at IS NOT NULL) AS avg_minutes`,
      [manager.id, now, manager.timezone],
    );
    await this.say(
      chatId,
      t.stats({ leads: Number(row.leads), called: Number(row.called), calledInSla: Number(row.in_sla), avgMinutes: row.avg_minutes === null ? null : Number(row.avg_minutes) }),
    );
  }

  texts(manager: BoundManager): BotTexts {
    return TEXTS[manager.locale];
  }

  private async say(chatId: number | string, text: string, replyTo?: number): Promise<void> {
    await this.api.sendMessage(chatId, text, replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {});
  }

  async answer(q: TgCallbackQuery, text?: string, alert = false): Promise<void> {
    await this.api.answerCbQuery(q.id, text?.slice(0, 200), { show_alert: alert }).catch((err) => {
      // A query older than ~15 minutes cannot be answered any more; the action itself still counts.
      this.log.warn({ msg: 'answerCallbackQuery failed', error: this.bots.describe(err) });
    });
  }
}
