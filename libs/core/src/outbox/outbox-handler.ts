import { Injectable } from '@nestjs/common';

/** One outbox row as a handler sees it. */
export interface OutboxDelivery {
  /** The outbox row id: stable across retries, so use it as the provider's idempotency key. */
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  /** Attempts made before this one (0 on the first delivery). */
  attempts: number;
}

/**
 * Performs the side effect of one outbox kind (send a Telegram message, an email, store an in-app
 * notice). Throwing fails the attempt: it is retried with backoff and finally parked as dead.
 * Delivery is at least once: a crash after the send but before the row is marked done sends again
 * on the retry, so a handler passes `id` to providers that accept an idempotency key.
 */
export interface OutboxHandler {
  readonly kind: string;
  handle(message: OutboxDelivery): Promise<void>;
  /**
   * Called once when the row is parked as dead (no more automatic retries), e.g. to show the failed
   * message on the timeline. Its own failure is logged and does not change the row.
   */
  onDead?(message: OutboxDelivery, lastError: string): Promise<void>;
}

/** Channels register a handler per kind at module init; the worker looks them up here. */
@Injectable()
export class OutboxHandlerRegistry {
  private readonly handlers = new Map<string, OutboxHandler>();

  register(handler: OutboxHandler): void {
    if (this.handlers.has(handler.kind)) throw new Error(`an outbox handler for "${handler.kind}" is already registered`);
    this.handlers.set(handler.kind, handler);
  }

  get(kind: string): OutboxHandler | undefined {
    return this.handlers.get(kind);
  }

  kinds(): string[] {
    return [...this.handlers.keys()];
  }
}
