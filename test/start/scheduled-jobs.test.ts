import { RECONCILE_INTERVAL } from '@leadline/channels';
import { FORM_SPAM_KEEP_DAYS, FORM_SPAM_PRUNE_JOB, FormSpamService } from '@leadline/core';
import { CronExpression, SchedulerRegistry } from '@nestjs/schedule';
import { TestHub } from '../support/test-hub';

/** The hub's fixed schedules run through @nestjs/schedule: named, visible in one registry, stopped with the app. */
describe('scheduled jobs (ScheduleModule)', () => {
  let hub: TestHub;
  let registry: SchedulerRegistry;

  beforeAll(async () => {
    hub = await TestHub.start();
    registry = hub.app.get(SchedulerRegistry);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('registers the hourly form-spam pruning and the mailbox re-read by name', () => {
    const prune = registry.getCronJob(FORM_SPAM_PRUNE_JOB);
    expect(prune.cronTime.source).toBe(CronExpression.EVERY_HOUR);
    expect(prune.isActive).toBe(true);
    expect(registry.getIntervals()).toContain(RECONCILE_INTERVAL);
  });

  it('pruning deletes held-back submissions older than the keep period that nobody restored, and nothing else', async () => {
    const [form] = await hub.query<{ id: string }>(`SELECT id FROM web_form ORDER BY created_at LIMIT 1`);
    const insert = (name: string, ageDays: number, restored: boolean) =>
      hub.query<{ id: string }>(
        `INSERT INTO web_form_spam (form_id, reason, raw, received_at, restored_at)
         VALUES ($1, 'honeypot', $2, now() - make_interval(days => $3), CASE WHEN $4 THEN now() END) RETURNING id`,
        [form.id, JSON.stringify({ body: { name } }), ageDays, restored],
      );
    const [old] = await insert('old bot', FORM_SPAM_KEEP_DAYS + 1, false);
    const [oldRestored] = await insert('old person', FORM_SPAM_KEEP_DAYS + 1, true);
    const [recent] = await insert('recent bot', FORM_SPAM_KEEP_DAYS - 1, false);

    expect(await hub.app.get(FormSpamService).prune()).toBe(1);
    const left = (await hub.query<{ id: string }>(`SELECT id FROM web_form_spam`)).map((r) => r.id);
    expect(left).not.toContain(old.id);
    expect(left).toEqual(expect.arrayContaining([oldRestored.id, recent.id]));
    expect(await hub.app.get(FormSpamService).prune()).toBe(0);
  });

  it('a hub that stops leaves no job running (no open timers)', async () => {
    const second = await TestHub.start({}, undefined, { existing: hub.db });
    const own = second.app.get(SchedulerRegistry);
    expect(own.getCronJobs().size).toBeGreaterThan(0);
    await second.stop();
    expect(own.getIntervals()).toEqual([]);
    expect(own.getTimeouts()).toEqual([]);
    expect([...own.getCronJobs().keys()]).toEqual([]);
  });
});
