import { Injectable } from '@nestjs/common';
import type { OutboxDelivery } from '../outbox/outbox-handler';

/**
 * Another way to reach people with a notice besides the in-app list (the Telegram manager bot).
 * The in-app notifier calls every relay after storing the notice; a relay only enqueues its own
 * outbox rows (idempotently, keyed by the notice's outbox id), so a failure on its side retries
 * without storing the in-app notice twice.
 */
export interface NoticeRelay {
  relay(notice: OutboxDelivery): Promise<void>;
}

@Injectable()
export class NoticeRelayRegistry {
  private readonly relays: NoticeRelay[] = [];

  register(relay: NoticeRelay): void {
    this.relays.push(relay);
  }

  async relay(notice: OutboxDelivery): Promise<void> {
    for (const r of this.relays) await r.relay(notice);
  }
}
