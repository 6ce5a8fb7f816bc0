import { OutboxWorker } from '@leadline/core';
import { nextPhone, postLead } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

describe('outbox polling loop (OUTBOX_WORKER=on)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await TestHub.start({ OUTBOX_WORKER: 'on', OUTBOX_POLL_MS: '50' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('delivers new outbox rows by itself and stops with the app', async () => {
    expect(hub.app.get(OutboxWorker).options).toMatchObject({ worker: true, pollMs: 50 });
    const lead = await postLead(hub, { name: 'Polled Lead', phone: nextPhone().typed });
    const status = async () => (await hub.query(`SELECT status FROM outbox WHERE payload->>'dealId' = $1`, [lead.dealId])).map((r) => r.status);
    for (let i = 0; i < 200 && (await status()).some((s) => s !== 'done'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await status()).toEqual(['done']);
    const [notice] = await hub.query(`SELECT event FROM notification WHERE payload->>'dealId' = $1`, [lead.dealId]);
    expect(notice).toBeDefined();
  });
});
