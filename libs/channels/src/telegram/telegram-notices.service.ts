import { Clock, formatDuration, formatPhoneForPeople, OutboxKind, type OutboxDelivery } from '@leadline/core';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LeadCardsService } from './lead-cards.service';
import { ManagerDirectory, type BoundManager } from './manager-directory';
import { formatWhen } from './notice-time';
import { TelegramBots } from './telegram-bots';
import { downloadFile, FileTooLarge, sendFile, type TelegramFileKind } from './telegram-files';
import type { TgMedia } from './telegram.mapper';
import { TelegramOutboxKind } from './telegram.options';
import { TEXTS, type BotTexts } from './telegram.texts';
import { CAPTION_LIMIT, splitText } from './text-split';

/** A relayed notice as the Telegram row carries it: the core notice's payload plus who it is for. */
type NoticePayload = Record<string, unknown> & { recipientId: string; sourceKind: string; event?: string; dealId?: string; contactId?: string };

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/**
 * Manager notices through the manager bot. `relay` queues one 'telegram.notice' row per bound
 * recipient of an in-app notice (idempotent on notice + recipient); `deliver` draws it: a lead card for
 * a new assignment; the client's words (and files, as files) for a follow-up; for a reminder, an
 * overdue task, an escalation or a missed call the deal's card under a header line, with the card's
 * buttons; one line for the rest. Every time shows the day when it is not today for the reader.
 */
