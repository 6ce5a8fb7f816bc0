import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { MessageSendPayload } from '../channels/channel-plugin';
import { ChannelRegistry } from '../channels/channel-registry';
import { OutboxHandlerRegistry, type OutboxDelivery, type OutboxHandler } from '../outbox/outbox-handler';
import { OutboxKind } from '../outbox/outbox.service';
import { RetryLater } from '../outbox/retry-later';
import { ConversationsService } from './conversations.service';

/**
 * The outbox handler of 'message.send': hands each manager's message to the channel named in its
 * payload and records how it ended through ConversationsService (markSent / markFailed), so a new
 * channel gets retries, dead-lettering, first response and failure notices without core changes.
 */
@Injectable()
export class MessageDelivery implements OutboxHandler, OnModuleInit {
  readonly kind = OutboxKind.MessageSend;

  constructor(
    private readonly handlers: OutboxHandlerRegistry,
    private readonly channels: ChannelRegistry,
    private readonly conversations: ConversationsService,
  ) {}

  onModuleInit(): void {
    this.handlers.register(this);
  }

  async handle(message: OutboxDelivery): Promise<void> {
    const payload = message.payload as MessageSendPayload;
    const outbound = this.channels.get(payload.channel)?.outbound;
    // Retried, then dead (and the entry failed): a row of a channel this process does not run.
    if (!outbound) throw new Error(`no channel "${payload.channel}" that can send messages is registered`);
    // Delivered already: a retry after a crash between markSent and the outbox row being marked done.
    if (await this.conversations.isSent(payload.activityId)) return;
    const outcome = await outbound.deliver({ outboxId: message.id, attempts: message.attempts, payload });
    switch (outcome.status) {
      case 'sent':
        return this.conversations.markSent(payload.activityId, { providerMessageId: outcome.providerMessageId, details: outcome.details });
      case 'failed':
        return this.conversations.markFailed(payload.activityId, outcome.error, { reason: outcome.reason, notifyAuthor: outbound.notifyAuthorOnFailure });
      case 'retry-later':
        throw new RetryLater(outcome.afterMs, outcome.reason);
    }
  }

  /** The outbox gave up (retries exhausted): the entry reads failed with the last error. */
  async onDead(message: OutboxDelivery, lastError: string): Promise<void> {
    const payload = message.payload as MessageSendPayload;
    const outbound = this.channels.get(payload.channel)?.outbound;
    await this.conversations.markFailed(payload.activityId, lastError, { reason: 'failed', notifyAuthor: outbound?.notifyAuthorOnFailure ?? false });
  }
}
