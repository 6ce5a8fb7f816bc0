import { DatabaseNotifications } from '@leadline/core';
import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Client } from 'pg';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/**
 * PostgreSQL: one dedicated connection per hub process LISTENs on every channel somebody subscribed
 * to (a pooled connection would be handed to other queries, and LISTEN belongs to a session). It
 * reconnects with backoff when the database goes away and then tells `onConnected` subscribers,
 * who catch up on what was notified meanwhile.
 */
export class PgListener extends DatabaseNotifications implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('PgListener');
  private readonly channels = new EventEmitter().setMaxListeners(0);
  private readonly connected = new EventEmitter().setMaxListeners(0);
  private client: Client | null = null;
  private connecting: Client | null = null;
  private started = false;
  private stopped = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly url: string) {
    super();
  }

  get live(): boolean {
    return this.client !== null;
  }

  listen(channel: string, listener: (payload: string) => void): () => void {
    const fresh = this.channels.listenerCount(channel) === 0;
    this.channels.on(channel, listener);
    if (fresh && this.client) void this.client.query(`LISTEN ${quoteIdent(channel)}`).catch((err) => this.lost(this.client!, err));
    return () => this.channels.off(channel, listener);
  }

  onConnected(listener: () => void): () => void {
    this.connected.on('up', listener);
    return () => this.connected.off('up', listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.started = true;
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

  private async connect(): Promise<void> {
    if (this.stopped || !this.started) return;
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 10_000, application_name: 'leadline-listener' });
    // Without an error listener a dropped socket would crash the process.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (this.client === client) this.channels.emit(msg.channel, msg.payload ?? '');
    });
    this.connecting = client;
    let listened: string[] = [];
    try {
      await client.connect();
      listened = this.channels.eventNames().map(String);
      if (listened.length) await client.query(listened.map((c) => `LISTEN ${quoteIdent(c)}`).join('; '));
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
    // Channels first subscribed while the LISTEN above was on its way.
    const names = new Set(this.channels.eventNames().map(String));
    const missed = [...names].filter((c) => !listened.includes(c));
    if (missed.length) await client.query(missed.map((c) => `LISTEN ${quoteIdent(c)}`).join('; ')).catch((err) => this.lost(client, err));
    this.connected.emit('up');
  }

  private lost(client: Client, err?: Error): void {
    if (this.stopped || (this.client !== null && this.client !== client)) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.retryTimer) return;
    this.log.warn({ msg: 'database listener disconnected, reconnecting', error: err?.message, inMs: this.retryMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(RECONNECT_MAX_MS, this.retryMs * 2);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
