import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { ContactsService } from '../contacts/contacts.service';
import { Clock, CORE_OPTIONS, type CoreOptions } from '../core-options';
import { DomainError } from '../errors/domain-error';
import { clampLimit } from '../pagination/cursor';
import { slaInstants } from '../sla/sla-schedule';
import { TimelineService } from '../timeline/timeline.service';
import {
  insertFollowUp,
  lockDeal,
  lockLatestOpenDeal,
  lockOpenCallback,
  lockTaskWithDeal,
  markTaskDone,
  rescheduleTask,
  selectTaskView,
  selectTaskViews,
  stampFirstResponse,
  type TaskResult,
  type TaskRow,
  type TaskViewRow,
} from './task-queries';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

export { TASK_RESULTS, type TaskResult, type TaskRow, type TaskViewRow } from './task-queries';

export type TaskView = Wire.Task;

/** A task moved to a later due time. */
export interface SnoozedTask {
  id: string;
  dueAt: string;
}

/** A follow-up a manager sets themselves on a contact ("send the price list tomorrow at 10"). */
export interface NewFollowUp {
  title: string;
  dueAt: Date;
}

/**
 * Tasks and their rules — listing, completing (by hand or by an outbound contact), snoozing, adding a
 * follow-up — for the API, the bots and the channels alike.
 */
