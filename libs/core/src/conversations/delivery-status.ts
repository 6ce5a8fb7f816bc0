import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../core-options';
import { OutboxService } from '../outbox/outbox.service';
import { failureNotices } from './failure-notices';
import { TasksService, type OutboundChannel } from '../tasks/tasks.service';
import { execute, mutateRows, queryRow } from '../database/query-rows';

/** What a messaging provider reports about a message we sent (WhatsApp statuses, Twilio status callbacks). */
export type ProviderDeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

/** A provider's refusal as the timeline shows it: a short machine state, the provider's code and words. */
export interface DeliveryFailure {
  /** e.g. window_closed, undeliverable, opted_out, rate_limited, media_failed, token_invalid, template_rejected, rejected. */
  state: string;
  code: string | null;
  reason: string;
}

export interface DeliveryStatusUpdate {
  channel: string;
  /** The provider's id of our message (wamid, Twilio MessageSid), as recorded by markSent. */
  providerMessageId: string;
  status: ProviderDeliveryStatus;
  /** When the provider says it happened. */
  at: Date;
  failure?: DeliveryFailure;
}

export type DeliveryStatusOutcome = 'applied' | 'recorded' | 'duplicate' | 'unknown';

/**
 * Where a message stands after `incoming`, given where it stands (`current`), or null when the
 * update changes nothing. Providers deliver status callbacks out of order and more than once: a
 * message only moves forward (sent → delivered → read); a late "sent" after "delivered", or
 * "delivered" after "read", is only recorded as a timestamp. "failed" ends a message that has not
 * reached the client; once it was delivered or read, a failure report cannot undo that.
 */
export function nextDeliveryStatus(current: string | null, incoming: ProviderDeliveryStatus): ProviderDeliveryStatus | null {
  const rank: Record<string, number> = { queued: 0, sent: 1, delivered: 2, read: 3 };
  const now = current ?? 'queued';
  if (incoming === 'failed') return now === 'failed' || now === 'delivered' || now === 'read' ? null : 'failed';
  // A failed message later reported delivered (a provider retried it after all): it reached the client.
  if (now === 'failed') return incoming === 'sent' ? null : incoming;
  return rank[incoming] > (rank[now] ?? 0) ? incoming : null;
}

/** A status that proves the client's phone has the message: the first one counts as our answer. */
const REACHED_CLIENT: ReadonlySet<string> = new Set(['delivered', 'read']);

interface OutboundRow {
  id: string;
  contact_id: string;
  actor_id: string | null;
  status: string | null;
  reached: boolean;
  confirm: Record<string, unknown> | null;
  automatic: string | null;
}

/**
 * Applies providers' delivery reports to the manager's message on the timeline. For channels that
 * report delivery (WhatsApp, SMS), a message counts as an answer to the client (completes the open
 * callback task, records the first response) only when it reached the client's phone — a message the
 * provider accepted and then failed (window closed, number not on WhatsApp) is no first response.
 */
@Injectable()
export class DeliveryStatusService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly tasks: TasksService,
    private readonly outbox: OutboxService,
  ) {}

  async apply(update: DeliveryStatusUpdate): Promise<DeliveryStatusOutcome> {
    return this.db.transaction(async (em) => {
      const row = await queryRow<OutboundRow>(
        em,
        `SELECT id, contact_id, actor_id, payload->>'status' AS status, payload->'confirm' AS confirm, payload->>'automatic' AS automatic,
                (payload->'deliveryTimes' ? 'delivered' OR payload->'deliveryTimes' ? 'read') AS reached
           FROM activity
          WHERE kind = 'message_out' AND channel = $1 AND payload->>'providerMessageId' = $2
          ORDER BY created_at LIMIT 1 FOR UPDATE`,
        [update.channel, update.providerMessageId],
      );
      // A message sent outside the hub (the phone app, another tool on the same number): not ours.
      if (!row) return 'unknown';
      const at = update.at.toISOString();
      const next = nextDeliveryStatus(row.status, update.status);
      // Every report is kept as the time of its step (the first one wins), even one that comes too late to move the status.
      const times = await mutateRows<{ id: string }>(
        em,
        `UPDATE activity SET payload = jsonb_set(payload, '{deliveryTimes}', jsonb_build_object($2::text, $3::text) || COALESCE(payload->'deliveryTimes', '{}'::jsonb))
          WHERE id = $1 AND NOT COALESCE(payload->'deliveryTimes' ? $2, false) RETURNING id`,
        [row.id, update.status, at],
      );
      const firstReport = times.length > 0;
      if (!next) return firstReport ? 'recorded' : 'duplicate';
      const patch: Record<string, unknown> = { status: next, statusAt: at };
      if (next === 'failed') {
        const failure = update.failure ?? { state: 'failed', code: null, reason: 'the provider reported the message as not delivered' };
        Object.assign(patch, { error: failure.reason.slice(0, 1000), errorCode: failure.code, errorState: failure.state, failedAt: at });
      }
      await execute(em, `UPDATE activity SET payload = (payload - 'error' - 'errorCode' - 'errorState' - 'failedAt') || $2::jsonb WHERE id = $1`, [row.id, JSON.stringify(patch)]);
      // An automatic message (the missed-call SMS) tells the client we will call; it is no answer by a manager.
      if (REACHED_CLIENT.has(next) && !row.reached && !row.automatic) {
        await this.tasks.recordOutboundContact(em, { contactId: row.contact_id, channel: update.channel as OutboundChannel, at: this.clock.now(), actorId: row.actor_id });
      }
      if (next === 'failed') await this.tellFailed(em, row, update.channel, patch);
      return 'applied';
    });
  }

  /** The manager who wrote is told it did not go through, and so is a Telegram bot reply waiting to hear (confirm). */
  private async tellFailed(em: EntityManager, row: OutboundRow, channel: string, patch: Record<string, unknown>): Promise<void> {
    const deal = await queryRow<{ deal_id: string | null }>(em, `SELECT deal_id FROM activity WHERE id = $1`, [row.id]);
    const message = { activityId: row.id, contactId: row.contact_id, dealId: deal?.deal_id ?? null, channel, actorId: row.actor_id, confirm: row.confirm };
    await this.outbox.enqueue(em, ...failureNotices(message, { reason: String(patch.errorState ?? 'failed'), error: String(patch.error ?? ''), notifyAuthor: true }));
  }
}

