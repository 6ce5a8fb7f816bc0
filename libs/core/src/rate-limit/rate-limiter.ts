/**
 * Fixed-window counter per key, in process memory. Good enough to stop a flood from one client on
 * one hub process; with several processes each applies its own limit.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(private readonly windowMs = 60_000) {}

  /** Counts a hit. Returns 0 when allowed, otherwise the seconds until the window resets. */
  hit(key: string, limit: number, now = Date.now()): number {
    const wait = this.retryAfter(key, limit, now);
    if (wait === 0) this.window(key, now).count++;
    return wait;
  }

  /** Takes back one hit of the current window (a login that turned out right does not count). */
  undo(key: string): void {
    const w = this.windows.get(key);
    if (w && w.count > 0) w.count--;
  }

  /** Seconds until `key` may go on (0 = now), without counting anything. */
  retryAfter(key: string, limit: number, now = Date.now()): number {
    this.sweep(now);
    const w = this.window(key, now);
    return w.count >= limit ? Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) : 0;
  }

  private window(key: string, now: number): { start: number; count: number } {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  private sweep(now: number) {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
  }
}
