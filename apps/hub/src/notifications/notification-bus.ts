import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Client } from 'pg';
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
   * Calls `listener` (no data) whenever any notice was stored for anyone: the inbox's lists (queue,
   * overdue) change with every lead, take and escalation, also for managers who got no notice of it.
   */
  subscribeInboxChanges(listener: () => void): () => void {
    this.local.on(INBOX_CHANGED, listener);
    return () => this.local.off(INBOX_CHANGED, listener);
  }

  protected deliverLocally(notification: NotificationView): void {
    this.local.emit(notification.managerId, notification);
  }

  protected announceInboxChange(): void {
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
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/**
 * PostgreSQL: NOTIFY reaches every hub process LISTENing on the channel, including this one. The
 * message carries only ids (NOTIFY payloads are limited to 8 kB); a process with a client of that
 * manager connected reads the row. The listening connection is dedicated (a pooled one would be
 * handed to other queries) and reconnects with backoff when the database goes away; notices sent
 * while it is down are not pushed live but stay in the list API.
 */
export class PgNotificationBus extends NotificationBus implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('NotificationBus');
  private client: Client | null = null;
  private connecting: Client | null = null;
  private stopped = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly db: DataSource,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // A connection attempt under way is ended too, so shutdown does not wait for its timeout.
    const clients = [this.client, this.connecting].filter((c): c is Client => c !== null);
    this.client = null;
    this.connecting = null;
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }

  async publish(notifications: NotificationView[]): Promise<void> {
    if (notifications.length === 0) return;
    const messages = notifications.map((n) => JSON.stringify({ id: n.id, managerId: n.managerId }));
    await this.db.query(`SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m`, [NOTIFICATION_CHANNEL, messages]);
  }

  /** True while the LISTEN connection is up (tests wait for it). */
  get listening(): boolean {
    return this.client !== null;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 10_000 });
    // Without an error listener a dropped socket would crash the process.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === NOTIFICATION_CHANNEL && msg.payload) void this.received(msg.payload);
    });
    this.connecting = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFICATION_CHANNEL}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    } finally {
      if (this.connecting === client) this.connecting = null;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = RECONNECT_MIN_MS;
  }

  private lost(client: Client, err?: Error): void {
    if (this.stopped || (this.client !== null && this.client !== client)) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.retryTimer) return;
    this.log.warn({ msg: 'notification listener disconnected, reconnecting', error: err?.message, inMs: this.retryMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(RECONNECT_MAX_MS, this.retryMs * 2);
  }

  private async received(payload: string): Promise<void> {
    try {
      const { id, managerId } = JSON.parse(payload) as { id: string; managerId: string };
      this.announceInboxChange();
      if (this.local.listenerCount(managerId) === 0) return;
      const [row] = await this.db.query(`SELECT ${NOTIFICATION_COLUMNS} FROM notification WHERE id = $1`, [id]);
      if (row) this.deliverLocally(row);
    } catch (err) {
      this.log.warn({ msg: 'could not relay a notification', error: (err as Error).message });
    }
  }
}
