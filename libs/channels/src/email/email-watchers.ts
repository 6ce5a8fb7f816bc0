import { AdvisoryLeases, ChannelStatusRegistry } from '@leadline/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { EmailIntake } from './email-intake.service';
import { EMAIL_OPTIONS, type EmailOptions } from './email-options';
import { MailboxState } from './mailbox-state';
import { MailboxWatcher } from './mailbox-watcher';
import { MailboxesService } from './mailboxes.service';

/** How often a process re-reads the mailbox table, so changes made through another process's API take effect. */
export const RECONCILE_MS = 30_000;
/** Its name in the app's SchedulerRegistry (ScheduleModule, AppModule), which clears it on shutdown. */
export const RECONCILE_INTERVAL = 'email.mailboxes.reconcile';

/**
 * Runs one watcher per enabled mailbox in this process (each takes its mailbox's lease, so with
 * several hub processes every mailbox is still watched once). Follows configuration changes.
 */
@Injectable()
export class EmailWatchers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Email');
  private readonly watchers = new Map<string, MailboxWatcher>();
  private stopped = false;
  /** A reconcile started by the interval still running: the next tick is skipped, not queued behind it. */
  private ticking = false;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    @Inject(EMAIL_OPTIONS) private readonly options: EmailOptions,
    private readonly mailboxes: MailboxesService,
    private readonly intake: EmailIntake,
    private readonly leases: AdvisoryLeases,
    private readonly state: MailboxState,
    private readonly status: ChannelStatusRegistry,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.mailboxes.syncEnvMailbox();
    if (!this.options.watch) return;
    await this.reconcile();
    if (this.stopped) return;
    // unref: as before, this timer alone never keeps a process alive; onModuleDestroy removes it.
    this.scheduler.addInterval(RECONCILE_INTERVAL, setInterval(() => this.tick(), RECONCILE_MS).unref());
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', RECONCILE_INTERVAL)) this.scheduler.deleteInterval(RECONCILE_INTERVAL);
    await this.reconciling.catch(() => undefined);
    await Promise.all([...this.watchers.values()].map((w) => w.stop()));
    this.watchers.clear();
  }

  /** The watcher of a mailbox in this process, if it runs one. */
  watcher(mailboxId: string): MailboxWatcher | undefined {
    return this.watchers.get(mailboxId);
  }

  /** Starts, restarts (changed settings) and stops watchers to match the mailbox table. */
  reconcile(): Promise<void> {
    if (!this.options.watch || this.stopped) return Promise.resolve();
    const run = this.reconciling.catch(() => undefined).then(() => this.reconcileNow());
    this.reconciling = run;
    return run;
  }

  private tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    this.reconcile()
      .catch((err) => this.log.warn({ msg: 'mailbox reconcile failed', error: (err as Error).message }))
      .finally(() => (this.ticking = false));
  }

  private async reconcileNow(): Promise<void> {
    if (this.stopped) return;
    const enabled = await this.mailboxes.loadEnabled();
    const wanted = new Map(enabled.map((m) => [m.id, m]));
    for (const [id, watcher] of this.watchers) {
      const next = wanted.get(id);
      if (!next || next.updatedAt !== watcher.mailbox.updatedAt) {
        await watcher.stop();
        this.watchers.delete(id);
      }
    }
    for (const m of enabled) {
      if (this.watchers.has(m.id) || this.stopped) continue;
      const watcher = new MailboxWatcher(m, { intake: this.intake, leases: this.leases, state: this.state, mailboxes: this.mailboxes, status: this.status, options: this.options });
      this.watchers.set(m.id, watcher);
      watcher.start();
    }
  }
}
