import { SlaService } from '@leadline/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';

const INTERVAL_MS = 1000;

/**
 * Runs SlaService.tick() every second (SLA_SCHEDULER=off disables it; tests call tick() themselves).
 * A self-rescheduling timer rather than a fixed interval: a slow tick (database hiccup) is never run
 * twice at once in one process; several processes are safe anyway (SKIP LOCKED claims).
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
    try {
      await this.sla.tick();
    } catch (err) {
      this.log.warn({ msg: 'sla tick failed, retrying next tick', error: err instanceof Error ? err.message : String(err) });
    }
    this.schedule(Math.max(0, INTERVAL_MS - (Date.now() - started)));
  }
}
