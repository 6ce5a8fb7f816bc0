import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AssignmentService, type AssignmentDecision } from '../assignment/assignment.service';
import { addBusinessMinutes, businessMinutesBetween } from '../business-hours/business-hours';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { OutboxKind, OutboxService, type NewOutboxMessage } from '../outbox/outbox.service';
import { restartTaskClock } from '../tasks/task-queries';
import { TimelineService, type NewActivity } from '../timeline/timeline.service';
import { slaInstants } from './sla-schedule';

/** Rows claimed per transaction: bounded so one tick never holds thousands of row locks. */
const BATCH = 500;
/** Escalations run the assignment rules per task: smaller batches. */
const ESCALATION_BATCH = 50;

export type SlaStep = 'remind' | 'overdue' | 'escalate';

/** Per step: the instant compared with the clock and the stamp that marks the step done (each pair has a partial index). */
const STEP_COLUMNS: Record<SlaStep, { instant: string; stamp: string }> = {
  remind: { instant: 'remind_at', stamp: 'reminded_at' },
  overdue: { instant: 'due_at', stamp: 'overdue_at' },
  escalate: { instant: 'escalate_at', stamp: 'escalated_at' },
};

/**
 * The claim of one step ($1 = now, $2 = batch size): the due rows in instant order through the step's
 * partial index, skipping rows another process holds, stamped in the same statement. Read through a
 * final SELECT (TypeORM's PostgreSQL driver wraps an UPDATE's rows in [rows, count]). Exported so tests
 * and the benchmark can EXPLAIN the exact statement.
 *
 * Escalation locks the DEALS of the due tasks first (skipping deals another process holds), then stamps
 * every due task of those deals. Reassignment updates the deal and all its open tasks, so locking a task
 * before its deal would deadlock two processes escalating two tasks of one deal (each holding one task
 * and waiting for the other's). Deal, then task: the order every writer of both keeps (deal stage
 * changes, task completion, outbound contact). NO KEY UPDATE: timeline and outbox inserts that merely
 * reference the deal (KEY SHARE) are not blocked.
 */
export function slaClaimSql(step: SlaStep): string {
  const { instant, stamp } = STEP_COLUMNS[step];
  const returning = `RETURNING t.id, t.deal_id, t.contact_id, t.assignee_id, t.kind, t.title, t.due_at, t.created_at, t.follows_owner`;
  if (step === 'escalate') {
    return `WITH due AS (
         SELECT DISTINCT deal_id FROM (SELECT deal_id FROM task WHERE status = 'open' AND ${stamp} IS NULL AND ${instant} <= $1
          ORDER BY ${instant} LIMIT $2) AS first_due
       ), deals AS (
         SELECT id FROM deal WHERE id IN (SELECT deal_id FROM due) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED
       ), stamped AS (
         UPDATE task t SET ${stamp} = $1 FROM deals
          WHERE t.deal_id = deals.id AND t.status = 'open' AND t.${stamp} IS NULL AND t.${instant} <= $1
         ${returning}
       )
       SELECT s.*, m.name AS assignee_name FROM stamped s LEFT JOIN manager m ON m.id = s.assignee_id ORDER BY s.deal_id, s.due_at, s.id`;
  }
  return `WITH due AS (
         SELECT id FROM task WHERE status = 'open' AND ${stamp} IS NULL AND ${instant} <= $1
          ORDER BY ${instant} LIMIT $2 FOR UPDATE SKIP LOCKED
       ), stamped AS (
         UPDATE task t SET ${stamp} = $1 FROM due WHERE t.id = due.id
         ${returning}
       )
       SELECT s.*, m.name AS assignee_name FROM stamped s LEFT JOIN manager m ON m.id = s.assignee_id`;
}

interface ClaimedTask {
  id: string;
  deal_id: string;
  contact_id: string;
  assignee_id: string | null;
  assignee_name: string | null;
  kind: string;
  title: string;
  due_at: Date | string;
  created_at: Date | string;
  /** false for a stage rule's task for admins or a named manager: its lateness is not the deal owner's. */
  follows_owner: boolean;
}

export interface SlaTickResult {
  reminded: number;
  overdue: number;
  escalated: number;
  /** Queued deals handed to managers who can take leads now (a shift began, someone resumed). */
  fromQueue: number;
}

/**
 * The SLA clocks of open tasks: reminder before due, overdue at due, escalation after the grace
 * period. Each step claims its due rows with FOR UPDATE SKIP LOCKED and stamps them (reminded_at,
 * overdue_at, escalated_at) in the same transaction as the notices and timeline entries it writes, so
 * with any number of hub processes every step happens exactly once per task.
 *
 * The instants themselves (remind_at, due_at, escalate_at) are computed in business time when the task
 * is written (sla-schedule.ts); here they are only compared with the clock, through partial indexes.
 */
