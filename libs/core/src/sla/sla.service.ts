import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AssignmentService } from '../assignment/assignment.service';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { OutboxKind, OutboxService, type NewOutboxMessage } from '../outbox/outbox.service';
import { TimelineService, type NewActivity } from '../timeline/timeline.service';

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
 */
export function slaClaimSql(step: SlaStep): string {
  const { instant, stamp } = STEP_COLUMNS[step];
  return `WITH due AS (
         SELECT id FROM task WHERE status = 'open' AND ${stamp} IS NULL AND ${instant} <= $1
          ORDER BY ${instant} LIMIT $2 FOR UPDATE SKIP LOCKED
       ), stamped AS (
         UPDATE task t SET ${stamp} = $1 FROM due WHERE t.id = due.id
         RETURNING t.id, t.deal_id, t.contact_id, t.assignee_id, t.kind, t.title, t.due_at, t.follows_owner
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
  /** false for a stage rule's task for admins or a named manager: its lateness is not the deal owner's. */
  follows_owner: boolean;
}

export interface SlaTickResult {
  reminded: number;
  overdue: number;
  escalated: number;
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

  /** Processes everything due at the clock's now, batch by batch. */
  async tick(): Promise<SlaTickResult> {
    const result: SlaTickResult = { reminded: 0, overdue: 0, escalated: 0 };
    // Overdue first: it is the step with a lateness target.
    result.overdue = await this.drain(BATCH, (em, now) => this.markOverdue(em, now));
    result.reminded = await this.drain(BATCH, (em, now) => this.remind(em, now));
    result.escalated = await this.drain(ESCALATION_BATCH, (em, now) => this.escalate(em, now));
    if (result.overdue + result.reminded + result.escalated > 0) this.log.log({ msg: 'sla tick', ...result });
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
    for (const t of rows) {
      const who = t.assignee_name ?? 'nobody';
      const late =
        t.kind === 'callback' ? `${who} did not call back within ${escalationMinutes} min` : `${who} did not finish "${t.title}" within ${escalationMinutes} min of its due time`;
      // Reassigning moves the deal away from its owner: only for the owner's own (owner-following) tasks.
      if (escalationPolicy === 'reassign' && t.assignee_id && t.follows_owner) {
        const decision = await this.assignment.roundRobin(em, { id: t.assignee_id, reason: 'escalated from' });
        if (decision.managerId) {
          await this.assignment.apply(
            em,
            { id: t.deal_id, contactId: t.contact_id },
            { ...decision, reason: `escalated: ${late}; ${decision.reason}` },
            null,
            { taskId: t.id, escalatedFrom: t.assignee_id },
          );
          // The contact follows, so the next lead of this person goes to the new owner too.
          await em.query(`UPDATE contact SET owner_id = $2, updated_at = now() WHERE id = $1 AND owner_id = $3`, [t.contact_id, decision.managerId, t.assignee_id]);
          await this.timeline.record(em, escalationActivity(t, now, { policy: 'reassign', outcome: 'reassigned', reason: late, toManagerId: decision.managerId, toManagerName: decision.managerName }));
          continue;
        }
        await this.escalateToAdmins(em, t, now, { policy: 'reassign', outcome: 'nobody_else_eligible', reason: `${late}; nobody else eligible: ${decision.reason}` });
        continue;
      }
      await this.escalateToAdmins(em, t, now, { policy: escalationPolicy, outcome: 'admins_notified', reason: late });
    }
    return rows.length;
  }

  private async escalateToAdmins(em: EntityManager, t: ClaimedTask, now: Date, detail: { policy: string; outcome: string; reason: string }): Promise<void> {
    await this.timeline.record(em, escalationActivity(t, now, detail));
    await this.outbox.enqueue(em, {
      kind: OutboxKind.NotifyAdmins,
      payload: { event: 'task_escalated', assigneeId: t.assignee_id, assigneeName: t.assignee_name, reason: detail.reason, ...refs(t) },
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
