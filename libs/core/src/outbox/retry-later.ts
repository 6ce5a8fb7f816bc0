/**
 * Thrown by an outbox handler when the provider said "not now, try again in N" (Telegram's 429
 * `retry_after`, a chat held back after one). Not a failed attempt: the row goes back to pending,
 * due exactly `afterMs` from now, without using up its attempts or waiting out the backoff, and the
 * worker's other deliveries go on meanwhile.
 */
export class RetryLater extends Error {
  readonly afterMs: number;

  constructor(afterMs: number, message: string) {
    super(message);
    this.name = 'RetryLater';
    this.afterMs = Math.max(0, Math.round(afterMs));
  }
}

export function isRetryLater(err: unknown): err is RetryLater {
  return err instanceof RetryLater || (err instanceof Error && err.name === 'RetryLater' && typeof (err as { afterMs?: unknown }).afterMs === 'number');
}
