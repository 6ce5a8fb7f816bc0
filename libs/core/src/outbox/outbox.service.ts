import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../core-options';
import { insertFromJson, OUTBOX_COLUMNS } from '../database/json-rows';
import type { OutboxStatus } from '../entities';
import { returnedRows } from '../database/returned-rows';
import { DomainError } from '../errors/domain-error';

/** Outbox message kinds written by the core. Handlers are registered by channels (SLA/outbox issue). */
export const OutboxKind = {
  /** Tell a manager about a lead, a task, a missed call. payload: { managerId, event, ... } */
  NotifyManager: 'notify.manager',
  /** Tell every admin (e.g. a lead nobody could take). payload: { event, ... } */
  NotifyAdmins: 'notify.admins',
  /**
   * A manager's message to a client through any channel (ConversationsService.send → MessageDelivery →
   * the channel's `deliver`). payload: MessageSendPayload { channel, activityId, contactId, dealId, to,
   * text, attachments?, …what the channel's `compose` added }.
   */
  MessageSend: 'message.send',
  /**
   * How a manager's message ended (delivered or failed), for whoever asked to be told when sending
   * (ConversationsService `confirm`). payload: { activityId, contactId, channel, status: 'sent' | 'failed', error, confirm }
   */
  MessageDeliveryResult: 'message.delivery_result',
} as const;

export interface NewOutboxMessage {
  kind: string;
  payload: Record<string, unknown>;
  /** Not delivered before this instant; default: at once (the database's now). */
  notBefore?: Date;
}

/** Row shape of `outbox` for insertOutboxSql. */
export function outboxRow(m: NewOutboxMessage): Record<string, unknown> {
  return { kind: m.kind, payload: m.payload, next_attempt_at: m.notBefore ? m.notBefore.toISOString() : null };
}

/**
 * INSERT of outbox rows given as one JSON parameter ($param). A row without `notBefore` is due at the
 * database's now(), never at the domain clock's: delivery is infrastructure time, and a clock set far
 * ahead or behind (a test, a backdated import) must not delay or hide a notice.
 */
export function insertOutboxSql(param: number): string {
  return insertFromJson('outbox', OUTBOX_COLUMNS, param, { next_attempt_at: 'COALESCE(next_attempt_at, now())' });
}

/** An outbox row as the admin API shows it. */
export interface OutboxView {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const VIEW_COLUMNS = `id, kind, payload, status, attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError", created_at AS "createdAt", updated_at AS "updatedAt"`;

@Injectable()
export class OutboxService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Adds side effects to run after the caller's transaction commits. */
  async enqueue(em: EntityManager, ...messages: NewOutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await em.query(insertOutboxSql(1), [JSON.stringify(messages.map(outboxRow))]);
  }

  /** Rows in the given states, most recently changed first (default: the ones needing attention, failed and dead). */
  async list(statuses: OutboxStatus[] = ['failed', 'dead'], limit = 100): Promise<OutboxView[]> {
    return this.db.query(`SELECT ${VIEW_COLUMNS} FROM outbox WHERE status = ANY($1::text[]) ORDER BY updated_at DESC, id DESC LIMIT $2`, [statuses, limit]);
  }

  /** Puts a failed or dead message back in line now, with a fresh attempt budget. The last error is kept for reference. */
  async retry(id: string, em?: EntityManager): Promise<OutboxView> {
    const db = em ?? this.db;
    const rows = returnedRows<OutboxView>(
      await db.query(
        `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = GREATEST($2::timestamptz, now()), claimed_at = NULL, claim_token = NULL, updated_at = now()
          WHERE id = $1 AND status IN ('failed', 'dead')
        RETURNING ${VIEW_COLUMNS}`,
        [id, this.clock.now()],
      ),
    );
    if (rows[0]) return rows[0];
    const [existing] = await db.query(`SELECT status FROM outbox WHERE id = $1`, [id]);
    if (!existing) throw DomainError.notFound('outbox message');
    throw DomainError.conflict(`only failed or dead messages can be retried (this one is ${existing.status})`);
  }
}
