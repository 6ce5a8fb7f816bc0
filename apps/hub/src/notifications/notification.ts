/** An in-app notice for one manager, as the API and the event stream show it. */
export interface NotificationView {
  id: string;
  managerId: string;
  /** What happened: new_lead, repeat_lead, unassigned_lead, task_overdue, … (the outbox payload's `event`). */
  event: string;
  payload: Record<string, unknown>;
  /** The outbox message it came from. */
  outboxId: string;
  readAt: Date | null;
  createdAt: Date;
}

export const NOTIFICATION_COLUMNS = `id, manager_id AS "managerId", event, payload, outbox_id AS "outboxId", read_at AS "readAt", created_at AS "createdAt"`;
