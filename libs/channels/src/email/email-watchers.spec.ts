import type { AdvisoryLeases, ChannelStatusRegistry } from '@leadline/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { EmailIntake } from './email-intake.service';
import type { EmailOptions } from './email-options';
import { EmailWatchers, RECONCILE_INTERVAL, RECONCILE_MS } from './email-watchers';
import type { MailboxState } from './mailbox-state';
import type { MailboxesService } from './mailboxes.service';

/** EmailWatchers with no mailboxes: counts how often it re-reads the mailbox table. */
function watchers(watch: boolean) {
  const scheduler = new SchedulerRegistry();
  let reads = 0;
  let release: (() => void) | null = null;
  let slow = false;
  const mailboxes = {
    syncEnvMailbox: async () => undefined,
    loadEnabled: async () => {
      reads++;
      // A slow read (a database hiccup) holds the reconcile until the test lets it go.
      if (slow) await new Promise<void>((r) => (release = r));
      return [];
    },
  } as unknown as MailboxesService;
  const options = { watch } as EmailOptions;
  const w = new EmailWatchers(options, mailboxes, {} as EmailIntake, {} as AdvisoryLeases, {} as MailboxState, {} as ChannelStatusRegistry, scheduler);
  return {
    w,
    scheduler,
    reads: () => reads,
    slowDown: () => (slow = true),
    release: () => {
      slow = false;
      release?.();
    },
  };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('EmailWatchers: the mailbox table is re-read on a fixed schedule (SchedulerRegistry)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('registers a named interval that re-reads the table every 30 s, and removes it on shutdown', async () => {
    const t = watchers(true);
    await t.w.onApplicationBootstrap();
    expect(t.reads()).toBe(1);
    expect(t.scheduler.getIntervals()).toEqual([RECONCILE_INTERVAL]);

    await jest.advanceTimersByTimeAsync(RECONCILE_MS - 1);
    expect(t.reads()).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.reads()).toBe(2);
    await jest.advanceTimersByTimeAsync(RECONCILE_MS * 2);
    expect(t.reads()).toBe(4);

    await t.w.onModuleDestroy();
    expect(t.scheduler.getIntervals()).toEqual([]);
    await jest.advanceTimersByTimeAsync(RECONCILE_MS * 3);
    expect(t.reads()).toBe(4);
  });

  it('skips a tick while the previous re-read still runs instead of queueing them', async () => {
    const t = watchers(true);
    await t.w.onApplicationBootstrap();
    t.slowDown();
    await jest.advanceTimersByTimeAsync(RECONCILE_MS);
    expect(t.reads()).toBe(2);
    await jest.advanceTimersByTimeAsync(RECONCILE_MS * 3);
    expect(t.reads()).toBe(2);
    t.release();
    await flush();
    await jest.advanceTimersByTimeAsync(RECONCILE_MS);
    expect(t.reads()).toBe(3);
    await t.w.onModuleDestroy();
  });

  it('schedules nothing in a process that does not watch mailboxes (MAIL_WATCHER=false)', async () => {
    const t = watchers(false);
    await t.w.onApplicationBootstrap();
    expect(t.scheduler.getIntervals()).toEqual([]);
    await jest.advanceTimersByTimeAsync(RECONCILE_MS * 2);
    expect(t.reads()).toBe(0);
    await t.w.onModuleDestroy();
  });
});
