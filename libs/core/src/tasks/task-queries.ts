import type { EntityManager } from 'typeorm';
import { execute, mutateRows, queryRows } from '../database/query-rows';

/**
 * The statements of the tasks aggregate (TasksService; the SLA scheduler's clock restart), with the row
 * shapes they return. Services decide; these functions only read and write, so a row-mapping mistake
 * is a type error here instead of a wrong field in an answer. (The SLA claim, the intake's batched
 * write and the missed-call task live with their own batched statements.)
 */

/** Anything that runs SQL: the DataSource outside a transaction, the EntityManager inside one. */
export type Queryable = Pick<EntityManager, 'query'>;

/** What came of a task a manager completes by hand (a callback: did they get through?). */
export const TASK_RESULTS = ['reached', 'no_answer', 'wrong_number', 'call_later'] as const;
export type TaskResult = (typeof TASK_RESULTS)[number];

/** A `task` row as SQL returns it (timestamps as Date or text, counters possibly as text). */
export interface TaskRow {
  id: string;
  deal_id: string;
  contact_id: string;
  assignee_id: string | null;
  kind: string;
  title: string;
  due_at: Date | string;
  status: string;
  missed_calls?: number | string | null;
  call_attempts?: number | string | null;
  completed_at?: Date | string | null;
  result?: TaskResult | null;
  created_at: Date | string;
}

/** A task with what the task view adds: the contact's name and whether it is overdue now. */
export interface TaskViewRow extends TaskRow {
  contact_name: string | null;
  is_overdue: boolean | null;
}

/** The SLA instants a due time brings (sla-schedule), as the task stores them. */
export interface TaskSchedule {
  dueAt: Date;
  remindAt: Date | null;
  escalateAt: Date;
}

export interface NewFollowUpRow {
  dealId: string;
  contactId: string;
  assigneeId: string;
  title: string;
  dueAt: Date;
  remindAt: Date | null;
  createdAt: Date;
}

export interface TaskListFilter {
  now: Date;
  assigneeId?: string;
  contactId?: string;
  status: 'open' | 'done' | 'cancelled';
  /** Only tasks due before `now`. */
  overdueOnly: boolean;
  limit: number;
}

const VIEW_SELECT = `SELECT t.*, c.name AS contact_name, (t.status = 'open' AND t.due_at < $1) AS is_overdue
  FROM task t JOIN contact c ON c.id = t.contact_id`;

/** Tasks due soonest first, for the task list. */
export async function selectTaskViews(db: Queryable, f: TaskListFilter): Promise<TaskViewRow[]> {
  const params: unknown[] = [f.now];
  const where: string[] = [];
  if (f.assigneeId) {
    params.push(f.assigneeId);
    where.push(`t.assignee_id = $${params.length}`);
  }
  if (f.contactId) {
    params.push(f.contactId);
    where.push(`t.contact_id = $${params.length}`);
  }
  params.push(f.status);
  where.push(`t.status = $${params.length}`);
  if (f.overdueOnly) where.push('t.due_at < $1');
  params.push(f.limit);
  return queryRows<TaskViewRow>(db, `${VIEW_SELECT} WHERE ${where.join(' AND ')} ORDER BY t.due_at, t.id LIMIT $${params.length}`, params);
}

/** One task as the task view shows it, overdue judged at `now`. */
export async function selectTaskView(db: Queryable, taskId: string, now: Date): Promise<TaskViewRow | undefined> {
  const [row] = await queryRows<TaskViewRow>(db, `${VIEW_SELECT} WHERE t.id = $2`, [now, taskId]);
  return row;
}

/**
 * Locks a task (and, first, its deal: deal then task is the lock order of every writer of both — SLA
 * escalation reassigns a deal's tasks). `assigneeId` limits it to that assignee's task (a manager acts
 * only on their own); undefined means any (an admin).
 */
export async function lockTaskWithDeal(em: Queryable, taskId: string, assigneeId: string | undefined): Promise<TaskRow | undefined> {
  const params: unknown[] = [taskId];
  if (assigneeId) params.push(assigneeId);
  const scope = assigneeId ? ' AND t.assignee_id = $2' : '';
  await execute(em, `SELECT d.id FROM deal d JOIN task t ON t.deal_id = d.id WHERE t.id = $1${scope} FOR UPDATE OF d`, params);
  const [task] = await queryRows<TaskRow>(em, `SELECT t.* FROM task t WHERE t.id = $1${scope} FOR UPDATE`, params);
  return task;
}

