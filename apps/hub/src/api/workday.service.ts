import { Clock, ContactsService, CORE_OPTIONS, DomainError, isAdmin, slaInstants, TimelineService, type CoreOptions, type TimelineEntry, type Viewer } from '@leadline/core';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Small steps of a manager's day the admin UI needs: notes on a contact, snoozing a task. */
@Injectable()
export class WorkdayService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsService,
    private readonly timeline: TimelineService,
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
        `UPDATE task SET due_at = $2, remind_at = $3, escalate_at = $4, reminded_at = NULL, overdue_at = NULL, escalated_at = NULL WHERE id = $1`,
        [taskId, until, remindAt, escalateAt],
      );
      return { id: taskId, dueAt: until.toISOString() };
    });
  }
}
