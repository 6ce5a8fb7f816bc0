import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { insertFromJson, OUTBOX_COLUMNS } from '../database/json-rows';

/** Outbox message kinds written by the core. Handlers are registered by channels (SLA/outbox issue). */
export const OutboxKind = {
  /** Tell a manager about a lead, a task, a missed call. payload: { managerId, event, ... } */
  NotifyManager: 'notify.manager',
  /** Tell every admin (e.g. a lead nobody could take). payload: { event, ... } */
  NotifyAdmins: 'notify.admins',
} as const;

export interface NewOutboxMessage {
  kind: string;
  payload: Record<string, unknown>;
  notBefore?: Date;
}

/** Row shape of `outbox` for insertFromJson. */
export function outboxRow(m: NewOutboxMessage): Record<string, unknown> {
  return { kind: m.kind, payload: m.payload, next_attempt_at: (m.notBefore ?? new Date()).toISOString() };
}

@Injectable()
export class OutboxService {
  /** Adds side effects to run after the caller's transaction commits. */
  async enqueue(em: EntityManager, ...messages: NewOutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await em.query(insertFromJson('outbox', OUTBOX_COLUMNS, 1), [JSON.stringify(messages.map(outboxRow))]);
  }
}