/** Locks a deal before its tasks (the lock order above). */
export async function lockDeal(em: Queryable, dealId: string): Promise<void> {
  await execute(em, `SELECT id FROM deal WHERE id = $1 FOR UPDATE`, [dealId]);
}

/**
 * Locks the open callback task of a deal the caller has locked. `actorId` limits it to a task the actor
 * is assigned or whose deal they own; undefined means any (an admin, the system).
 */
export async function lockOpenCallback(em: Queryable, dealId: string, actorId?: string): Promise<TaskRow | undefined> {
  if (!actorId) {
    const [task] = await queryRows<TaskRow>(em, `SELECT * FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open' FOR UPDATE`, [dealId]);
    return task;
  }
  const [task] = await queryRows<TaskRow>(
    em,
    `SELECT t.* FROM task t JOIN deal d ON d.id = t.deal_id
      WHERE t.deal_id = $1 AND t.kind = 'callback' AND t.status = 'open' AND (t.assignee_id = $2 OR d.owner_id = $2)
      FOR UPDATE OF t`,
    [dealId, actorId],
  );
  return task;
}

/** The contact's latest open deal, locked (an outbound contact completes its callback task). */
export async function lockLatestOpenDeal(em: Queryable, contactId: string): Promise<{ id: string } | undefined> {
  const [deal] = await queryRows<{ id: string }>(
    em,
    `SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
    [contactId],
  );
  return deal;
}

export async function markTaskDone(em: Queryable, taskId: string, done: { at: Date; actorId: string | null; result: TaskResult | null }): Promise<void> {
  await execute(em, `UPDATE task SET status = 'done', completed_at = $2, completed_by_id = $3, result = $4 WHERE id = $1`, [taskId, done.at, done.actorId, done.result]);
}

/**
 * A new due time with its SLA instants; the reminder, overdue and escalation stamps are cleared so each
 * step comes again. A task without an escalation (a follow-up) stays without one.
 */
export async function rescheduleTask(em: Queryable, taskId: string, s: TaskSchedule): Promise<void> {
  await execute(
    em,
    `UPDATE task SET due_at = $2, remind_at = $3, escalate_at = CASE WHEN escalate_at IS NULL THEN NULL ELSE $4::timestamptz END,
            reminded_at = NULL, overdue_at = NULL, escalated_at = NULL WHERE id = $1`,
    [taskId, s.dueAt, s.remindAt, s.escalateAt],
  );
}

/**
 * An escalated task handed to a new assignee starts a fresh clock: new due time and instants, reminder
 * and overdue to come again — but escalated_at stays (a task is reassigned automatically once).
 */
export async function restartTaskClock(em: Queryable, taskId: string, s: TaskSchedule): Promise<void> {
  await execute(em, `UPDATE task SET due_at = $2, remind_at = $3, escalate_at = $4, reminded_at = NULL, overdue_at = NULL WHERE id = $1`, [taskId, s.dueAt, s.remindAt, s.escalateAt]);
}

/** A follow-up task: reminded like any task, never escalated (escalate_at NULL). */
export async function insertFollowUp(em: Queryable, t: NewFollowUpRow): Promise<TaskRow> {
  const [row] = await mutateRows<TaskRow>(
      em,
      `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at, created_at)
       VALUES ($1, $2, $3, 'follow_up', $4, $5, $6, NULL, $7) RETURNING *`,
      [t.dealId, t.contactId, t.assigneeId, t.title, t.dueAt, t.remindAt, t.createdAt],
    );
  return row;
}

/** The deal's first response time, once (the first outbound contact or completed callback sets it). */
export async function stampFirstResponse(em: Queryable, dealId: string, at: Date): Promise<void> {
  await execute(em, `UPDATE deal SET first_response_at = $2, updated_at = now() WHERE id = $1 AND first_response_at IS NULL`, [dealId, at]);
}
