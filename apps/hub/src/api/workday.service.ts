import { AssignmentService, Clock, ContactsService, CORE_OPTIONS, DomainError, isAdmin, slaInstants, TimelineService, type CoreOptions, type TaskView, type TimelineEntry, type Viewer } from '@leadline/core';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Small steps of a manager's day the admin UI needs: notes and tasks on a contact, snoozing a task, handing a contact over. */
@Injectable()
export class WorkdayService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsService,
    private readonly timeline: TimelineService,
    private readonly assignment: AssignmentService,
    private readonly clock: Clock,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  /** A note on the contact's timeline (on its open deal, if any). Another manager's contact → 404. */
  async addNote(viewer: Viewer, contactId: string, text: string): Promise<TimelineEntry> {
    const contact = await this.contacts.get(viewer, contactId);
    const openDeal = (contact.deals as Array<{ id: string; closedAt: string | null }>).find((d) => !d.closedAt);
    const at = this.clock.now();
    await this.db.transaction(async (em) => {
      await this.timeline.record(em, { contactId, dealId: openDeal?.id ?? null, kind: 'note', actorId: viewer.id, occurredAt: at, payload: { text } });
      await em.query(`UPDATE contact SET last_activity_at = GREATEST(last_activity_at, $2), updated_at = now() WHERE id = $1`, [contactId, at]);
    });
    const page = await this.contacts.timeline(viewer, contactId, { limit: 20 });
    const note = page.items.find((e) => e.kind === 'note' && e.actorId === viewer.id && e.payload.text === text);
    if (!note) throw new Error('note written but not found on the timeline');
    return note;
  }

  /**
   * Moves an open task's due time to `until` (in the future). The SLA clocks start over from the
   * new due time: reminder and escalation instants are recomputed and their stamps cleared.
   */
  async snooze(viewer: Viewer, taskId: string, until: Date): Promise<{ id: string; dueAt: string }> {
    if (until <= this.clock.now()) throw DomainError.invalid('until must be in the future', { until: 'must be later than now' });
    const { remindAt, escalateAt } = slaInstants(this.options.businessHours, this.options.sla, until);
    return this.db.transaction(async (em) => {
      const params: unknown[] = [taskId];
      if (!isAdmin(viewer)) params.push(viewer.id);
      const [task] = await em.query(`SELECT id, status FROM task WHERE id = $1${isAdmin(viewer) ? '' : ' AND assignee_id = $2'} FOR UPDATE`, params);
      if (!task) throw DomainError.notFound('task');
      if (task.status !== 'open') throw DomainError.conflict(`task is already ${task.status}`);
      await em.query(
        // A task without an escalation (a follow-up) stays without one.
        `UPDATE task SET due_at = $2, remind_at = $3, escalate_at = CASE WHEN escalate_at IS NULL THEN NULL ELSE $4::timestamptz END,
                reminded_at = NULL, overdue_at = NULL, escalated_at = NULL WHERE id = $1`,
        [taskId, until, remindAt, escalateAt],
      );
      return { id: taskId, dueAt: until.toISOString() };
    });
  }

  /**
   * A follow-up task on the contact's open deal (none → 400), for the viewer (an admin's task goes
   * to the deal's owner). Reminded before due like any task; not escalated.
   */
  async addTask(viewer: Viewer, contactId: string, input: { title: string; dueAt: Date }): Promise<TaskView> {
    const contact = await this.contacts.get(viewer, contactId);
    if (input.dueAt <= this.clock.now()) throw DomainError.invalid('dueAt must be in the future', { dueAt: 'must be later than now' });
    const deal = (contact.deals as Array<{ id: string; closedAt: string | null; ownerId: string | null }>).find((d) => !d.closedAt);
    if (!deal) throw DomainError.invalid('the contact has no open deal to hang a task on', { contactId: 'no open deal' });
    const assigneeId = isAdmin(viewer) ? (deal.ownerId ?? viewer.id) : viewer.id;
    const { remindAt } = slaInstants(this.options.businessHours, this.options.sla, input.dueAt);
    const at = this.clock.now();
    const id = await this.db.transaction(async (em) => {
      const [row] = await em.query(
        `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at, created_at)
         VALUES ($1, $2, $3, 'follow_up', $4, $5, $6, NULL, $7) RETURNING id`,
        [deal.id, contactId, assigneeId, input.title, input.dueAt, remindAt, at],
      );
      await this.timeline.record(em, {
        contactId,
        dealId: deal.id,
        kind: 'task_created',
        actorId: viewer.id,
        occurredAt: at,
        payload: { taskId: row.id, kind: 'follow_up', title: input.title, dueAt: input.dueAt.toISOString(), assigneeId },
      });
      return row.id as string;
    });
    const tasks = await this.tasksOf(contactId);
    return tasks.find((t) => t.id === id)!;
  }

  private async tasksOf(contactId: string): Promise<TaskView[]> {
    const rows = await this.db.query(
      `SELECT t.id, t.deal_id, t.contact_id, c.name AS contact_name, t.assignee_id, t.kind, t.title, t.due_at, t.status, t.completed_at, t.created_at,
              (t.status = 'open' AND t.due_at < $2) AS is_overdue
         FROM task t JOIN contact c ON c.id = t.contact_id WHERE t.contact_id = $1`,
      [contactId, this.clock.now()],
    );
    return rows.map((r: any) => ({
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
      completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
      result: r.result ?? null,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /**
   * An admin hands a contact to another active manager: the contact, its open deals and their open
   * tasks change owner; each deal gets an "assigned" entry with the reason and the manager a notice.
   */
  async reassign(admin: Viewer, contactId: string, managerId: string) {
    await this.db.transaction(async (em) => {
      const [contact] = await em.query(`SELECT id FROM contact WHERE id = $1 AND merged_into_id IS NULL FOR UPDATE`, [contactId]);
      if (!contact) throw DomainError.notFound('contact');
      const [manager] = await em.query(`SELECT id, name FROM manager WHERE id = $1 AND active`, [managerId]);
      if (!manager) throw DomainError.invalid('no active manager with this id', { managerId: 'not an active manager' });
      await em.query(`UPDATE contact SET owner_id = $2, updated_at = now() WHERE id = $1`, [contactId, managerId]);
      const deals: Array<{ id: string }> = await em.query(`SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at FOR UPDATE`, [contactId]);
      for (const deal of deals) {
        await this.assignment.apply(em, { id: deal.id, contactId }, { managerId, managerName: manager.name, rule: 'manual', reason: `reassigned by ${admin.name}` }, admin.id);
      }
    });
    return this.contacts.get(admin, contactId);
  }
}