@Injectable()
export class TasksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly timeline: TimelineService,
    private readonly contacts: ContactsService,
    private readonly clock: Clock,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  /** Tasks due soonest first. Managers only ever see their own. */
  async list(viewer: Viewer, q: { mine?: boolean; overdue?: boolean; status?: 'open' | 'done' | 'cancelled'; assigneeId?: string; contactId?: string; limit?: number }): Promise<TaskView[]> {
    const rows = await selectTaskViews(this.db, {
      now: this.clock.now(),
      assigneeId: !isAdmin(viewer) || q.mine ? viewer.id : q.assigneeId,
      contactId: q.contactId,
      status: q.overdue ? 'open' : (q.status ?? 'open'),
      overdueOnly: !!q.overdue,
      limit: clampLimit(q.limit, 500, 100),
    });
    return rows.map(toTaskView);
  }

  /**
   * Marks a task done by hand, with what came of it (`result`, optional: reached, no answer, …) kept on
   * the task and its timeline entry. Completing the callback task records the deal's first response time.
   */
  async complete(viewer: Viewer, taskId: string, result: TaskResult | null = null): Promise<TaskView> {
    await this.db.transaction(async (em) => {
      const task = await lockTaskWithDeal(em, taskId, isAdmin(viewer) ? undefined : viewer.id);
      if (!task) throw DomainError.notFound('task');
      if (task.status !== 'open') throw DomainError.conflict(`task is already ${task.status}`);
      await this.completeLocked(em, task, { at: this.clock.now(), actorId: viewer.id, result });
    });
    return this.view(taskId);
  }

  /**
   * Moves an open task's due time to `until` (in the future). The SLA clocks start over from the new
   * due time (see `reschedule`). A manager snoozes only their own tasks; another's is 404.
   */
  async snooze(viewer: Viewer, taskId: string, until: Date): Promise<SnoozedTask> {
    if (until <= this.clock.now()) throw DomainError.invalid('until must be in the future', { until: 'must be later than now' });
    return this.db.transaction(async (em) => {
      const task = await lockTaskWithDeal(em, taskId, isAdmin(viewer) ? undefined : viewer.id);
      if (!task) throw DomainError.notFound('task');
      if (task.status !== 'open') throw DomainError.conflict(`task is already ${task.status}`);
      await this.reschedule(em, task, until);
      return { id: taskId, dueAt: until.toISOString() };
    });
  }

  /**
   * "Snooze N min" on a lead card: the deal's open callback task moves N minutes past now (or past its
   * due time, if that is later), by the same rule as `snooze`, and the timeline says so (`via` is the
   * channel the button was pressed in). A manager acts on a callback of a deal they own or a task they
   * are assigned. Null when the deal has no open callback task (done meanwhile).
   */
  async snoozeCallback(viewer: Viewer, dealId: string, minutes: number, via: OutboundChannel): Promise<Date | null> {
    return this.db.transaction(async (em) => {
      await lockDeal(em, dealId);
      const task = await lockOpenCallback(em, dealId, isAdmin(viewer) ? undefined : viewer.id);
      if (!task) return null;
      const now = this.clock.now();
      const due = new Date(Math.max(now.getTime(), new Date(task.due_at).getTime()) + minutes * 60_000);
      await this.reschedule(em, task, due);
      await this.timeline.record(em, {
        contactId: task.contact_id,
        dealId,
        kind: 'note',
        actorId: viewer.id,
        occurredAt: now,
        payload: { text: `callback snoozed ${minutes} min, due ${due.toISOString()}`, taskId: task.id, snoozedUntil: due.toISOString(), via },
      });
      return due;
    });
  }

  /**
   * A follow-up task on the contact's open deal (none → 400), for the viewer (an admin's task goes to
   * the deal's owner). Reminded before due like any task; never escalated. Another manager's contact → 404.
   */
  async addFollowUp(viewer: Viewer, contactId: string, input: NewFollowUp): Promise<TaskView> {
    const contact = await this.contacts.get(viewer, contactId);
    if (input.dueAt <= this.clock.now()) throw DomainError.invalid('dueAt must be in the future', { dueAt: 'must be later than now' });
    // Newest first: the first open one is the deal a new task belongs to.
    const deal = (contact.deals as Array<{ id: string; closedAt: string | null; ownerId: string | null }>).find((d) => !d.closedAt);
    if (!deal) throw DomainError.invalid('the contact has no open deal to hang a task on', { contactId: 'no open deal' });
    const assigneeId = isAdmin(viewer) ? (deal.ownerId ?? viewer.id) : viewer.id;
    const { remindAt } = slaInstants(this.options.businessHours, this.options.sla, input.dueAt);
    const at = this.clock.now();
    const task = await this.db.transaction(async (em) => {
      const row = await insertFollowUp(em, { dealId: deal.id, contactId, assigneeId, title: input.title, dueAt: input.dueAt, remindAt, createdAt: at });
      await this.timeline.record(em, {
        contactId,
        dealId: deal.id,
        kind: 'task_created',
        actorId: viewer.id,
        occurredAt: at,
        payload: { taskId: row.id, kind: 'follow_up', title: input.title, dueAt: input.dueAt.toISOString(), assigneeId },
      });
      return row;
    });
    return this.view(task.id);
  }

  /**
   * A connected outbound call (or an answered incoming one) or a message to a contact (recorded by the
   * telephony, email or Telegram channel): completes the open callback task of the contact's open deal ("called back after 7 min")
   * and stores the deal's first response time. Runs in the caller's transaction when given one.
   */
  async recordOutboundContact(em: EntityManager | undefined, contact: OutboundContact): Promise<OutboundContactResult> {
    if (!em) return this.db.transaction((tx) => this.recordOutboundContact(tx, contact));
    const at = contact.at ?? this.clock.now();
    const deal = await lockLatestOpenDeal(em, contact.contactId);
    if (!deal) return { dealId: null, taskId: null, afterMinutes: null };
    const task = await lockOpenCallback(em, deal.id);
    if (!task) {
      await stampFirstResponse(em, deal.id, at);
      return { dealId: deal.id, taskId: null, afterMinutes: null };
    }
    const afterMinutes = await this.completeLocked(em, task, { at, actorId: contact.actorId ?? null, via: contact.channel });
    return { dealId: deal.id, taskId: task.id, afterMinutes };
  }

  private async view(taskId: string): Promise<TaskView> {
    const row = await selectTaskView(this.db, taskId, this.clock.now());
    if (!row) throw DomainError.notFound('task');
    return toTaskView(row);
  }

  /**
   * The one snooze rule, whoever snoozes (the admin UI, a lead card in Telegram): the new due time with
   * SLA instants computed from it; reminder, overdue and escalation come again. A task without an
   * escalation (a follow-up) stays without one. `task` is the row, locked by the caller.
   */
  private async reschedule(em: EntityManager, task: TaskRow, dueAt: Date): Promise<void> {
    const { remindAt, escalateAt } = slaInstants(this.options.businessHours, this.options.sla, dueAt);
    await rescheduleTask(em, task.id, { dueAt, remindAt, escalateAt });
  }

  /**
   * The one way a task gets done (by hand or by an outbound contact): status, the timeline entry, and
   * for the callback task the deal's first response time. `task` is the row, locked by the caller.
   */
  private async completeLocked(em: EntityManager, task: TaskRow, done: { at: Date; actorId: string | null; via?: OutboundChannel; result?: TaskResult | null }): Promise<number> {
    const { at, actorId, via } = done;
    const result = done.result ?? null;
    await markTaskDone(em, task.id, { at, actorId, result });
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
    if (task.kind === 'callback') await stampFirstResponse(em, task.deal_id, at);
    return minutes;
  }
}

/** The channel a client was reached through: 'phone' for calls, else the registered channel's name. */
export type OutboundChannel = string;

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

/** The one task view, whoever asks (task list, completion, a new follow-up). */
export function toTaskView(r: TaskViewRow): TaskView {
  return {
    id: r.id,
    dealId: r.deal_id,
    contactId: r.contact_id,
    contactName: r.contact_name,
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
