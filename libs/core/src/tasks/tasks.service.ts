import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { Clock } from '../core-options';
import { DomainError } from '../errors/domain-error';
import { clampLimit } from '../pagination/cursor';
import { TimelineService } from '../timeline/timeline.service';

/** A `task` row as SQL returns it (timestamps as Date or text, counters possibly as text); joins add contact_name and is_overdue. */
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
  contact_name?: string | null;
  is_overdue?: boolean | null;
}

export interface TaskView {
  id: string;
  dealId: string;
  contactId: string;
  contactName: string | null;
  assigneeId: string | null;
  kind: string;
  title: string;
  dueAt: string;
  status: string;
  overdue: boolean;
  /** Missed calls from the contact while this callback task was open (telephony). */
  missedCalls: number;
  /** Outbound calls to the contact that did not connect while this callback task was open (telephony). */
  callAttempts: number;
  completedAt: string | null;
  /** What came of it, when completed by hand with a result. */
  result: TaskResult | null;
  createdAt: string;
}

@Injectable()
export class TasksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly timeline: TimelineService,
    private readonly clock: Clock,
  ) {}

  /** Tasks due soonest first. Managers only ever see their own. */
  async list(viewer: Viewer, q: { mine?: boolean; overdue?: boolean; status?: 'open' | 'done' | 'cancelled'; assigneeId?: string; contactId?: string; limit?: number }): Promise<TaskView[]> {
    const params: unknown[] = [this.clock.now()];
    const where: string[] = [];
    if (!isAdmin(viewer) || q.mine) {
      params.push(viewer.id);
      where.push(`t.assignee_id = $${params.length}`);
    } else if (q.assigneeId) {
      params.push(q.assigneeId);
      where.push(`t.assignee_id = $${params.length}`);
    }
    if (q.contactId) {
      params.push(q.contactId);
      where.push(`t.contact_id = $${params.length}`);
    }
    const status = q.overdue ? 'open' : (q.status ?? 'open');
    params.push(status);
    where.push(`t.status = $${params.length}`);
    if (q.overdue) where.push('t.due_at < $1');
    params.push(clampLimit(q.limit, 500, 100));
    const rows = await this.db.query(
      `SELECT t.*, c.name AS contact_name, (t.status = 'open' AND t.due_at < $1) AS is_overdue
         FROM task t JOIN contact c ON c.id = t.contact_id
        WHERE ${where.join(' AND ')} ORDER BY t.due_at, t.id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toTaskView);
  }

  /**
   * Marks a task done by hand, with what came of it (`result`, optional: reached, no answer, …) kept on
   * the task and its timeline entry. Completing the callback task records the deal's first response time.
   */
  async complete(viewer: Viewer, taskId: string, result: TaskResult | null = null): Promise<TaskView> {
    await this.db.transaction(async (em) => {
      const params: unknown[] = [taskId];
      const scope = isAdmin(viewer) ? '' : ' AND assignee_id = $2';
      if (!isAdmin(viewer)) params.push(viewer.id);
      // Deal first, then task: the lock order of every writer of both (SLA escalation reassigns a deal's tasks).
      await em.query(`SELECT d.id FROM deal d JOIN task t ON t.deal_id = d.id WHERE t.id = $1${scope.replace('assignee_id', 't.assignee_id')} FOR UPDATE OF d`, params);
      const [task] = await em.query(`SELECT * FROM task WHERE id = $1${scope} FOR UPDATE`, params);
      if (!task) throw DomainError.notFound('task');
      if (task.status !== 'open') throw DomainError.conflict(`task is already ${task.status}`);
      await this.completeLocked(em, task, { at: this.clock.now(), actorId: viewer.id, result });
    });
    const [row] = await this.db.query(
      `SELECT t.*, c.name AS contact_name, false AS is_overdue FROM task t JOIN contact c ON c.id = t.contact_id WHERE t.id = $1`,
      [taskId],
    );
    return toTaskView(row);
  }

  /**
   * A connected outbound call (or an answered incoming one) or a message to a contact (recorded by the
   * telephony, email or Telegram channel): completes the open callback task of the contact's open deal ("called back after 7 min")
   * and stores the deal's first response time. Runs in the caller's transaction when given one.
   */
  async recordOutboundContact(em: EntityManager | undefined, contact: OutboundContact): Promise<OutboundContactResult> {
    if (!em) return this.db.transaction((tx) => this.recordOutboundContact(tx, contact));
    const at = contact.at ?? this.clock.now();
    const [deal] = await em.query(
      `SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
      [contact.contactId],
    );
    if (!deal) return { dealId: null, taskId: null, afterMinutes: null };
    const [task] = await em.query(`SELECT * FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open' FOR UPDATE`, [deal.id]);
    if (!task) {
      await this.recordFirstResponse(em, deal.id, at);
      return { dealId: deal.id, taskId: null, afterMinutes: null };
    }
    const afterMinutes = await this.completeLocked(em, task, { at, actorId: contact.actorId ?? null, via: contact.channel });
    return { dealId: deal.id, taskId: task.id, afterMinutes };
  }

  /**
   * The one way a task gets done (by hand or by an outbound contact): status, the timeline entry, and
   * for the callback task the deal's first response time. `task` is the row, locked by the caller.
   */
  private async completeLocked(em: EntityManager, task: TaskRow, done: { at: Date; actorId: string | null; via?: OutboundChannel; result?: TaskResult | null }): Promise<number> {
    const { at, actorId, via } = done;
    const result = done.result ?? null;
    await em.query(`UPDATE task SET status = 'done', completed_at = $2, completed_by_id = $3, result = $4 WHERE id = $1`, [task.id, at, actorId, result]);
    const minutes = Math.max(0, Math.round((at.getTime() - new Date(task.created_at).getTime()) / 60_000));
    const payload: Record<string, unknown> = { taskId: task.id, kind: task.kind, title: task.title, afterMinutes: minutes, late: at > new Date(task.due_at) };
    if (result) payload.result = result;
    if (via) {
      payload.via = via;
      payload.text = via === 'phone' ? `called back after ${minutes} min` : `answered by ${via} after ${minutes} min`;
      // The same fact as a code the UI renders in the reader's language (text stays for API consumers).
      payload.code = via === 'phone' ? 'called_back' : 'answered_by';
      payload.params = { minutes, via };
    }
    await this.timeline.record(em, { contactId: task.contact_id, dealId: task.deal_id, kind: 'task_done', channel: via ?? null, actorId, occurredAt: at, payload });
    if (task.kind === 'callback') await this.recordFirstResponse(em, task.deal_id, at);
    return minutes;
  }

  private async recordFirstResponse(em: EntityManager, dealId: string, at: Date): Promise<void> {
    await em.query(`UPDATE deal SET first_response_at = $2, updated_at = now() WHERE id = $1 AND first_response_at IS NULL`, [dealId, at]);
  }
}

