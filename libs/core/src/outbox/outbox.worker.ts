import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../core-options';
import { returnedRows } from '../database/returned-rows';
import { backoffDelayMs } from './backoff';
import { OutboxHandlerRegistry, type OutboxDelivery } from './outbox-handler';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox-options';

export interface OutboxRunResult {
  claimed: number;
  done: number;
  failed: number;
  dead: number;
}

const LEASE_EXPIRED = 'lease expired: a worker claimed the message and stopped before finishing (it may have been sent)';
const MAX_ERROR_LENGTH = 2000;

/**
 * Delivers outbox rows after their transaction committed. A poll claims due rows with
 * FOR UPDATE SKIP LOCKED and marks them `processing` in that one statement, so two workers
 * (two hub processes) never take the same row; handlers then run with no transaction open, and
 * each row is marked done, failed (retry later with backoff) or dead (after maxAttempts).
 * A claim is a lease: a row left `processing` by a crashed worker is claimed again once it expires.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Outbox');
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly handlers: OutboxHandlerRegistry,
    @Inject(OUTBOX_OPTIONS) private readonly settings: OutboxOptions,
  ) {}

  get options(): Readonly<OutboxOptions> {
    return this.settings;
  }

  onApplicationBootstrap(): void {
    if (this.settings.worker) this.schedule(0);
  }

  /** Stops polling and waits for deliveries under way, while the database is still open. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claims one batch of due rows and delivers it. Safe to call concurrently, from any number of processes. */
  runOnce(limit = this.settings.batchSize): Promise<OutboxRunResult> {
    const run = this.claimAndDeliver(limit);
    this.inFlight.add(run);
    return run.finally(() => this.inFlight.delete(run));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    let full = false;
    try {
      const result = await this.runOnce();
      full = result.claimed >= this.settings.batchSize;
    } catch (err) {
      this.log.warn({ msg: 'outbox poll failed', error: (err as Error).message });
    }
    // A full batch means more may be waiting: poll again at once instead of after the pause.
    this.schedule(full ? 0 : this.settings.pollMs);
  }

  private async claimAndDeliver(limit: number): Promise<OutboxRunResult> {
    const now = this.clock.now();
    const token = randomUUID();
    const claimed = await this.claim(now, limit, token);
    const result: OutboxRunResult = { claimed: claimed.length, done: 0, failed: 0, dead: 0 };
    await Promise.all(
      claimed.map(async (message) => {
        const outcome = await this.deliver(message, token);
        result[outcome]++;
      }),
    );
    return result;
  }

  /**
   * "Now" for the outbox is the later of the domain clock and the database clock: rows are written due
   * at the database's now(), so a domain clock behind it (a test clock, a skewed host) must not hide
   * them, and a clock ahead of it (tests moving time forward to reach a retry) still makes them due.
   */
  private async claim(clockNow: Date, limit: number, token: string): Promise<OutboxDelivery[]> {
    // A re-claimed (lease expired) row counts the lost attempt, so a message that crashes the
    // process every time still ends as dead instead of looping forever.
    const rows = await this.db.query(
      `WITH due AS (
         SELECT id FROM outbox
          WHERE (status IN ('pending', 'failed') AND next_attempt_at <= GREATEST($1::timestamptz, now()))
             OR (status = 'processing' AND claimed_at <= GREATEST($1::timestamptz, now()) - make_interval(secs => $2))
          ORDER BY next_attempt_at, id
          LIMIT $3
          FOR UPDATE SKIP LOCKED)
       UPDATE outbox o
          SET status = 'processing', claimed_at = GREATEST($1::timestamptz, now()), claim_token = $4, updated_at = now(),
              attempts = CASE WHEN o.status = 'processing' THEN o.attempts + 1 ELSE o.attempts END,
              last_error = CASE WHEN o.status = 'processing' THEN $5 ELSE o.last_error END
         FROM due
        WHERE o.id = due.id
       RETURNING o.id, o.kind, o.payload, o.attempts`,
      [clockNow, this.settings.leaseSeconds, limit, token, LEASE_EXPIRED],
    );
    return returnedRows<OutboxDelivery>(rows);
  }

  private async deliver(message: OutboxDelivery, token: string): Promise<'done' | 'failed' | 'dead'> {
    if (message.attempts >= this.settings.maxAttempts) {
      // Its last attempt was lost with a crashed worker (the claim already counted it).
      await this.db.query(`UPDATE outbox SET status = 'dead', claimed_at = NULL, claim_token = NULL, updated_at = now() WHERE id = $1 AND claim_token = $2`, [message.id, token]);
      this.log.error({ msg: 'outbox delivery dead', outboxId: message.id, kind: message.kind, attempt: message.attempts, error: LEASE_EXPIRED });
      await this.notifyDead(message, LEASE_EXPIRED);
      return 'dead';
    }
    const handler = this.handlers.get(message.kind);
    try {
      if (!handler) throw new Error(`no outbox handler is registered for kind "${message.kind}"`);
      await withTimeout(handler.handle(message), (this.settings.leaseSeconds * 1000) / 2, message.kind);
    } catch (err) {
      const error = describe(err);
      const status = await this.fail(message, token, error);
      const line = { msg: `outbox delivery ${status}`, outboxId: message.id, kind: message.kind, attempt: message.attempts + 1, error };
      if (status === 'dead') {
        this.log.error(line);
        await this.notifyDead(message, error);
      } else this.log.warn(line);
      return status;
    }
    await this.db.query(
      `UPDATE outbox SET status = 'done', attempts = attempts + 1, last_error = NULL, claimed_at = NULL, claim_token = NULL, updated_at = now()
        WHERE id = $1 AND claim_token = $2`,
      [message.id, token],
    );
    this.log.debug({ msg: 'outbox delivered', outboxId: message.id, kind: message.kind, attempt: message.attempts + 1 });
    return 'done';
  }

  private async notifyDead(message: OutboxDelivery, error: string): Promise<void> {
    const handler = this.handlers.get(message.kind);
    if (!handler?.onDead) return;
    try {
      await handler.onDead(message, error);
    } catch (err) {
      this.log.error({ msg: 'outbox onDead hook failed', outboxId: message.id, kind: message.kind, error: describe(err) });
    }
  }

  /** Records a failed attempt: retry after a backoff, or dead once maxAttempts is reached. Only while we still hold the claim. */
  private async fail(message: OutboxDelivery, token: string, error: string): Promise<'failed' | 'dead'> {
    const attempts = message.attempts + 1;
    const dead = attempts >= this.settings.maxAttempts;
    // The backoff counts from the same "now" the claim uses (see claim()).
    await this.db.query(
      `UPDATE outbox SET status = $3, attempts = $4, last_error = $5,
              next_attempt_at = CASE WHEN $3 = 'dead' THEN next_attempt_at ELSE GREATEST($6::timestamptz, now()) + make_interval(secs => $7::double precision / 1000) END,
              claimed_at = NULL, claim_token = NULL, updated_at = now()
        WHERE id = $1 AND claim_token = $2`,
      [message.id, token, dead ? 'dead' : 'failed', attempts, error.slice(0, MAX_ERROR_LENGTH), this.clock.now(), backoffDelayMs(attempts)],
    );
    return dead ? 'dead' : 'failed';
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function withTimeout<T>(work: Promise<T>, ms: number, kind: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`outbox handler for "${kind}" did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
