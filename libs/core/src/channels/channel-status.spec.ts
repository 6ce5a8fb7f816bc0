import { ChannelStatusRegistry } from './channel-status';

describe('ChannelStatusRegistry rejected requests', () => {
  afterEach(() => jest.restoreAllMocks());

  it('keeps the total and the last hour apart, in bounded memory', () => {
    let now = Date.parse('2026-11-23T08:00:00Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const r = new ChannelStatusRegistry();
    r.report('phone', 'twilio AC1', 'connected');
    for (let i = 0; i < 1000; i++) r.rejected('phone', 'twilio AC1', 'signature mismatch');
    now += 30 * 60_000;
    r.rejected('phone', 'twilio AC1', 'missing signature');
    expect(r.list()[0]).toMatchObject({ status: 'connected', rejectedRequests: { total: 1001, lastHour: 1001, lastReason: 'missing signature' } });
    now += 31 * 60_000;
    expect(r.list()[0].rejectedRequests).toMatchObject({ total: 1001, lastHour: 1 });
    now += 60 * 60_000;
    expect(r.list()[0].rejectedRequests.lastHour).toBe(0);
  });
});