@Injectable()
export class SlaService {
  private readonly log = new Logger('Sla');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly timeline: TimelineService,
    private readonly outbox: OutboxService,
    private readonly assignment: AssignmentService,
  ) {}

  /**
   * The earliest instant any open task has a step pending at (null: none), read through the three
   * partial indexes, one index probe each. Lets the scheduler wake exactly then instead of at its
   * next tick. Written as ORDER BY … LIMIT 1, not min(): with statistics that lag behind the table
   * (a burst of new tasks before ANALYZE) the planner aggregated min() over every open task instead,
   * 15 ms instead of 0.1 ms at 15,000 of them.
   */
  async nextInstant(): Promise<Date | null> {
    const parts = Object.values(STEP_COLUMNS).map(
      ({ instant, stamp }) => `(SELECT ${instant} FROM task WHERE status = 'open' AND ${stamp} IS NULL ORDER BY ${instant} LIMIT 1)`,
    );
    const [row] = await this.db.query(`SELECT least(${parts.join(', ')}) AS next`);
    return row?.next ? new Date(row.next) : null;
  }

  /** Processes everything due at the clock's now, batch by batch. */
  async tick(): Promise<SlaTickResult> {
    const result: SlaTickResult = { reminded: 0, overdue: 0, escalated: 0, fromQueue: 0 };
    // Overdue first: it is the step with a lateness target.
    result.overdue = await this.drain(BATCH, (em, now) => this.markOverdue(em, now));
    result.reminded = await this.drain(BATCH, (em, now) => this.remind(em, now));
    result.escalated = await this.drain(ESCALATION_BATCH, (em, now) => this.escalate(em, now));
    // Shifts begin on their own (no API call to hook): each tick offers the queue to whoever can take leads now.
    if (await this.assignment.queueWaiting()) result.fromQueue = await this.assignment.drainQueue();
    if (result.overdue + result.reminded + result.escalated + result.fromQueue > 0) this.log.log({ msg: 'sla tick', ...result });
    return result;
  }

  private async drain(batch: number, step: (em: EntityManager, now: Date) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.clock.now();
      const n = await this.db.transaction((em) => step(em, now));
      total += n;
      if (n < batch) return total;
    }
  }

  /** Claims up to `limit` open tasks whose `instant` column is due and stamps `stamp`. */
  private claim(em: EntityManager, step: SlaStep, now: Date, limit: number): Promise<ClaimedTask[]> {
    return em.query(slaClaimSql(step), [now, limit]);
  }

  private async remind(em: EntityManager, now: Date): Promise<number> {
    const rows = await this.claim(em, 'remind', now, BATCH);
    const notices: NewOutboxMessage[] = [];
    for (const t of rows) {
      const dueAt = new Date(t.due_at);
      // Already due (the hub was down at reminder time): the overdue notice says it all.
      if (!t.assignee_id || dueAt <= now) continue;
      notices.push({
        kind: OutboxKind.NotifyManager,
        // Business minutes: a reminder at 18:57 for a task due at 09:02 next morning has 5 minutes left.
        payload: { event: 'task_reminder', managerId: t.assignee_id, ...refs(t), minutesLeft: this.options.sla.reminderMinutes },
      });
    }
    await this.outbox.enqueue(em, ...notices);
    return rows.length;
  }

  private async markOverdue(em: EntityManager, now: Date): Promise<number> {
    const rows = await this.claim(em, 'overdue', now, BATCH);
    const activities: NewActivity[] = [];
    const notices: NewOutboxMessage[] = [];
    for (const t of rows) {
      activities.push({
        contactId: t.contact_id,
        dealId: t.deal_id,
        kind: 'task_overdue',
        occurredAt: now,
        payload: { taskId: t.id, kind: t.kind, title: t.title, dueAt: new Date(t.due_at).toISOString(), assigneeId: t.assignee_id, assigneeName: t.assignee_name },
      });
      if (t.assignee_id) notices.push({ kind: OutboxKind.NotifyManager, payload: { event: 'task_overdue', managerId: t.assignee_id, ...refs(t) } });
      notices.push({ kind: OutboxKind.NotifyAdmins, payload: { event: 'task_overdue', assigneeId: t.assignee_id, assigneeName: t.assignee_name, ...refs(t) } });
    }
    await this.timeline.record(em, ...activities);
    await this.outbox.enqueue(em, ...notices);
    return rows.length;
  }

  private async escalate(em: EntityManager, now: Date): Promise<number> {
    const rows = await this.claim(em, 'escalate', now, ESCALATION_BATCH);
    const { escalationPolicy, escalationMinutes } = this.options.sla;
    // One reassignment per deal, however many of its tasks escalate together (the claim returns them grouped).
    const reassigned = new Map<string, AssignmentDecision>();
    for (const t of rows) {
      const who = t.assignee_name ?? 'nobody';
      const late =
        t.kind === 'callback' ? `${who} did not call back within ${escalationMinutes} min` : `${who} did not finish "${t.title}" within ${escalationMinutes} min of its due time`;
      // Reassigning moves the deal away from its owner: only for the owner's own (owner-following) tasks.
      if (escalationPolicy === 'reassign' && t.assignee_id && t.follows_owner) {
        let decision = reassigned.get(t.deal_id);
        if (!decision) {
          decision = await this.assignment.roundRobin(em, { id: t.assignee_id, why: 'escalated_from' });
          reassigned.set(t.deal_id, decision);
          if (decision.managerId) {
            await this.assignment.apply(
              em,
              { id: t.deal_id, contactId: t.contact_id },
              {
                ...decision,
                reason: `escalated: ${late}; ${decision.reason}`,
                params: { ...decision.params, escalated: { fromName: t.assignee_name, minutes: escalationMinutes, taskKind: t.kind, title: t.title } },
              },
              null,
              { taskId: t.id, escalatedFrom: t.assignee_id },
            );
            // The contact follows, so the next lead of this person goes to the new owner too.
            await em.query(`UPDATE contact SET owner_id = $2, updated_at = now() WHERE id = $1 AND owner_id = $3`, [t.contact_id, decision.managerId, t.assignee_id]);
          }
        }
        if (decision.managerId) {
          const dueAt = await this.restartClock(em, t, now);
          await this.timeline.record(
            em,
            escalationActivity(t, now, { policy: 'reassign', outcome: 'reassigned', reason: late, toManagerId: decision.managerId, toManagerName: decision.managerName, newDueAt: dueAt.toISOString() }),
          );
          continue;
        }
        await this.escalateToAdmins(em, t, now, { policy: 'reassign', outcome: 'nobody_else_eligible', reason: `${late}; nobody else eligible: ${decision.reason}` });
        continue;
      }
      await this.escalateToAdmins(em, t, now, { policy: escalationPolicy, outcome: 'admins_notified', reason: late });
    }
    return rows.length;
  }

  /**
   * A reassigned task starts a fresh SLA clock for its new assignee: the same business-time window it
   * was first given (15 min for a callback), counted from now, with reminder and overdue to come again.
   * escalated_at stays: a task is reassigned automatically once; if the new owner is late as well, the
   * overdue notice reaches them and the admins.
   */
  private async restartClock(em: EntityManager, t: ClaimedTask, now: Date): Promise<Date> {
    const hours = this.options.businessHours;
    const window = businessMinutesBetween(hours, new Date(t.created_at), new Date(t.due_at));
    const dueAt = addBusinessMinutes(hours, now, window > 0 ? window : this.options.callbackSlaMinutes);
    const { remindAt, escalateAt } = slaInstants(hours, this.options.sla, dueAt);
    await restartTaskClock(em, t.id, { dueAt, remindAt, escalateAt });
    return dueAt;
  }

  private async escalateToAdmins(em: EntityManager, t: ClaimedTask, now: Date, detail: { policy: string; outcome: string; reason: string }): Promise<void> {
    await this.timeline.record(em, escalationActivity(t, now, detail));
    await this.outbox.enqueue(em, {
      kind: OutboxKind.NotifyAdmins,
      // outcome and the lateness facts beside the English reason: the bot and the UI word it in the reader's language.
      payload: { event: 'task_escalated', assigneeId: t.assignee_id, assigneeName: t.assignee_name, reason: detail.reason, outcome: detail.outcome, taskKind: t.kind, lateMinutes: this.options.sla.escalationMinutes, ...refs(t) },
    });
  }
}

function refs(t: ClaimedTask): Record<string, unknown> {
  return { taskId: t.id, dealId: t.deal_id, contactId: t.contact_id, title: t.title, dueAt: new Date(t.due_at).toISOString() };
}

function escalationActivity(t: ClaimedTask, now: Date, detail: Record<string, unknown>): NewActivity {
  return {
    contactId: t.contact_id,
    dealId: t.deal_id,
    kind: 'task_escalated',
    occurredAt: now,
    payload: { taskId: t.id, kind: t.kind, title: t.title, dueAt: new Date(t.due_at).toISOString(), fromManagerId: t.assignee_id, fromManagerName: t.assignee_name, ...detail },
  };
}
