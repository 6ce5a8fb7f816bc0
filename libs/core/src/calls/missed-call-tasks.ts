import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { addBusinessMinutes } from '../business-hours/business-hours';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { slaInstants } from '../sla/sla-schedule';
import { TimelineService } from '../timeline/timeline.service';
import type { CallRow } from './call-queries';
import { MissedCallSms } from './missed-call-sms';
import { formatDuration, formatPhoneForPeople, localClock, localDueTime } from './call-text';
import { queryRow, mutateRows, execute } from '../database/query-rows';

/** The columns of a callback task this module reads. */
export interface CallbackTaskRow {
  id: string;
  deal_id: string;
  contact_id: string;
  assignee_id: string | null;
  status: string;
  due_at: Date | string;
  created_at: Date | string;
  escalated_at: Date | string | null;
}

interface NoticeRecipient {
  id: string;
  timezone: string;
}

/** A missed-call notice as written to the outbox: structured, so every renderer can localise it. */
export interface MissedCallNotice {
  event: 'call_missed';
  callId: string;
  contactId: string | null;
  dealId: string | null;
  taskId: string;
  from: string | null;
  attempt: number;
  /** When the call back is due (ISO, UTC) and the recipient's timezone to show it in. */
  dueAt: string;
  tz: string;
  /** English line for renderers that do not localise: "…, call back by 09:15" or "… by Tue 8 Dec 09:15". */
  text: string;
  managerId?: string;
}

/**
 * Missed calls and callback tasks: a missed call opens (or joins) the deal's callback task and tells its
 * assignee; a missed call later found answered takes that back (the attempt, the notice).
 */
@Injectable()
export class MissedCallTasks {
  constructor(
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly timeline: TimelineService,
    private readonly outbox: OutboxService,
    private readonly autoSms: MissedCallSms,
  ) {}

  /**
   * The deal's open callback task takes one more attempt (repeated calls join it), or a new one is
   * opened, due CALLBACK_SLA_MINUTES of business time from the call; the assignee (or the admins) is told.
   */
  async open(em: EntityManager, call: CallRow, at: Date): Promise<{ taskId: string | null; attempt: number | null }> {
    if (!call.deal_id || !call.contact_id) return { taskId: null, attempt: null };
    let task = await queryRow<CallbackTaskRow>(em, `SELECT * FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open' FOR UPDATE`, [call.deal_id]);
    if (!task) {
      const deal = await queryRow<{ owner_id: string | null }>(em, `SELECT owner_id FROM deal WHERE id = $1`, [call.deal_id]);
      const contact = await queryRow<{ name: string | null }>(em, `SELECT name FROM contact WHERE id = $1`, [call.contact_id]);
      const dueAt = addBusinessMinutes(this.options.businessHours, at, this.options.callbackSlaMinutes);
      const { remindAt, escalateAt } = slaInstants(this.options.businessHours, this.options.sla, dueAt);
      [task] = await mutateRows<CallbackTaskRow>(
        em,
        `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at, created_at)
         VALUES ($1, $2, $3, 'callback', $4, $5, $6, $7, $8) RETURNING *`,
        [call.deal_id, call.contact_id, deal?.owner_id ?? null, `Call back ${contact?.name ?? formatPhoneForPeople(call.from_number)}`, dueAt, remindAt, escalateAt, at],
      );
      await this.timeline.record(em, {
        contactId: call.contact_id,
        dealId: call.deal_id,
        kind: 'task_created',
        occurredAt: at,
        payload: { taskId: task.id, kind: 'callback', dueAt: dueAt.toISOString(), slaMinutes: this.options.callbackSlaMinutes, reason: 'missed call', callId: call.id },
      });
    }
    // The client hears when we will call back (once per task, when an SMS channel switched it on).
    await this.autoSms.afterMissedCall(em, call, task);
    const [{ missed_calls: attempt }] = await mutateRows<{ missed_calls: number }>(em, `UPDATE task SET missed_calls = missed_calls + 1 WHERE id = $1 RETURNING missed_calls`, [task.id]);
    const assignee = task.assignee_id ? await queryRow<NoticeRecipient>(em, `SELECT id, timezone FROM manager WHERE id = $1 AND active`, [task.assignee_id]) : null;
    const dueAt = new Date(task.due_at);
    const tz = assignee?.timezone ?? this.options.businessHours.timezone;
    const by = localDueTime(dueAt, this.clock.now(), tz);
    const notice: MissedCallNotice = {
      event: 'call_missed',
      callId: call.id,
      contactId: call.contact_id,
      dealId: call.deal_id,
      taskId: task.id,
      from: call.from_number,
      attempt,
      dueAt: dueAt.toISOString(),
      tz,
      text: `Missed call from ${formatPhoneForPeople(call.from_number)}${attempt > 1 ? ` (attempt ${attempt})` : ''}, call back by ${by}`,
    };
    await this.outbox.enqueue(
      em,
      assignee ? { kind: OutboxKind.NotifyManager, payload: { ...notice, managerId: assignee.id } } : { kind: OutboxKind.NotifyAdmins, payload: { ...notice } },
    );
    return { taskId: task.id, attempt };
  }

  /**
   * The call counted as missed was answered after all: its attempt comes off the task, and the notice
   * is withdrawn — marked so in the in-app list (and on a notice still waiting in the outbox, so it is
   * stored marked), with a follow-up telling the same people who answered.
   */
  async withdraw(em: EntityManager, call: CallRow, answered: { managerName: string | null; durationSeconds: number; answeredAt: Date | null }): Promise<void> {
    if (call.task_id) await execute(em, `UPDATE task SET missed_calls = GREATEST(missed_calls - 1, 0) WHERE id = $1`, [call.task_id]);
    const now = this.clock.now();
    const mark = JSON.stringify({ withdrawn: true, withdrawnAt: now.toISOString(), withdrawnReason: 'answered' });
    const originals = await mutateRows<{ id: string; kind: string; payload: MissedCallNotice }>(
      em,
      `UPDATE outbox SET payload = payload || $2::jsonb, updated_at = now()
        WHERE kind IN ($3, $4) AND payload->>'event' = 'call_missed' AND payload->>'callId' = $1 RETURNING id, kind, payload`,
      [call.id, mark, OutboxKind.NotifyManager, OutboxKind.NotifyAdmins],
    );
    if (originals.length === 0) return;
    await execute(em, `UPDATE notification SET payload = payload || $2::jsonb WHERE event = 'call_missed' AND outbox_id = ANY($1::uuid[])`, [originals.map((o) => o.id), mark]);
    const who = answered.managerName ?? 'a manager';
    for (const o of originals) {
      const tz = o.payload.tz ?? this.options.businessHours.timezone;
      const at = answered.answeredAt ? ` at ${localClock(answered.answeredAt, tz)}` : '';
      await this.outbox.enqueue(em, {
        kind: o.kind,
        payload: {
          event: 'call_missed_withdrawn',
          callId: call.id,
          contactId: call.contact_id,
          dealId: call.deal_id,
          taskId: o.payload.taskId,
          from: call.from_number,
          withdrawnOutboxId: o.id,
          answeredBy: who,
          answeredByName: answered.managerName,
          durationSeconds: answered.durationSeconds,
          answeredAt: answered.answeredAt?.toISOString() ?? null,
          tz,
          text: `Not missed: the call from ${formatPhoneForPeople(call.from_number)} was answered by ${who}${at} (${formatDuration(answered.durationSeconds)}); no call back needed`,
          ...(o.payload.managerId ? { managerId: o.payload.managerId } : {}),
        },
      });
    }
  }
}
