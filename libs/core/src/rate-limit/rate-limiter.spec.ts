import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows `limit` hits per window, then answers the seconds to wait', () => {
    const l = new RateLimiter(60_000);
    const t0 = 1_000_000;
    expect([l.hit('a', 2, t0), l.hit('a', 2, t0 + 1), l.hit('a', 2, t0 + 20_000)]).toEqual([0, 0, 40]);
    expect(l.hit('b', 2, t0 + 20_000)).toBe(0);
    expect(l.hit('a', 2, t0 + 60_000)).toBe(0);
  });

  it('can take a hit back', () => {
    const l = new RateLimiter(60_000);
    l.hit('a', 1, 0);
    l.undo('a');
    expect(l.retryAfter('a', 1, 1)).toBe(0);
    expect(l.hit('a', 1, 1)).toBe(0);
    expect(l.hit('a', 1, 2)).toBe(60);
  });
});
