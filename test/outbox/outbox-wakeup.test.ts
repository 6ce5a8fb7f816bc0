import { DatabaseNotifications, OutboxWorker } from '@leadline/core';
import { nextPhone, postLead } from '../http/http-helpers';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';

const HUB_START_MS = 180_000;

/**
 * Wake-ups, not polls: with the safety-net poll set to a minute, only the commit-time notification
 * (the outbox trigger's NOTIFY, LISTENed to by the worker) can explain a delivery within seconds. On
 * PostgreSQL the lead is written by one hub process and delivered by ANOTHER; on PGlite by the one hub.
 */
describe('outbox wake-ups (LISTEN/NOTIFY, poll every 60 s)', () => {
  let writer: TestHub;
  let worker: TestHub;

  beforeAll(async () => {
    worker = await TestHub.start({ OUTBOX_WORKER: 'on', OUTBOX_POLL_MS: '60000' });
    // PostgreSQL: the lead comes in through a second process without a worker of its own.
    writer = usingPostgres() ? await TestHub.start({}, undefined, { existing: worker.db }) : worker;
    const listener = worker.app.get(DatabaseNotifications);
    for (let i = 0; i < 500 && !listener.live; i++) await new Promise((r) => setTimeout(r, 10));
    expect(listener.live).toBe(true);
    await writer.createManager({ name: 'Wendy Wake' });
  }, HUB_START_MS);
  afterAll(async () => {
    if (writer !== worker) await writer?.stop();
    await worker?.close();
  }, HUB_START_MS);

  const statusOf = async (dealId: string) => (await worker.query(`SELECT status FROM outbox WHERE payload->>'dealId' = $1`, [dealId])).map((r) => r.status);

  it('delivers a lead notice right after its commit, long before the next poll', async () => {
    expect(worker.app.get(OutboxWorker).options.pollMs).toBe(60_000);
    // Past the worker's start-up claim: from here on only a wake-up can make it claim.
    await new Promise((r) => setTimeout(r, 500));
    for (let n = 0; n < 3; n++) {
      const posted = Date.now();
      const lead = await postLead(writer, { name: `Woken ${n}`, phone: nextPhone().typed });
      let status = await statusOf(lead.dealId);
      while (status.some((s) => s !== 'done') && Date.now() - posted < 10_000) {
        await new Promise((r) => setTimeout(r, 20));
        status = await statusOf(lead.dealId);
      }
      expect(status).toEqual(['done']);
      expect(Date.now() - posted).toBeLessThan(10_000);
      const [notice] = await worker.query(`SELECT event FROM notification WHERE payload->>'dealId' = $1`, [lead.dealId]);
      expect(notice).toEqual({ event: 'lead_assigned' });
    }
  }, 60_000);

  it('wakes for a row put back by the admin API (retry) too', async () => {
    const lead = await postLead(writer, { name: 'Retried Wake', phone: nextPhone().typed });
    for (let i = 0; i < 500 && (await statusOf(lead.dealId)).some((s) => s !== 'done'); i++) await new Promise((r) => setTimeout(r, 20));
    // A row parked as dead, retried by an admin: pending again, claimed at once.
    const [{ id }] = await writer.query(`SELECT id FROM outbox WHERE payload->>'dealId' = $1`, [lead.dealId]);
    await writer.query(`UPDATE outbox SET status = 'dead' WHERE id = $1`, [id]);
    const res = await writer.request({ method: 'POST', url: `/api/outbox/${id}/retry`, token: await writer.adminToken() });
    expect(res.status).toBe(200);
    const retried = Date.now();
    let status = await statusOf(lead.dealId);
    while (status.some((s) => s !== 'done') && Date.now() - retried < 10_000) {
      await new Promise((r) => setTimeout(r, 20));
      status = await statusOf(lead.dealId);
    }
    expect(status).toEqual(['done']);
  }, 60_000);
});
