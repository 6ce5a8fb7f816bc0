import { NoticeRelayRegistry, OutboxHandlerRegistry, OutboxKind, type OutboxDelivery } from '@leadline/core';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { NotificationsService } from './notifications.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Handles the core's notice kinds by storing in-app notifications (read through the API, pushed on
 * GET /api/events). Stands in until the Telegram manager bot delivers notices to managers.
 */
@Injectable()
export class InAppNotifier implements OnModuleInit {
  constructor(
    private readonly registry: OutboxHandlerRegistry,
    private readonly notifications: NotificationsService,
    private readonly relays: NoticeRelayRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({ kind: OutboxKind.NotifyManager, handle: (m) => this.toManager(m) });
    this.registry.register({ kind: OutboxKind.NotifyAdmins, handle: (m) => this.toAdmins(m) });
  }

  private async toManager(message: OutboxDelivery): Promise<void> {
    const managerId = message.payload.managerId;
    if (typeof managerId !== 'string' || !UUID.test(managerId)) throw new Error(`payload.managerId must be a manager id (got ${JSON.stringify(managerId)})`);
    await this.notifications.notifyManager(managerId, notice(message));
    await this.relays.relay(message);
  }

  private async toAdmins(message: OutboxDelivery): Promise<void> {
    await this.notifications.notifyAdmins(notice(message));
    await this.relays.relay(message);
  }
}

function notice(message: OutboxDelivery) {
  const event = typeof message.payload.event === 'string' && message.payload.event ? message.payload.event : message.kind;
  return { outboxId: message.id, event, payload: message.payload };
}
