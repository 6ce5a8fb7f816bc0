/** Outbox worker settings (OUTBOX_* in the hub's configuration). */
export interface OutboxOptions {
  /** Run the polling loop in this process. Off: rows are only processed by explicit runOnce() calls. */
  worker: boolean;
  /** Pause between polls when the last one found less than a full batch. */
  pollMs: number;
  /** Failed deliveries before a message is parked as dead. */
  maxAttempts: number;
  /** A row claimed longer ago than this is taken to belong to a crashed worker and is claimed again. */
  leaseSeconds: number;
  /** Deliveries under way at once in this process (OUTBOX_CONCURRENCY); a claim takes at most the free slots. */
  batchSize: number;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = { worker: true, pollMs: 1000, maxAttempts: 8, leaseSeconds: 120, batchSize: 10 };

export const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');
