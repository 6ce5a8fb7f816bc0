import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** Outbox message kinds written by the core. Handlers are registered by channels (SLA/outbox issue). */
export const OutboxKind = {
  /** Tell a manager about a lead, a task, a missed call. payload: { managerId, event, ... } */
  NotifyManager: 'notify.manager',
  /** Tell every admin (e.g. a lead nobody could take). payload: { event, ... } */
  NotifyAdmins: 'notify.admins',
} as const;

@Injectable()
export class OutboxService {
  /** Adds a side effect to run after the caller's transaction commits. */
  async enqueue(em: EntityManager, kind: string, payload: Record<string, unknown>, notBefore?: Date): Promise<string> {
    const [row] = await em.query(`INSERT INTO outbox (kind, payload, next_attempt_at) VALUES ($1, $2, $3) RETURNING id`, [
      kind,
      JSON.stringify(payload),
      notBefore ?? new Date(),
    ]);
    return row.id;
  }
}
