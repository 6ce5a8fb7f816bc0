import { DatabaseNotifications } from '@leadline/core';
import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/** What the PGlite driver's pool offers for LISTEN (see pglite-driver.ts). */
export interface PgliteListenPort {
  listen(channel: string, listener: (payload: string) => void): Promise<() => Promise<void>>;
}

/**
 * Embedded PGlite: the database runs in this process, so LISTEN is a callback registered with it;
 * a NOTIFY (from a trigger too) is handed over when its transaction commits. Only one hub can open a
 * PGlite directory, so this process sees every notification there is.
 */
export class PgliteListener extends DatabaseNotifications implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('PgliteListener');
  private readonly channels = new EventEmitter().setMaxListeners(0);
  private readonly connected = new EventEmitter().setMaxListeners(0);
  private readonly unlisten = new Map<string, Promise<(() => Promise<void>) | null>>();
  private started = false;
  private stopped = false;

  constructor(private readonly port: PgliteListenPort) {
    super();
  }

  get live(): boolean {
    return this.started && !this.stopped;
  }

  listen(channel: string, listener: (payload: string) => void): () => void {
    this.channels.on(channel, listener);
    if (this.started) this.subscribe(channel);
    return () => this.channels.off(channel, listener);
  }

  onConnected(listener: () => void): () => void {
    this.connected.on('up', listener);
    return () => this.connected.off('up', listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.started = true;
    for (const channel of this.channels.eventNames().map(String)) this.subscribe(channel);
    await Promise.all(this.unlisten.values());
    this.connected.emit('up');
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    const offs = await Promise.all(this.unlisten.values());
    this.unlisten.clear();
    await Promise.all(offs.map((off) => off?.().catch(() => undefined)));
  }

  private subscribe(channel: string): void {
    if (this.unlisten.has(channel) || this.stopped) return;
    this.unlisten.set(
      channel,
      this.port.listen(channel, (payload) => this.channels.emit(channel, payload)).catch((err: Error) => {
        this.log.warn({ msg: 'LISTEN failed in the embedded database; polling only', channel, error: err.message });
        return null;
      }),
    );
  }
}
