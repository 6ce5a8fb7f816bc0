import { Clock, DomainError, returnedRows, type Viewer } from '@leadline/core';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NOTIFICATION_COLUMNS, type NotificationView } from './notification';
import { NotificationBus } from './notification-bus';

export interface NewNotice {
  outboxId: string;
  event: string;
  payload: Record<string, unknown>;
}

/** In-app notices per manager: stored once per outbox message and recipient, listed, marked read, pushed live. */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly bus: NotificationBus,
  ) {}

  /** A notice for one manager. Throws when the manager does not exist (the outbox retries, then parks it). */
  async notifyManager(managerId: string, notice: NewNotice): Promise<NotificationView[]> {
    const stored = await this.store(`m.id = $5`, [managerId], notice);
    if (stored.length === 0) {
      const [exists] = await this.db.query(`SELECT 1 FROM manager WHERE id = $1`, [managerId]);
      if (!exists) throw new Error(`manager ${managerId} does not exist`);
    }
    return stored;
  }

  /** A notice for every active admin. */
  notifyAdmins(notice: NewNotice): Promise<NotificationView[]> {
    return this.store(`m.role = 'admin' AND m.active`, [], notice);
  }

  /**
   * ON CONFLICT DO NOTHING on (outbox message, recipient): a message delivered again after a crash
   * stores and pushes nothing new. Only rows actually inserted are announced on the bus.
   */
  private async store(recipients: string, params: unknown[], notice: NewNotice): Promise<NotificationView[]> {
    const rows = returnedRows<NotificationView>(
      await this.db.query(
        `INSERT INTO notification (manager_id, outbox_id, event, payload, created_at)
         SELECT m.id, $1, $2, $3::jsonb, $4 FROM manager m WHERE ${recipients}
         ON CONFLICT (outbox_id, manager_id) DO NOTHING
         RETURNING ${NOTIFICATION_COLUMNS}`,
        [notice.outboxId, notice.event, JSON.stringify(notice.payload), this.clock.now(), ...params],
      ),
    );
    await this.bus.publish(rows);
    return rows;
  }

  /** The viewer's own notices, newest first, with the name of the contact each is about (when it names one). */
  list(viewer: Viewer, q: { unread?: boolean; limit?: number }): Promise<Array<NotificationView & { contactName: string | null }>> {
    return this.db.query(
      `SELECT n.id, n.manager_id AS "managerId", n.event, n.payload, n.outbox_id AS "outboxId", n.read_at AS "readAt", n.created_at AS "createdAt",
              c.name AS "contactName"
         FROM notification n
         -- The payload is data: only a well-formed id is cast (CASE evaluates lazily).
         LEFT JOIN contact c ON c.id = CASE WHEN n.payload->>'contactId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                                            THEN (n.payload->>'contactId')::uuid END
        WHERE n.manager_id = $1 ${q.unread ? 'AND n.read_at IS NULL' : ''}
        ORDER BY n.created_at DESC, n.id DESC LIMIT $2`,
      [viewer.id, q.limit ?? 50],
    );
  }

  /** Marks the viewer's given notices (null: all of them) read in one statement; others' ids are ignored. */
  async markManyRead(viewer: Viewer, ids: string[] | null): Promise<{ read: number }> {
    const rows = returnedRows<{ id: string }>(
      await this.db.query(
        `UPDATE notification SET read_at = $2 WHERE manager_id = $1 AND read_at IS NULL ${ids ? 'AND id = ANY($3::uuid[])' : ''} RETURNING id`,
        ids ? [viewer.id, this.clock.now(), ids] : [viewer.id, this.clock.now()],
      ),
    );
    return { read: rows.length };
  }

  /** Marks one of the viewer's notices read (again is fine: the first read time is kept). */
  async markRead(viewer: Viewer, id: string): Promise<NotificationView> {
    const [row] = returnedRows<NotificationView>(
      await this.db.query(
        `UPDATE notification SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND manager_id = $2 RETURNING ${NOTIFICATION_COLUMNS}`,
        [id, viewer.id, this.clock.now()],
      ),
    );
    if (!row) throw DomainError.notFound('notification');
    return row;
  }
}
