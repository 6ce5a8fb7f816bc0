import { Clock, SlaService } from '@leadline/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';

const INTERVAL_MS = 1000;
/** Shortest pause: steps coming due within it are taken together, and one due now that another process holds (SKIP LOCKED) is looked at again this soon. */
const MIN_DELAY_MS = 100;

/**
 * Runs SlaService.tick() at least every second (SLA_SCHEDULER=off disables it; tests call tick()
 * themselves), and sooner when a task's next step comes due within that second: after each tick it
 * reads the earliest pending instant and wakes right at it, so a task is overdue within milliseconds
 * of its due time rather than up to a tick late. A self-rescheduling timer rather than a fixed
 * interval: a slow tick (database hiccup) is never run twice at once in one process; several
 * processes are safe anyway (SKIP LOCKED claims).
 */
@Injectable()
export class SlaScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('SlaScheduler');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly sla: SlaService,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.SLA_SCHEDULER) this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run();
    }, delay);
  }

  private async run(): Promise<void> {
    const started = Date.now();
    let delay = INTERVAL_MS;
    try {
      await this.sla.tick();
      const next = await this.sla.nextInstant();
      // Instants are compared with the domain clock; the timer runs on real time, which is the same in production.
      if (next) delay = Math.min(INTERVAL_MS, Math.max(MIN_DELAY_MS, next.getTime() - this.clock.now().getTime() + 5));
    } catch (err) {
      this.log.warn({ msg: 'sla tick failed, retrying next tick', error: err instanceof Error ? err.message : String(err) });
    }
    this.schedule(delay === INTERVAL_MS ? Math.max(0, INTERVAL_MS - (Date.now() - started)) : delay);
  }
}
