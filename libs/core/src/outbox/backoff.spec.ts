import { backoffBounds, backoffDelayMs, OUTBOX_BACKOFF } from './backoff';

describe('outbox backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles the ceiling with every failure', () => {
    expect([1, 2, 3, 4].map((n) => backoffBounds(n, policy))).toEqual([
      { min: 500, max: 1000 },
      { min: 1000, max: 2000 },
      { min: 2000, max: 4000 },
      { min: 4000, max: 8000 },
    ]);
  });

  it('stays within the bounds for any random draw', () => {
    for (const r of [0, 0.25, 0.5, 0.999999]) {
      for (let n = 1; n <= 10; n++) {
        const d = backoffDelayMs(n, () => r, policy);
        const { min, max } = backoffBounds(n, policy);
        expect(d).toBeGreaterThanOrEqual(min);
        expect(d).toBeLessThanOrEqual(max);
      }
    }
    expect(backoffDelayMs(3, () => 0, policy)).toBe(2000);
    expect(backoffDelayMs(3, () => 1, policy)).toBe(4000);
  });

  it('never shrinks from one failure to the next below the cap, whatever the jitter', () => {
    for (let n = 1; backoffBounds(n + 1, policy).max < policy.maxMs; n++) expect(backoffDelayMs(n + 1, () => 0, policy)).toBeGreaterThanOrEqual(backoffDelayMs(n, () => 1, policy));
  });

  it('is capped, also for absurd failure counts', () => {
    expect(backoffBounds(50, policy)).toEqual({ min: 30_000, max: 60_000 });
    expect(backoffBounds(5000, policy).max).toBe(60_000);
    expect(backoffBounds(0, policy)).toEqual({ min: 500, max: 1000 });
  });

  it('uses a default policy of 15 s doubling up to an hour', () => {
    expect(backoffBounds(1)).toEqual({ min: 7500, max: 15_000 });
    expect(backoffBounds(20)).toEqual({ min: OUTBOX_BACKOFF.maxMs / 2, max: OUTBOX_BACKOFF.maxMs });
  });
});
