import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { clientLanguageOf, type ClientLanguage } from '../conversations/client-language';
import type { MessageSendPayload } from '../channels/channel-plugin';
import { OutboxKind } from '../outbox/outbox.service';
import { TimelineService } from '../timeline/timeline.service';
import type { CallRow } from './call-queries';
import { localClock } from './call-text';
import { execute, mutateRows } from '../database/query-rows';

/**
 * The SMS channel that answers missed calls, registered by that channel when its operator switched it
 * on. The message goes out as any manager's message ('message.send' to the channel's deliver), with
 * `from` (the company number that was called) and `automatic` in the payload.
 */
export interface MissedCallSmsSender {
  /** The registered channel's name ('sms'). */
  channel: string;
}

const WEEKDAYS: Record<ClientLanguage, readonly string[]> = {
  en: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
  ru: ['вс', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб'],
};
const MONTHS: Record<ClientLanguage, readonly string[]> = {
  en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
  ru: ['янв', 'фев', 'мар', 'апр', 'мая', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'],
};

/**
 * The SMS a client gets after a call nobody answered: "we will call you back by 14:32" (the callback
 * task's due time, in the company's timezone; a weekday and date when it is not today). Pure.
 */
export function missedCallSmsText(lang: ClientLanguage, due: Date, now: Date, timezone: string): string {
  const day = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  let by = localClock(due, timezone);
  if (day(due) !== day(now)) {
    const [y, m, d] = day(due).split('-').map(Number);
    by = `${WEEKDAYS[lang][new Date(Date.UTC(y, m - 1, d)).getUTCDay()]} ${d} ${MONTHS[lang][m - 1]} ${by}`;
  }
  return lang === 'ru' ? `Здравствуйте! Мы пропустили ваш звонок и перезвоним вам до ${by}.` : `Hello! We missed your call and will call you back by ${by}.`;
}

/**
 * The "once per callback task" rule of the automatic missed-call SMS. However many calls of the
 * client go unanswered (they join the same open callback task), one SMS goes out for the task; a new
 * task after the old one was done may send another. Off until an SMS channel registers a sender
 * (MISSED_CALL_SMS). The message is a timeline entry like a manager's (its delivery statuses apply),
 * marked automatic: it does not complete the task nor count as the first response.
 */
@Injectable()
export class MissedCallSms {
  private sender: MissedCallSmsSender | null = null;

  constructor(
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly timeline: TimelineService,
  ) {}

  enable(sender: MissedCallSmsSender): void {
    this.sender = sender;
  }

  get enabled(): boolean {
    return this.sender !== null;
  }

  /** In the missed call's transaction, with the callback task it opened or joined (locked by the caller). */
  async afterMissedCall(em: EntityManager, call: CallRow, task: { id: string; deal_id: string; due_at: Date | string }): Promise<string | null> {
    const sender = this.sender;
    if (!sender || !call.contact_id || !call.from_number || !/^\+[1-9]\d{5,14}$/.test(call.from_number)) return null;
    const claimed = await mutateRows<{ id: string }>(em, `UPDATE task SET missed_call_sms_at = $2 WHERE id = $1 AND missed_call_sms_at IS NULL RETURNING id`, [task.id, this.clock.now()]);
    if (!claimed.length) return null;
    const now = this.clock.now();
    const lang = await clientLanguageOf(em, call.contact_id, this.options.defaultLocale ?? 'en');
    const text = missedCallSmsText(lang, new Date(task.due_at), now, this.options.businessHours.timezone);
    const activityId = randomUUID();
    const outboxId = randomUUID();
    await this.timeline.record(em, {
      id: activityId,
      contactId: call.contact_id,
      dealId: task.deal_id,
      kind: 'message_out',
      channel: sender.channel,
      actorId: null,
      occurredAt: now,
      payload: { text, to: call.from_number, status: 'queued', outboxId, automatic: 'missed_call', taskId: task.id, callId: call.id, details: {} },
    });
    const payload: MessageSendPayload = { channel: sender.channel, activityId, contactId: call.contact_id, dealId: task.deal_id, to: call.from_number, text, from: call.to_number, automatic: 'missed_call' };
    await execute(em, `INSERT INTO outbox (id, kind, payload, next_attempt_at) VALUES ($1, $2, $3, now())`, [outboxId, OutboxKind.MessageSend, JSON.stringify(payload)]);
    return activityId;
  }
}
