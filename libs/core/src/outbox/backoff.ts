/** How long to wait before retrying an outbox message. */
export interface BackoffPolicy {
  /** Delay ceiling after the first failure. */
  baseMs: number;
  /** No delay is longer than this. */
  maxMs: number;
}

export const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 15_000, maxMs: 60 * 60_000 };

/** The range the delay after `failures` failures (1, 2, …) falls in: [ceiling/2, ceiling], ceiling = base·2^(failures−1) capped. */
export function backoffBounds(failures: number, policy: BackoffPolicy = OUTBOX_BACKOFF): { min: number; max: number } {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return { min: Math.round(ceiling / 2), max: ceiling };
}

/**
 * Exponential backoff with "equal jitter": half the ceiling is fixed, half random. The fixed half
 * keeps delays growing from one failure to the next; the random half spreads out the retries of
 * many messages that failed together (a provider outage) so they do not all come back at once.
 */
export function backoffDelayMs(failures: number, random: () => number = Math.random, policy: BackoffPolicy = OUTBOX_BACKOFF): number {
  const { min, max } = backoffBounds(failures, policy);
  return Math.round(min + random() * (max - min));
}
