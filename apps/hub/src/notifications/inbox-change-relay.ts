import { DatabaseNotifications, INBOX_CHANNEL } from '@leadline/core';
import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { NotificationBus } from './notification-bus';

/**
 * Turns the database's "the inbox lists changed" (a trigger NOTIFYs `leadline_inbox` at commit, from
 * any hub process or writer) into a ping on this process's open cockpits. After the listening
 * connection comes back, whatever changed meanwhile was missed: the cockpits are pinged once at once.
 */
@Injectable()
export class InboxChangeRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly stop: Array<() => void> = [];

  constructor(
    private readonly notifications: DatabaseNotifications,
    private readonly bus: NotificationBus,
  ) {}

  onApplicationBootstrap(): void {
    this.stop.push(this.notifications.listen(INBOX_CHANNEL, () => this.bus.announceInboxChange()));
    this.stop.push(this.notifications.onConnected(() => this.bus.announceInboxChange()));
  }

  onModuleDestroy(): void {
    for (const stop of this.stop.splice(0)) stop();
  }
}
