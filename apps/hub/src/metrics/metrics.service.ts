import { ChannelRegistry, ChannelStatusRegistry, type ChannelPlugin, type ChannelStatus } from '@leadline/core';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';
import { EventStreams } from '../notifications/event-streams';
import { poolStats, type PoolStats } from './pool-stats';

/** Which channel an inbound HTTP route belongs to (intake latency, webhook rejects), by the routes channels register. */
export function inboundChannelOf(routeUrl: string | undefined, channels: readonly ChannelPlugin[]): { name: string; signed: boolean } | null {
  if (!routeUrl) return null;
  // The longest matching prefix wins: SMS registers /api/inbound/twilio/messaging inside telephony's /api/inbound/twilio/.
  let best: { plugin: ChannelPlugin; length: number } | null = null;
  for (const c of channels) {
    for (const p of c.inboundRoutes?.prefixes ?? []) if (routeUrl.startsWith(p) && p.length > (best?.length ?? -1)) best = { plugin: c, length: p.length };
  }
  return best?.plugin.inboundRoutes ? { name: best.plugin.name, signed: best.plugin.inboundRoutes.signed } : null;
}

interface TaskCounts {
  open: string;
  overdue: string;
}
interface ChannelCount {
  channel: string;
  n: string;
}
interface CallbackCounts {
  answered: string;
  within_sla: string;
}
interface OutboxCount {
  status: string;
  n: string;
}
interface OutboxAge {
  age: string | null;
}

interface DatabaseSnapshot {
  leadsByChannel: Map<string, number>;
  answered: number;
  withinSla: number;
  tasksOpen: number;
  tasksOverdue: number;
  outbox: Map<string, number>;
  outboxOldestDueSeconds: number;
}

/** A channel status, with the reject counter the registry may carry (older registries have none). */
type ChannelStatusWithRejects = ChannelStatus & { rejectedRequests?: unknown };

