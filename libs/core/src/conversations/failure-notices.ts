import { OutboxKind, type NewOutboxMessage } from '../outbox/outbox.service';

/** A manager's message that has just turned failed, as both paths that find it failed know it. */
export interface FailedMessage {
  activityId: string;
  contactId: string;
  dealId: string | null;
  channel: string;
  /** The manager who wrote it; null for an automatic message (the missed-call SMS). */
  actorId: string | null;
  /** Whoever asked to hear how delivery ended (a reply from the Telegram manager bot). */
  confirm: Record<string, unknown> | null;
}

/**
 * Who is told that a manager's message did not reach the client, in one shape whichever way the
 * failure was learnt (the channel's send refused it — ConversationsService.markFailed — or the provider
 * reported it later — DeliveryStatusService): the author gets a 'message_failed' notice with the reason
 * code (when `notifyAuthor`), and whoever asked to hear gets the 'message.delivery_result'.
 */
export function failureNotices(m: FailedMessage, failure: { reason: string; error: string; notifyAuthor: boolean }): NewOutboxMessage[] {
  const notices: NewOutboxMessage[] = [];
  if (m.confirm) {
    notices.push({
      kind: OutboxKind.MessageDeliveryResult,
      payload: { activityId: m.activityId, contactId: m.contactId, channel: m.channel, status: 'failed', error: failure.error, confirm: m.confirm },
    });
  }
  if (failure.notifyAuthor && m.actorId) {
    notices.push({
      kind: OutboxKind.NotifyManager,
      payload: {
        event: 'message_failed',
        managerId: m.actorId,
        contactId: m.contactId,
        dealId: m.dealId,
        activityId: m.activityId,
        channel: m.channel,
        reason: failure.reason,
        error: failure.error,
      },
    });
  }
  return notices;
}
