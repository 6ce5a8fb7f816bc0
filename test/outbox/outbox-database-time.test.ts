import { OutboxWorker, SlaService } from '@leadline/core';
import { nextPhone, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

const DAY = 24 * 3600_000;

/**
 * Outbox rows are due in database time: the domain clock (business time, set by tests or a backdated
 * event) far behind or far ahead of the database must neither hide nor delay a notice.
 */
describe('outbox: due in database time, whatever the domain clock says', () => {
  let hub: TestHub;
  let worker: OutboxWorker;
  let manager: { id: string };

  beforeAll(async () => {
    hub = await TestHub.start({ CALLBACK_SLA_MINUTES: '15' });
    worker = hub.app.get(OutboxWorker);
    await raiseFormRateLimit(hub);
    manager = await hub.createManager({ name: 'Dana Time' });
  });
  afterEach(() => hub.clock.useRealTime());
  afterAll(async () => {
    await hub?.close();
  });

  const dbNow = async () => new Date((await hub.query(`SELECT now() AS now`))[0].now).getTime();
  const leadNotice = async (dealId: string) =>
    (await hub.query(`SELECT id, status, next_attempt_at FROM outbox WHERE kind = 'notify.manager' AND payload->>'dealId' = $1`, [dealId]))[0];
  const drain = async () => {
    for (let i = 0; i < 50; i++) if ((await worker.runOnce(50)).claimed === 0) return;
    throw new Error('outbox never drained');
  };
  const delivered = async (outboxId: string) =>
    (await hub.query(`SELECT manager_id FROM notification WHERE outbox_id = $1`, [outboxId])).map((r: any) => r.manager_id);

  it.each([
    ['years behind', -3650 * DAY],
    ['a year ahead', 365 * DAY],
  ])('intake with the clock %s: the notice is due now in database time and delivered at once', async (_label, offset) => {
    hub.clock.set(new Date(Date.now() + offset));
    const before = await dbNow();
    const lead = await postLead(hub, { name: 'Clock Skew', phone: nextPhone().typed });
    const after = await dbNow();
    const row = await leadNotice(lead.dealId);
    const due = new Date(row.next_attempt_at).getTime();
    expect(due).toBeGreaterThanOrEqual(before - 1000);
    expect(due).toBeLessThanOrEqual(after + 1000);
    await drain();
    expect((await hub.query(`SELECT status FROM outbox WHERE id = $1`, [row.id]))[0].status).toBe('done');
    expect(await delivered(row.id)).toEqual([manager.id]);
  });

  it('notices written by the SLA scheduler (OutboxService.enqueue) are due in database time too', async () => {
    // The task's instants are in business time (the clock); its notices are not.
    const past = new Date(Date.now() - 3650 * DAY);
    hub.clock.set(past);
    const lead = await postLead(hub, { name: 'Late Past', phone: nextPhone().typed });
    await drain();
    hub.clock.set(new Date(past.getTime() + 15 * 60_000));
    const before = await dbNow();
    expect((await hub.app.get(SlaService).tick()).overdue).toBeGreaterThanOrEqual(1);
    const [row] = await hub.query(`SELECT id, next_attempt_at FROM outbox WHERE kind = 'notify.manager' AND payload->>'taskId' = $1 AND payload->>'event' = 'task_overdue'`, [lead.taskId]);
    expect(new Date(row.next_attempt_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    await drain();
    expect(await delivered(row.id)).toEqual([manager.id]);
  });

  it('a failed delivery backs off from the database time when the clock is behind it (no instant retry loop)', async () => {
    hub.clock.set(new Date(Date.now() - 3650 * DAY));
    const [{ id }] = await hub.query(`INSERT INTO outbox (kind, payload) VALUES ('test.unhandled', '{}') RETURNING id`);
    const before = await dbNow();
    await worker.runOnce(50);
    const [row] = await hub.query(`SELECT status, attempts, next_attempt_at FROM outbox WHERE id = $1`, [id]);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(new Date(row.next_attempt_at).getTime()).toBeGreaterThan(before);
    expect((await worker.runOnce(50)).claimed).toBe(0);
  });
});
