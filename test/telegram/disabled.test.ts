import { TestHub } from '../support/test-hub';
import { HUB_START_MS } from './telegram-helpers';

describe('Telegram not configured', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await TestHub.start();
  }, HUB_START_MS);
  afterAll(() => hub?.close(), HUB_START_MS);

  it('starts without any Telegram settings and says so where Telegram is asked for', async () => {
    const admin = await hub.adminToken();
    const [me] = await hub.query(`SELECT id FROM manager LIMIT 1`);
    const link = await hub.request({ method: 'POST', url: `/api/managers/${me.id}/telegram-link`, token: admin });
    expect(link.status).toBe(409);
    expect(link.body.message).toContain('TELEGRAM_BOT_TOKEN');
    const webhook = await hub.request({ method: 'POST', url: '/api/inbound/telegram/client', body: { update_id: 1 } });
    expect(webhook.status).toBe(404);
  });
});
