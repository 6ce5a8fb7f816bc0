import { Clock, OutboxKind, type OutboxDelivery } from '@leadline/core';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LeadCardsService } from './lead-cards.service';
import { ManagerDirectory, type BoundManager } from './manager-directory';
import { TelegramBots } from './telegram-bots';
import { TelegramOutboxKind } from './telegram.options';
import { TEXTS } from './telegram.texts';

/**
 * Manager notices through the manager bot. `relay` queues one 'telegram.notice' row per bound
 * recipient of an in-app notice (idempotent on notice + recipient); `deliver` draws it: a lead card
 * for a new assignment, the client's words for a follow-up, one line for SLA notices.
 */
@Injectable()
export class TelegramNoticesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly directory: ManagerDirectory,
    private readonly cards: LeadCardsService,
    private readonly clock: Clock,
  ) {}

  async relay(notice: OutboxDelivery): Promise<void> {
    const recipients =
      notice.kind === OutboxKind.NotifyManager
        ? [await this.directory.byId(String(notice.payload.managerId))].filter((m): m is BoundManager => !!m)
        : notice.kind === OutboxKind.NotifyAdmins
          ? await this.directory.admins()
          : [];
    for (const m of recipients) {
      const payload = { ...notice.payload, sourceKind: notice.kind, sourceOutboxId: notice.id, recipientId: m.id, relayKey: `${notice.id}:${m.id}` };
      await this.db.query(
        `INSERT INTO outbox (kind, payload, next_attempt_at) VALUES ($1, $2, $3)
         ON CONFLICT ((payload->>'relayKey')) WHERE kind = 'telegram.notice' DO NOTHING`,
        [TelegramOutboxKind.Notice, JSON.stringify(payload), this.clock.now()],
      );
    }
  }

  async deliver(delivery: OutboxDelivery): Promise<void> {
    const p = delivery.payload as Record<string, any>;
    const manager = await this.directory.byId(String(p.recipientId));
    // Unbound or deactivated since: the in-app notice is there; nothing to send.
    if (!manager) return;
    const t = TEXTS[manager.locale];
    const api = this.bots.manager.api;
    const event = String(p.event ?? '');
    const title = typeof p.title === 'string' ? p.title : await this.dealTitle(p.dealId);
    switch (event) {
      case 'lead_assigned':
        if (p.dealId) await this.cards.send(manager, p.dealId);
        return;
      case 'repeat_lead':
      case 'message_in':
        return this.forwardClientMessage(manager, p);
      case 'task_reminder':
        return this.line(manager, t.notice.reminder(title, Number(p.minutesLeft ?? 0)), p);
      case 'task_overdue':
        return this.line(manager, p.sourceKind === OutboxKind.NotifyAdmins && p.assigneeName ? t.notice.overdueOf(title, p.assigneeName) : t.notice.overdue(title), p);
      case 'task_escalated':
        return this.line(manager, t.notice.escalated(title, String(p.reason ?? '')), p);
      case 'deal_unassigned':
      case 'unassigned_lead': {
        const sent = await api.sendMessage(manager.chatId, t.notice.unassigned(title, String(p.reason ?? '')), {
          reply_markup: p.dealId ? { inline_keyboard: [[{ text: t.take, callback_data: `take:${p.dealId}` }]] } : undefined,
        });
        if (p.contactId) await this.cards.remember(manager, sent.message_id, p.contactId, p.dealId ?? null, 'notice', null);
        return;
      }
      case 'message_failed': {
        const name = await this.contactName(p.contactId);
        return this.line(manager, p.reason === 'blocked' ? t.notice.blocked(name) : t.notice.sendFailed(name, String(p.error ?? '')), p);
      }
      default:
        return this.line(manager, `${t.notice.other(event || delivery.kind)}${title ? `: ${title}` : ''}`, p);
    }
  }

  private async line(manager: BoundManager, text: string, p: Record<string, any>): Promise<void> {
    const sent = await this.bots.manager.api.sendMessage(manager.chatId, text);
    if (typeof p.contactId === 'string') await this.cards.remember(manager, sent.message_id, p.contactId, p.dealId ?? null, 'notice', null);
  }

  /** The client's words in the manager's chat; replying to them answers the client. */
  private async forwardClientMessage(manager: BoundManager, p: Record<string, any>): Promise<void> {
    const t = TEXTS[manager.locale];
    const [a] = await this.db.query(
      `SELECT a.id, a.contact_id, a.deal_id, a.channel, a.payload, c.name
         FROM activity a JOIN contact c ON c.id = a.contact_id
        WHERE ${p.activityId ? 'a.id = $1' : `a.deal_id = $1 AND a.kind IN ('lead', 'repeat_lead', 'message_in')`}
        ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1`,
      [p.activityId ?? p.dealId],
    );
    if (!a) return;
    const media = a.payload?.details?.media;
    const body = [a.payload?.subject ? `[${a.payload.subject}]` : null, a.payload?.message ?? null, media ? `📎 ${media.type}${media.fileName ? ` ${media.fileName}` : ''}${media.size ? ` (${Math.ceil(media.size / 1024)} KB)` : ''}` : null]
      .filter(Boolean)
      .join('\n');
    const text = `${t.notice.message(a.name ?? t.client, String(a.channel ?? ''))}\n${body || '—'}\n\n${t.notice.replyHint}`;
    const sent = await this.bots.manager.api.sendMessage(manager.chatId, text.slice(0, 4000), { link_preview_options: { is_disabled: true } });
    await this.cards.remember(manager, sent.message_id, a.contact_id, a.deal_id, 'message', a.channel);
  }

  private async dealTitle(dealId: unknown): Promise<string> {
    if (typeof dealId !== 'string') return '';
    const [d] = await this.db.query(`SELECT title FROM deal WHERE id = $1`, [dealId]);
    return d?.title ?? '';
  }

  private async contactName(contactId: unknown): Promise<string> {
    if (typeof contactId !== 'string') return '—';
    const [c] = await this.db.query(`SELECT name FROM contact WHERE id = $1`, [contactId]);
    return c?.name ?? '—';
  }
}