/** The channel a client was reached through: 'phone' for calls, else the registered channel's name. */
export type OutboundChannel = string;

/** What came of a task a manager completes by hand (a callback: did they get through?). */
export const TASK_RESULTS = ['reached', 'no_answer', 'wrong_number', 'call_later'] as const;
export type TaskResult = (typeof TASK_RESULTS)[number];

export interface OutboundContact {
  contactId: string;
  channel: OutboundChannel;
  /** When the call was placed or the message sent; default: the clock's now. */
  at?: Date;
  /** The manager who called or wrote, when known. */
  actorId?: string | null;
}

export interface OutboundContactResult {
  dealId: string | null;
  /** The callback task completed by this contact, if one was open. */
  taskId: string | null;
  afterMinutes: number | null;
}

function toTaskView(r: TaskRow): TaskView {
  return {
    id: r.id,
    dealId: r.deal_id,
    contactId: r.contact_id,
    contactName: r.contact_name ?? null,
    assigneeId: r.assignee_id,
    kind: r.kind,
    title: r.title,
    dueAt: new Date(r.due_at).toISOString(),
    status: r.status,
    overdue: !!r.is_overdue,
    missedCalls: Number(r.missed_calls ?? 0),
    callAttempts: Number(r.call_attempts ?? 0),
    completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
    result: r.result ?? null,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
