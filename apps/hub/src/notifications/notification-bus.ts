import { DatabaseNotifications } from '@leadline/core';
import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';
import { NOTIFICATION_COLUMNS, type NotificationView } from './notification';

export type NotificationListener = (notification: NotificationView) => void;

/**
 * Carries newly stored notifications to the event streams of their recipients, in whichever hub
 * process those recipients are connected to.
 */
export abstract class NotificationBus {
  protected readonly local = new EventEmitter().setMaxListeners(0);

  /** Announces notifications that were just stored (and committed). */
  abstract publish(notifications: NotificationView[]): Promise<void>;

  /** Calls `listener` with every new notification for this manager until the returned function is called. */
  subscribe(managerId: string, listener: NotificationListener): () => void {
    this.local.on(managerId, listener);
    return () => this.local.off(managerId, listener);
  }

  /**
   * Calls `listener` (no data) whenever the inbox's lists may have changed for anyone: a notice was
   * stored (a lead, a take, an overdue alert at its due time), or a write the lists show committed
   * (InboxChangeRelay). Managers who got no notice of it are pinged too.
   */
  subscribeInboxChanges(listener: () => void): () => void {
    this.local.on(INBOX_CHANGED, listener);
    return () => this.local.off(INBOX_CHANGED, listener);
  }

  protected deliverLocally(notification: NotificationView): void {
    this.local.emit(notification.managerId, notification);
  }

  /** Pings every `?inbox=1` stream of this process: "the lists changed, read them again". */
  announceInboxChange(): void {
    this.local.emit(INBOX_CHANGED);
  }
}

// Not a uuid, so it never collides with a manager id used as an event name.
const INBOX_CHANGED = 'inbox-changed';

/** Embedded PGlite: one process owns the database, so an in-process emitter reaches every client. */
export class LocalNotificationBus extends NotificationBus {
  async publish(notifications: NotificationView[]): Promise<void> {
    for (const n of notifications) this.deliverLocally(n);
    if (notifications.length > 0) this.announceInboxChange();
  }
}

export const NOTIFICATION_CHANNEL = 'leadline_notification';
/** NOTIFY payloads are limited to 8000 bytes; a longer notice travels as ids and is read back. */
const MAX_INLINE_PAYLOAD = 7000;

/**
 * PostgreSQL: NOTIFY reaches every hub process LISTENing on the channel, including this one, over
 * the process's one listening connection (DatabaseNotifications). The message carries the whole
 * notification when it fits, so the process with the manager's event stream pushes it without
 * reading it back; a large one carries only ids and is read. Notices sent while the listening
 * connection is down are not pushed live but stay in the list API.
 */
export class PgNotificationBus extends NotificationBus implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('NotificationBus');
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly notifications: DatabaseNotifications,
    private readonly db: DataSource,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.notifications.listen(NOTIFICATION_CHANNEL, (payload) => void this.received(payload));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  async publish(notifications: NotificationView[]): Promise<void> {
    if (notifications.length === 0) return;
    const messages = notifications.map((n) => {
      const full = JSON.stringify(n);
      return Buffer.byteLength(full) <= MAX_INLINE_PAYLOAD ? full : JSON.stringify({ id: n.id, managerId: n.managerId });
    });
    await this.db.query(`SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m`, [NOTIFICATION_CHANNEL, messages]);
  }

  /** True while the LISTEN connection is up (tests wait for it). */
  get listening(): boolean {
    return this.notifications.live;
  }

  private async received(payload: string): Promise<void> {
    try {
      const message = JSON.parse(payload) as Partial<NotificationView> & { id: string; managerId: string };
      this.announceInboxChange();
      if (this.local.listenerCount(message.managerId) === 0) return;
      if (message.event !== undefined && message.createdAt !== undefined) {
        this.deliverLocally(message as NotificationView);
        return;
      }
      const [row] = await this.db.query(`SELECT ${NOTIFICATION_COLUMNS} FROM notification WHERE id = $1`, [message.id]);
      if (row) this.deliverLocally(row);
    } catch (err) {
      this.log.warn({ msg: 'could not relay a notification', error: (err as Error).message });
    }
  }
}
