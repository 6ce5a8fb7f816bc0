import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../core-options';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { TimelineService } from '../timeline/timeline.service';
import { execute, mutateRows, queryRows } from '../database/query-rows';

/** Client message kinds a channel may later learn an edit of. */
const INBOUND_KINDS = ['lead', 'repeat_lead', 'message_in'];

/** A report that a message we sent never reached the client (an email bounce), as the channel read it. */
export interface MessageBounce {
  channel: string;
  /** The report's own id: a redelivered report is recorded once (its inbound receipt). */
  externalId: string;
  /** The report as received, kept on the receipt. */
  raw: unknown;
  contactId: string;
  dealId: string | null;
  /** The message_out entry it reports on and its author, when known. */
  original: { activityId: string | null; actorId: string | null };
  /** Why, in a line ("bounced: 550 5.1.1 user unknown"). */
  error: string;
  /** The addresses that failed. */
  recipients: string[];
  /** What the bounce entry shows (subject, message, status, diagnostic, details). */
  payload: Record<string, unknown>;
}

/**
 * What a channel learns about a message after it was written to the timeline: delivery progress of a
 * message in several parts, a client's edit of their message, a delivery failure reported later.
 * Channels write the timeline only through core; these are the writes they need beyond intake and
 * ConversationsService.markSent/markFailed.
 */
@Injectable()
export class MessageUpdates {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly timeline: TimelineService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /**
   * Merges `details` into a message_out entry's details while it is still being delivered (which parts
   * went out), so a retry after a crash resumes after the last part instead of sending it twice.
   */
  async recordDeliveryProgress(activityId: string, details: Record<string, unknown>): Promise<void> {
    await execute(
      this.db,
      `UPDATE activity SET payload = jsonb_set(payload, '{details}', COALESCE(payload->'details', '{}'::jsonb) || $2::jsonb) WHERE id = $1 AND kind = 'message_out'`,
      [activityId, JSON.stringify(details)],
    );
  }

  /**
   * A client edited a message of theirs: the entry (found by the channel's own ids in its details, e.g.
   * bot, chat and message id) shows the new text and says it was edited; the first text is kept.
   * False when no entry matches (a message from before the hub knew the chat).
   */
  async applyInboundEdit(channel: string, detailsMatch: Record<string, string>, edit: { text: string | null; editedAt: Date }): Promise<boolean> {
    const params: unknown[] = [channel, INBOUND_KINDS, edit.text, edit.editedAt.toISOString()];
    const match = Object.entries(detailsMatch).map(([key, value]) => {
      params.push(key, value);
      return `payload->'details'->>$${params.length - 1}::text = $${params.length}`;
    });
    if (!match.length) throw new Error('applyInboundEdit needs the ids that identify the message');
    const rows = await mutateRows<{ id: string }>(
      this.db,
      `UPDATE activity SET payload = payload
              || jsonb_build_object('message', $3::text, 'edited', true, 'editedAt', $4::text)
              || CASE WHEN payload ? 'originalMessage' THEN '{}'::jsonb ELSE jsonb_build_object('originalMessage', payload->'message') END
        WHERE channel = $1 AND kind = ANY($2::text[]) AND ${match.join(' AND ')}
       RETURNING id`,
      params,
    );
    return rows.length > 0;
  }

  /**
   * A delivery failure reported after the message was sent: a message_bounced entry on the contact's
   * timeline, the sent message marked failed (pointing at the bounce), and its author told (the same
   * notice as a failed Telegram reply) — once per report. Returns the bounce entry's id, or null for a
   * report recorded before.
   */
  async recordBounce(b: MessageBounce): Promise<string | null> {
    const activityId = randomUUID();
    const at = this.clock.now();
    return this.db.transaction(async (em) => {
      const claimed = await queryRows<{ id: string }>(
        em,
        `INSERT INTO inbound_receipt (channel, external_id, status, raw, received_at, processed_at) VALUES ($1, $2, 'processed', $3, now(), now())
         ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`,
        [b.channel, b.externalId, JSON.stringify(b.raw)],
      );
      if (!claimed.length) return null;
      await this.timeline.record(em, { id: activityId, contactId: b.contactId, dealId: b.dealId, kind: 'message_bounced', channel: b.channel, occurredAt: at, payload: b.payload });
      if (b.original.activityId) {
        await execute(em, `UPDATE activity SET payload = payload || $2::jsonb WHERE id = $1 AND kind = 'message_out'`, [
          b.original.activityId,
          JSON.stringify({ status: 'failed', error: b.error, failedAt: at.toISOString(), bounceActivityId: activityId }),
        ]);
      }
      if (b.original.actorId) {
        await this.outbox.enqueue(em, {
          kind: OutboxKind.NotifyManager,
          payload: {
            event: 'message_failed',
            managerId: b.original.actorId,
            contactId: b.contactId,
            dealId: b.dealId,
            activityId: b.original.activityId,
            bounceActivityId: activityId,
            channel: b.channel,
            reason: 'bounced',
            error: b.error,
            recipients: b.recipients,
          },
        });
      }
      return activityId;
    });
  }
}