@Injectable()
export class TelegramNoticesService {
  private readonly log = new Logger('TelegramNotices');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly directory: ManagerDirectory,
    private readonly cards: LeadCardsService,
    private readonly clock: Clock,
  ) {}

  /**
   * One statement: the recipients (as ManagerDirectory.byId / admins() choose them: active and bound
   * to a chat) are read in the INSERT that queues their rows.
   */
  async relay(notice: OutboxDelivery): Promise<void> {
    const recipients =
      notice.kind === OutboxKind.NotifyManager ? `m.id = $5::uuid` : notice.kind === OutboxKind.NotifyAdmins ? `m.role = 'admin'` : null;
    if (!recipients) return;
    const payload = { ...notice.payload, sourceKind: notice.kind, sourceOutboxId: notice.id };
    await this.db.query(
      `INSERT INTO outbox (kind, payload, next_attempt_at)
       SELECT $1::text, $2::jsonb || jsonb_build_object('recipientId', m.id::text, 'relayKey', $4::text || ':' || m.id::text), $3::timestamptz
         FROM manager m JOIN telegram_manager_binding b ON b.manager_id = m.id
        WHERE ${recipients} AND m.active
        ORDER BY m.created_at
       ON CONFLICT ((payload->>'relayKey')) WHERE kind = 'telegram.notice' DO NOTHING`,
      [TelegramOutboxKind.Notice, JSON.stringify(payload), this.clock.now(), notice.id, ...(notice.kind === OutboxKind.NotifyManager ? [String(notice.payload.managerId)] : [])],
    );
  }

  async deliver(delivery: OutboxDelivery): Promise<void> {
    const p = delivery.payload as NoticePayload;
    const manager = await this.directory.byId(String(p.recipientId));
    // Unbound or deactivated since: the in-app notice is there; nothing to send.
    if (!manager) return;
    const t = TEXTS[manager.locale];
    const event = String(p.event ?? '');
    const title = str(p.title) ?? (await this.dealTitle(p.dealId));
    const when = (iso: unknown) => (str(iso) ? formatWhen(new Date(String(iso)), manager.timezone, manager.locale, this.clock.now()) : '—');
    const dealId = str(p.dealId);
    switch (event) {
      case 'lead_assigned':
        if (dealId) await this.cards.send(manager, dealId);
        return;
      case 'repeat_lead':
      case 'message_in':
        return this.forwardClientMessage(manager, p);
      case 'task_reminder':
        return this.dealNotice(manager, t.notice.reminder(title, Number(p.minutesLeft ?? 0)), p);
      case 'task_overdue': {
        const assignee = str(p.assigneeName);
        const header = p.sourceKind === OutboxKind.NotifyAdmins && assignee ? t.notice.overdueOf(title, assignee, when(p.dueAt)) : t.notice.overdue(title, when(p.dueAt));
        return this.dealNotice(manager, header, p);
      }
      case 'task_escalated':
        return this.dealNotice(manager, t.notice.escalated(title, escalationReason(t, p)), p);
      case 'call_missed':
        return this.dealNotice(manager, t.notice.missedCall(String(p.from ?? '—'), Number(p.attempt ?? 1)), p);
      case 'deal_reassigned':
        return this.reassignedAway(manager, t, title, p);
      case 'deal_unassigned':
      case 'unassigned_lead': {
        const sent = await this.bots.manager.api.sendMessage(manager.chatId, t.notice.unassigned(title, String(p.reason ?? '')), {
          reply_markup: dealId ? { inline_keyboard: [[{ text: t.take, callback_data: `take:${dealId}` }]] } : undefined,
        });
        if (str(p.contactId)) await this.cards.remember(manager, sent.message_id, String(p.contactId), dealId, 'notice', null);
        return;
      }
      case 'message_failed': {
        // A reply sent from this bot is answered on its own status message ("Not sent: …").
        if (await this.confirmedInTelegram(p.activityId)) return;
        const name = await this.contactName(p.contactId);
        return this.line(manager, p.reason === 'blocked' ? t.notice.blocked(name) : t.notice.sendFailed(name, String(p.error ?? '')), p);
      }
      case 'task_created':
        return this.line(manager, t.notice.newTask(title, when(p.dueAt)), p);
      case 'deal_merged':
        return this.line(manager, t.notice.dealMerged(title, await this.managerName(p.toManagerId)), p);
      case 'contact_routed':
        return this.line(manager, t.notice.contactRouted(await this.contactName(p.contactId), t.notice.whyAway[String(p.whyCode)] ?? String(p.why ?? ''), str(p.toManagerName)), p);
      case 'call_missed_withdrawn': {
        const at = str(p.answeredAt) ? when(p.answeredAt) : null;
        return this.line(manager, t.notice.missedCallWithdrawn(formatPhoneForPeople(str(p.from)), str(p.answeredByName), at, formatDuration(Number(p.durationSeconds ?? 0))), p);
      }
      case 'escalation_undone':
        return this.dealNotice(manager, t.notice.escalationUndone(title, str(p.toManagerName) ?? '—'), p);
      case 'escalation_withdrawn':
        return this.line(manager, t.notice.escalationWithdrawn(title, str(p.answeredByName)), p);
      case 'form_email_unreadable':
        return this.dealNotice(manager, t.notice.formEmailUnreadable(str(p.subject) ?? '—', str(p.from) ?? '—'), p);
      default:
        return this.line(manager, `${t.notice.other(event || delivery.kind)}${title ? `: ${title}` : ''}`, p);
    }
  }

  /** A notice about a deal: its card under the header, with the card's buttons (same actions as the lead card). */
  private async dealNotice(manager: BoundManager, header: string, p: NoticePayload): Promise<void> {
    if (str(p.dealId) && (await this.cards.send(manager, String(p.dealId), header))) return;
    return this.line(manager, header, p);
  }

  /** The deal went to someone else: its cards in this chat turn read-only, and one line says who has it and why. */
  private async reassignedAway(manager: BoundManager, t: BotTexts, title: string, p: NoticePayload): Promise<void> {
    const who = str(p.toManagerName) ?? '—';
    if (str(p.dealId)) await this.cards.retire(manager, String(p.dealId), t.card.stateMovedTo(who));
    await this.bots.manager.api.sendMessage(manager.chatId, t.notice.reassignedAway(title, who, String(p.reason ?? '')));
  }

  private async line(manager: BoundManager, text: string, p: NoticePayload): Promise<void> {
    const sent = await this.bots.manager.api.sendMessage(manager.chatId, text);
    if (str(p.contactId)) await this.cards.remember(manager, sent.message_id, String(p.contactId), str(p.dealId), 'notice', null);
  }

  /**
   * The client's words in the manager's chat; replying to them answers the client. A file comes as the
   * file itself (photo as a photo, voice as a voice message…) with a caption naming the client: the
   * manager bot uploads it again (file ids belong to the bot that received them), or re-sends it by id
   * when one bot serves both sides.
   */
  private async forwardClientMessage(manager: BoundManager, p: NoticePayload): Promise<void> {
    const t = TEXTS[manager.locale];
    const [a] = await this.db.query(
      `SELECT a.id, a.contact_id, a.deal_id, a.channel, a.payload, c.name
         FROM activity a JOIN contact c ON c.id = a.contact_id
        WHERE ${p.activityId ? 'a.id = $1' : `a.deal_id = $1 AND a.kind IN ('lead', 'repeat_lead', 'message_in')`}
        ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1`,
      [p.activityId ?? p.dealId],
    );
    if (!a) return;
    const name = a.name ?? t.client;
    const channel = this.cards.channelLabel(a.channel, manager.locale);
    const words = [a.payload?.subject ? `[${a.payload.subject}]` : null, a.payload?.message ?? null].filter(Boolean).join('\n');
    const media: TgMedia | undefined = a.channel === 'telegram' ? a.payload?.details?.media : undefined;
    const remember = (messageId: number) => this.cards.remember(manager, messageId, a.contact_id, a.deal_id, 'message', a.channel);

    if (media?.fileId) {
      const header = t.notice.clientFile(name, channel);
      const caption = `${header}${words ? `\n${words}` : ''}\n\n${t.notice.replyHint}`;
      const captioned = media.type !== 'sticker' && media.type !== 'video_note' && caption.length <= CAPTION_LIMIT;
      try {
        const sent = await this.forwardFile(manager.chatId, a.payload.details.botId, media, captioned ? caption : undefined);
        await remember(sent.message_id);
        if (captioned) return;
      } catch (err) {
        this.log.warn({ msg: 'client file not forwarded', activityId: a.id, error: this.bots.describe(err) });
        const why = err instanceof FileTooLarge ? '> 20 MB' : this.bots.describe(err);
        const what = `${media.type}${media.fileName ? ` ${media.fileName}` : ''}`;
        return this.text(manager, `${t.notice.message(name, channel)}\n${words ? `${words}\n` : ''}${t.notice.fileNotForwarded(what, why)}\n\n${t.notice.replyHint}`, remember);
      }
      return this.text(manager, `${header}${words ? `\n${words}` : ''}\n\n${t.notice.replyHint}`, remember);
    }
    return this.text(manager, `${t.notice.message(name, channel)}\n${words || '—'}\n\n${t.notice.replyHint}`, remember);
  }

  private async forwardFile(chatId: string, botId: unknown, media: TgMedia, caption: string | undefined) {
    const from = [this.bots.client, this.bots.manager].find((b) => String(b.id) === String(botId)) ?? this.bots.client;
    const kind: TelegramFileKind = media.type;
    if (from === this.bots.manager) return sendFile(this.bots.manager, chatId, { kind, fileId: media.fileId }, { caption });
    const content = await downloadFile(from, media.fileId);
    return sendFile(this.bots.manager, chatId, { kind, content, fileName: media.fileName ?? null }, { caption });
  }

  private async text(manager: BoundManager, text: string, remember: (messageId: number) => Promise<void>): Promise<void> {
    for (const part of splitText(text)) {
      const sent = await this.bots.manager.api.sendMessage(manager.chatId, part, { link_preview_options: { is_disabled: true } });
      await remember(sent.message_id);
    }
  }

  private async confirmedInTelegram(activityId: unknown): Promise<boolean> {
    if (!str(activityId)) return false;
    const [row] = await this.db.query(`SELECT payload->'confirm'->>'via' AS via FROM activity WHERE id = $1`, [activityId]);
    return row?.via === 'telegram';
  }

  private async dealTitle(dealId: unknown): Promise<string> {
    if (!str(dealId)) return '';
    const [d] = await this.db.query(`SELECT title FROM deal WHERE id = $1`, [dealId]);
    return d?.title ?? '';
  }

  private async contactName(contactId: unknown): Promise<string> {
    if (!str(contactId)) return '—';
    const [c] = await this.db.query(`SELECT name FROM contact WHERE id = $1`, [contactId]);
    return c?.name ?? '—';
  }

  private async managerName(managerId: unknown): Promise<string | null> {
    if (!str(managerId)) return null;
    const [m] = await this.db.query(`SELECT name FROM manager WHERE id = $1`, [managerId]);
    return m?.name ?? null;
  }
}

/**
 * Why a task escalated, in the manager's language, from the facts on the notice (lateness in minutes,
 * whose task, whether anyone else could take it); a notice queued before those facts were stored keeps
 * its English sentence.
 */
function escalationReason(t: BotTexts, p: NoticePayload): string {
  if (typeof p.lateMinutes !== 'number') return String(p.reason ?? '');
  const who = str(p.assigneeName) ?? '—';
  const late = p.taskKind === 'callback' ? t.notice.lateCallback(who, p.lateMinutes) : t.notice.lateTask(who, p.lateMinutes);
  return p.outcome === 'nobody_else_eligible' ? `${late} ${t.notice.nobodyElse}` : late;
}
