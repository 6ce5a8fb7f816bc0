import type { Viewer } from '@leadline/core';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotificationBus } from './notification-bus';

/** Proxies drop idle connections after ~30-60 s; a comment line keeps the stream alive. */
export const KEEP_ALIVE_MS = 25_000;

/**
 * Server-sent event streams (GET /api/events), one per connected browser tab. Each carries only
 * the viewer's own notifications, plus (when asked for) a data-less `inbox` ping when anyone's inbox changed. All are ended on shutdown so the HTTP server can close.
 */
@Injectable()
export class EventStreams implements OnModuleDestroy {
  private readonly open = new Set<() => void>();
  /** Interval of the keep-alive comment on streams opened from now on. */
  keepAliveMs = KEEP_ALIVE_MS;

  constructor(private readonly bus: NotificationBus) {}

  get size(): number {
    return this.open.size;
  }

  attach(viewer: Viewer, req: FastifyRequest, reply: FastifyReply, options: { inboxPings?: boolean } = {}): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 5000\n: connected\n\n`);
    const unsubscribe = this.bus.subscribe(viewer.id, (n) => {
      res.write(`id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(n)}\n\n`);
    });
    // A ping without data: "the inbox lists changed, fetch them again" (debounced by the UI).
    const unsubscribeInbox = options.inboxPings ? this.bus.subscribeInboxChanges(() => res.write(`event: inbox\ndata: {}\n\n`)) : () => undefined;
    const keepAlive = setInterval(() => res.write(`: keep-alive\n\n`), this.keepAliveMs);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      unsubscribe();
      unsubscribeInbox();
      this.open.delete(close);
      if (!res.writableEnded) res.end();
    };
    this.open.add(close);
    req.raw.on('close', close);
    res.on('close', close);
    res.on('error', close);
  }

  onModuleDestroy(): void {
    for (const close of [...this.open]) close();
  }
}
