import { ChannelStatusRegistry } from '@leadline/core';
import { TestHub } from '../support/test-hub';
import { expectError } from './http-helpers';

const NONE_REJECTED = { total: 0, lastHour: 0, lastAt: null, lastReason: null };

describe('GET /api/channels/status (HTTP)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await TestHub.start();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers an empty list when no channel reports', async () => {
    const res = await hub.request({ url: '/api/channels/status', token: await hub.adminToken() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('lists what the channels reported, with the last error of a failing one', async () => {
    const registry = hub.app.get(ChannelStatusRegistry);
    registry.report('telegram', '@leadline_bot', 'connected');
    registry.report('email', 'sales@example.com', 'connecting');
    registry.report('email', 'sales@example.com', 'error', 'IMAP login failed: AUTHENTICATIONFAILED');
    const res = await hub.request({ url: '/api/channels/status', token: await hub.adminToken() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { channel: 'email', name: 'sales@example.com', status: 'error', lastError: 'IMAP login failed: AUTHENTICATIONFAILED', since: expect.any(String), rejectedRequests: NONE_REJECTED },
      { channel: 'telegram', name: '@leadline_bot', status: 'connected', lastError: null, since: expect.any(String), rejectedRequests: NONE_REJECTED },
    ]);
    expect(Number.isNaN(Date.parse(res.body[0].since))).toBe(false);
  });

  it('counts requests that failed their signature check, with the rate of the last hour, without changing the status', async () => {
    const registry = hub.app.get(ChannelStatusRegistry);
    registry.report('phone', 'twilio AC1', 'connected');
    registry.rejected('phone', 'twilio AC1', 'signature mismatch');
    registry.rejected('phone', 'twilio AC1', 'missing signature');
    registry.rejected('phone', 'generic webhook', 'signature mismatch');
    const res = await hub.request({ url: '/api/channels/status', token: await hub.adminToken() });
    const twilio = res.body.find((s: { name: string }) => s.name === 'twilio AC1');
    expect(twilio).toMatchObject({ status: 'connected', rejectedRequests: { total: 2, lastHour: 2, lastAt: expect.any(String), lastReason: 'missing signature' } });
    // Known only from refused requests: idle, not error.
    expect(res.body.find((s: { name: string }) => s.name === 'generic webhook')).toMatchObject({ status: 'idle', lastError: null, rejectedRequests: { total: 1 } });
  });

  it('is for admins only', async () => {
    const m = await hub.createManager({ name: 'Curious Manager' });
    expectError(await hub.request({ url: '/api/channels/status', token: m.token }), 403, 'forbidden');
    expectError(await hub.request({ url: '/api/channels/status' }), 401, 'unauthorized');
  });
});
