import { ChannelStatusRegistry } from './channel-status';

describe('ChannelStatusRegistry', () => {
  it('keeps one entry per channel and name, with the time it entered its status and the last error', async () => {
    const registry = new ChannelStatusRegistry();
    registry.report('email', 'sales@example.com', 'connecting');
    registry.report('telegram', '@shop_bot', 'connected');
    const connecting = registry.list()[0].since;
    registry.report('email', 'sales@example.com', 'error', 'ECONNREFUSED 127.0.0.1:993');
    await new Promise((r) => setTimeout(r, 5));
    registry.report('email', 'sales@example.com', 'error');
    expect(registry.list()).toEqual([
      { channel: 'email', name: 'sales@example.com', status: 'error', lastError: 'ECONNREFUSED 127.0.0.1:993', since: expect.any(Date) },
      { channel: 'telegram', name: '@shop_bot', status: 'connected', lastError: null, since: expect.any(Date) },
    ]);
    // A repeated report of the same status keeps the time it first entered it.
    const errorSince = registry.list()[0].since;
    expect(errorSince.getTime()).toBeGreaterThanOrEqual(connecting.getTime());
    registry.report('email', 'sales@example.com', 'error', 'again');
    expect(registry.list()[0]).toMatchObject({ since: errorSince, lastError: 'again' });
    registry.report('email', 'sales@example.com', 'connected');
    expect(registry.list()[0]).toMatchObject({ status: 'connected', lastError: null });
    registry.remove('email', 'sales@example.com');
    expect(registry.list().map((s) => s.channel)).toEqual(['telegram']);
  });
});
