import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { Clock } from '../core-options';
import { DomainError } from '../errors/domain-error';
import { clampLimit } from '../pagination/cursor';
import { TimelineService } from '../timeline/timeline.service';

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
  completedAt: string | null;
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
  async list(viewer: Viewer, q: { mine?: boolean; overdue?: boolean; status?: 'open' | 'done' | 'cancelled'; assigneeId?: string; limit?: number }): Promise<TaskView[]> {
    const params: unknown[] = [this.clock.now()];
    const where: string[] = [];
    if (!isAdmin(viewer) || q.mine) {
      params.push(viewer.id);
      where.push(`t.assignee_id = $${params.length}`);
    } else if (q.assigneeId) {
      params.push(q.assigneeId);
      where.push(`t.assignee_id = $${params.length}`);
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

  /** Marks a task done by hand. Completing the callback task records the deal's first response time. */
  async complete(viewer: Viewer, taskId: string): Promise<TaskView> {
    await this.db.transaction(async (em) => {
      const params: unknown[] = [taskId];
      const scope = isAdmin(viewer) ? '' : ' AND assignee_id = $2';
      if (!isAdmin(viewer)) params.push(viewer.id);
      const [task] = await em.query(`SELECT * FROM task WHERE id = $1${scope} FOR UPDATE`, params);
      if (!task) throw DomainError.notFound('task');
      if (task.status !== 'open') throw DomainError.conflict(`task is already ${task.status}`);
      const now = this.clock.now();
      await em.query(`UPDATE task SET status = 'done', completed_at = $2, completed_by_id = $3 WHERE id = $1`, [taskId, now, viewer.id]);
      const minutes = Math.round((now.getTime() - new Date(task.created_at).getTime()) / 60_000);
      await this.timeline.record(em, {
        contactId: task.contact_id,
        dealId: task.deal_id,
        kind: 'task_done',
        actorId: viewer.id,
        occurredAt: now,
        payload: { taskId, kind: task.kind, title: task.title, afterMinutes: minutes, late: now > new Date(task.due_at) },
      });
      if (task.kind === 'callback') {
        await em.query(`UPDATE deal SET first_response_at = $2, updated_at = now() WHERE id = $1 AND first_response_at IS NULL`, [task.deal_id, now]);
      }
    });
    const [row] = await this.db.query(
      `SELECT t.*, c.name AS contact_name, false AS is_overdue FROM task t JOIN contact c ON c.id = t.contact_id WHERE t.id = $1`,
      [taskId],
    );
    return toTaskView(row);
  }
}

function toTaskView(r: any): TaskView {
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
    completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
