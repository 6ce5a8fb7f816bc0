import { AdvisoryLeases, ChannelStatusRegistry } from '@leadline/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EmailIntake } from './email-intake.service';
import { EMAIL_OPTIONS, type EmailOptions } from './email-options';
import { MailboxState } from './mailbox-state';
import { MailboxWatcher } from './mailbox-watcher';
import { MailboxesService } from './mailboxes.service';

/** How often a process re-reads the mailbox table, so changes made through another process's API take effect. */
const RECONCILE_MS = 30_000;

/**
 * Runs one watcher per enabled mailbox in this process (each takes its mailbox's lease, so with
 * several hub processes every mailbox is still watched once). Follows configuration changes.
 */
@Injectable()
export class EmailWatchers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Email');
  private readonly watchers = new Map<string, MailboxWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    @Inject(EMAIL_OPTIONS) private readonly options: EmailOptions,
    private readonly mailboxes: MailboxesService,
    private readonly intake: EmailIntake,
    private readonly leases: AdvisoryLeases,
    private readonly state: MailboxState,
    private readonly status: ChannelStatusRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.mailboxes.syncEnvMailbox();
    if (!this.options.watch) return;
    await this.reconcile();
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
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

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.reconcile()
        .catch((err) => this.log.warn({ msg: 'mailbox reconcile failed', error: (err as Error).message }))
        .finally(() => this.schedule());
    }, RECONCILE_MS);
    this.timer.unref();
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
