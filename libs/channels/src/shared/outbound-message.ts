import { OutboxKind, RetryLater, type ConversationsService, type OutboxService } from '@leadline/core';
import type { DataSource } from 'typeorm';

/** The core's part of a manager's message to a client as a channel delivers it. */
export interface OutboundMessagePayload {
  activityId: string;
  contactId: string;
  dealId: string | null;
  /** The address: E.164 phone for WhatsApp and SMS. */
  to: string;
  text: string;
  /** How many files are stored with the message; absent = none. */
  attachments?: number;
}

/** How a delivery ended: sent (with the provider's id), failed for good (with a state and the provider's words), or "not now". */
export type MessageDeliveryOutcome =
  | { status: 'sent'; providerMessageId: string | null; details?: Record<string, unknown> }
  | { status: 'failed'; reason: string; error: string }
  | { status: 'retry-later'; afterMs: number; reason: string };

/**
 * Runs a channel's delivery as an outbox handler: sent → ConversationsService.markSent (with the
 * provider's id, which status webhooks find the message by); failed → markFailed with the state the
 * timeline shows and a notice to the manager who wrote; retry-later → RetryLater (no attempt used).
 */
export async function settleDelivery(
  deps: { db: DataSource; conversations: ConversationsService; outbox: OutboxService },
  channel: string,
  p: OutboundMessagePayload,
  outcome: MessageDeliveryOutcome,
): Promise<void> {
  if (outcome.status === 'retry-later') throw new RetryLater(outcome.afterMs, outcome.reason);
  if (outcome.status === 'sent') {
    await deps.conversations.markSent(p.activityId, { providerMessageId: outcome.providerMessageId, details: outcome.details });
    return;
  }
  await failDelivery(deps, channel, p, outcome.reason, outcome.error);
}

/** The message will not go: the timeline says why (state and words), and its author hears it. */
export async function failDelivery(deps: { db: DataSource; conversations: ConversationsService; outbox: OutboxService }, channel: string, p: OutboundMessagePayload, state: string, error: string): Promise<void> {
  await deps.conversations.markFailed(p.activityId, error);
  await deps.db.query(`UPDATE activity SET payload = payload || jsonb_build_object('errorState', $2::text) WHERE id = $1`, [p.activityId, state]);
  const [a]: Array<{ actor_id: string | null }> = await deps.db.query(`SELECT actor_id FROM activity WHERE id = $1`, [p.activityId]);
  if (!a?.actor_id) return;
  await deps.outbox.enqueue(deps.db.manager, {
    kind: OutboxKind.NotifyManager,
    payload: { event: 'message_failed', managerId: a.actor_id, contactId: p.contactId, dealId: p.dealId, activityId: p.activityId, channel, reason: state, error },
  });
}