/**
 * The hub's Prometheus metrics. Business figures (leads, callbacks, tasks, outbox) are read from
 * the database at scrape time, so every hub process reports the same totals (aggregate with max,
 * not sum); process figures (intake latency, webhook rejects, SSE clients, pool waits, event loop)
 * are this process's own. One registry per app, so several hubs in one process never collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly intakeDuration: Histogram<'channel' | 'status'>;
  private readonly webhookRejected: Counter<'channel'>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly channels: ChannelStatusRegistry,
    private readonly plugins: ChannelRegistry,
    private readonly streams: EventStreams,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.intakeDuration = new Histogram({
      name: 'leadline_intake_duration_seconds',
      help: 'Time from request to answer of inbound webhooks and form posts (the lead is committed before the answer)',
      labelNames: ['channel', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.webhookRejected = new Counter({
      name: 'leadline_webhook_rejected_total',
      help: 'Inbound webhook requests refused for a missing or wrong signature / secret (401/403), by channel',
      labelNames: ['channel'],
      registers,
    });
    this.defineDatabaseMetrics(registers);
    this.defineProcessMetrics(registers);
  }

  /** Called for every HTTP response (the onResponse hook of create-app.ts). */
  observeResponse(routeUrl: string | undefined, status: number, seconds: number): void {
    const route = inboundChannelOf(routeUrl, this.plugins.list());
    if (!route) return;
    const channel = route.name;
    // Signed webhooks answer 401/403 only to a wrong or missing signature / secret; an unsigned
    // route's 403 (a form's origin it does not allow) is a refused post, not a forged one.
    if ((status === 401 || status === 403) && route.signed) this.webhookRejected.inc({ channel });
    else this.intakeDuration.observe({ channel, status: String(status) }, seconds);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  private pendingSnapshot: Promise<DatabaseSnapshot | null> | null = null;
  private poolAtScrape: PoolStats | null = null;

  /**
   * prom-client collects all metrics of a scrape concurrently: every database-backed metric awaits
   * this one read, shared while it is in flight. Null when the database could not be read.
   */
  private snapshot(): Promise<DatabaseSnapshot | null> {
    if (!this.pendingSnapshot) {
      // Pool figures first: the scrape's own queries must not count as waits.
      this.poolAtScrape = poolStats(this.db);
      this.pendingSnapshot = this.readDatabase()
        .catch(() => null)
        .finally(() => (this.pendingSnapshot = null));
    }
    return this.pendingSnapshot;
  }

  private defineDatabaseMetrics(registers: Registry[]): void {
    const snapshot = () => this.snapshot();
    new Gauge({
      name: 'leadline_database_up',
      help: '1 when this scrape could read the business figures from the database',
      registers,
      async collect() {
        this.set((await snapshot()) ? 1 : 0);
      },
    });
    // Counters set from the database: rate()/increase() work, and a hub restart does not reset them.
    new Counter({
      name: 'leadline_leads_total',
      help: 'Leads that opened a deal, by source channel (from the database)',
      labelNames: ['channel'],
      registers,
      async collect() {
        const snap = await snapshot();
        if (!snap) return;
        this.reset();
        for (const [channel, n] of snap.leadsByChannel) this.inc({ channel }, n);
      },
    });
    new Counter({
      name: 'leadline_callbacks_answered_total',
      help: 'Deals whose lead got a first response (connected call or delivered reply)',
      registers,
      async collect() {
        const snap = await snapshot();
        if (!snap) return;
        this.reset();
        this.inc(snap.answered);
      },
    });
    new Counter({
      name: 'leadline_callbacks_within_sla_total',
      help: 'Deals answered within CALLBACK_SLA_MINUTES of the lead (as the SLA report counts them)',
      registers,
      async collect() {
        const snap = await snapshot();
        if (!snap) return;
        this.reset();
        this.inc(snap.withinSla);
      },
    });
    const gauge = (name: string, help: string, pick: (s: DatabaseSnapshot) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const snap = await snapshot();
          if (snap) this.set(pick(snap));
        },
      });
    gauge('leadline_tasks_open', 'Open tasks', (s) => s.tasksOpen);
    gauge('leadline_tasks_overdue', 'Open tasks past their due time', (s) => s.tasksOverdue);
    gauge('leadline_outbox_oldest_due_seconds', 'How long the oldest due, undelivered outbox row has been waiting (0 = none)', (s) => s.outboxOldestDueSeconds);
    new Gauge({
      name: 'leadline_outbox_messages',
      help: 'Outbox rows not yet delivered, by status (pending, processing, failed, dead)',
      labelNames: ['status'],
      registers,
      async collect() {
        const snap = await snapshot();
        if (!snap) return;
        for (const status of ['pending', 'processing', 'failed', 'dead']) this.set({ status }, snap.outbox.get(status) ?? 0);
      },
    });
  }

  private async readDatabase(): Promise<DatabaseSnapshot> {
    const [byChannel, callbacks, tasks, outbox, age] = await Promise.all([
      this.db.query<ChannelCount[]>(`SELECT source_channel AS channel, count(*) AS n FROM deal GROUP BY source_channel`),
      this.db.query<CallbackCounts[]>(
        `SELECT count(*) FILTER (WHERE first_response_at IS NOT NULL) AS answered,
                count(*) FILTER (WHERE first_response_at <= created_at + make_interval(mins => $1::int)) AS within_sla
           FROM deal`,
        [this.config.CALLBACK_SLA_MINUTES],
      ),
      this.db.query<TaskCounts[]>(`SELECT count(*) AS open, count(*) FILTER (WHERE due_at < now()) AS overdue FROM task WHERE status = 'open'`),
      this.db.query<OutboxCount[]>(`SELECT status, count(*) AS n FROM outbox WHERE status <> 'done' GROUP BY status`),
      this.db.query<OutboxAge[]>(`SELECT extract(epoch FROM now() - min(next_attempt_at)) AS age FROM outbox WHERE status IN ('pending', 'failed') AND next_attempt_at <= now()`),
    ]);
    return {
      leadsByChannel: new Map(byChannel.map((r) => [r.channel, Number(r.n)])),
      answered: Number(callbacks[0]?.answered ?? 0),
      withinSla: Number(callbacks[0]?.within_sla ?? 0),
      tasksOpen: Number(tasks[0]?.open ?? 0),
      tasksOverdue: Number(tasks[0]?.overdue ?? 0),
      outbox: new Map(outbox.map((r) => [r.status, Number(r.n)])),
      outboxOldestDueSeconds: Math.max(0, Number(age[0]?.age ?? 0)),
    };
  }

  private defineProcessMetrics(registers: Registry[]): void {
    const channels = this.channels;
    const streams = this.streams;
    new Gauge({
      name: 'leadline_channel_up',
      help: 'Channel connection of this process: 1 connected, 0 connecting or in error (disabled ones are not listed)',
      labelNames: ['channel', 'name', 'status'],
      registers,
      collect() {
        this.reset();
        for (const s of channels.list()) if (s.status !== 'disabled') this.set({ channel: s.channel, name: s.name, status: s.status }, s.status === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'leadline_channel_status_seconds',
      help: 'How long each channel connection of this process has been in its current status',
      labelNames: ['channel', 'name', 'status'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const s of channels.list()) this.set({ channel: s.channel, name: s.name, status: s.status }, Math.max(0, (now - s.since.getTime()) / 1000));
      },
    });
    new Gauge({
      name: 'leadline_channel_rejected_requests',
      help: 'Requests the channel refused as not from the provider, as its status reports them',
      labelNames: ['channel', 'name'],
      registers,
      collect() {
        this.reset();
        for (const s of channels.list() as ChannelStatusWithRejects[]) {
          if (typeof s.rejectedRequests === 'number' && Number.isFinite(s.rejectedRequests)) this.set({ channel: s.channel, name: s.name }, s.rejectedRequests);
        }
      },
    });
    new Gauge({
      name: 'leadline_sse_clients',
      help: 'Open server-sent event streams (admin UI tabs) on this process',
      registers,
      collect() {
        this.set(streams.size);
      },
    });
    const pool = () => this.snapshot().then(() => this.poolAtScrape);
    new Gauge({
      name: 'leadline_db_pool_waiting',
      help: 'Queries waiting for a free database connection on this process (sampled before the scrape queries)',
      registers,
      async collect() {
        const stats = await pool();
        if (stats) this.set(stats.waiting);
      },
    });
    new Gauge({
      name: 'leadline_db_pool_connections',
      help: 'Database connections of this process, by state (total, idle)',
      labelNames: ['state'],
      registers,
      async collect() {
        const stats = await pool();
        if (!stats) return;
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
      },
    });
  }
}
