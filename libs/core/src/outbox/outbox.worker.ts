import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../core-options';
import { returnedRows } from '../database/returned-rows';
import { DatabaseNotifications, OUTBOX_CHANNEL } from '../wakeups/database-notifications';
import { backoffDelayMs } from './backoff';
import { OutboxHandlerRegistry, type OutboxDelivery } from './outbox-handler';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox-options';
import { isRetryLater } from './retry-later';

export interface OutboxRunResult {
  claimed: number;
  done: number;
  failed: number;
  dead: number;
  /** Put back for later at the provider's request (RetryLater), no attempt used. */
  deferred: number;
}

type Outcome = 'done' | 'failed' | 'dead' | 'deferred';

const LEASE_EXPIRED = 'lease expired: a worker claimed the message and stopped before finishing (it may have been sent)';
const MAX_ERROR_LENGTH = 2000;
/** A provider asking for more than this is asked again after it (the row stays pending, nothing is lost). */
const MAX_DEFER_MS = 60 * 60_000;
/** Rows marked done in one statement at most. */
const MAX_DONE_BATCH = 200;

/**
 * Delivers outbox rows after their transaction committed. A claim takes due rows with
 * FOR UPDATE SKIP LOCKED and marks them `processing` in that one statement, so two workers
 * (two hub processes) never take the same row; handlers then run with no transaction open, and
 * each row is marked done, failed (retry later with backoff) or dead (after maxAttempts).
 * A claim is a lease: a row left `processing` by a crashed worker is claimed again once it expires.
 *
 * When to claim: a trigger NOTIFYs on every row that becomes pending, delivered at commit to every
 * hub process (DatabaseNotifications), so new work is claimed right after it becomes visible. The
 * poll every `pollMs` stays as the safety net (a notification lost while the listening connection
 * was down, rows due later). Up to `batchSize` deliveries run at once, each on its own: a slow one
 * (a provider taking its time) holds one slot, not the rows claimed with it; a free slot claims more.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Outbox');
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Deliveries started by the background loop and not finished yet. */
  private active = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  /** One timer for the earliest row this process put off (RetryLater): claimed on time, not at the next poll. */
  private dueTimer: { at: number; timer: NodeJS.Timeout } | null = null;
  /** Due times of rows put off in this process, for wakeAt (cleared when their delivery ends). */
  private readonly deferredUntil = new Map<string, number>();
  private pumping: Promise<void> | null = null;
  private wakeAgain = false;
  /** Rows may be waiting that no slot was free for: a finishing delivery claims again. */
  private backlog = false;
  private stopped = false;
  private readonly unsubscribe: Array<() => void> = [];
  /** Delivered rows waiting for their done mark, and the mark under way (see markDone). */
  private readonly doneQueue: Array<{ id: string; token: string; resolve: () => void; reject: (err: unknown) => void }> = [];
  private marking: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly handlers: OutboxHandlerRegistry,
    @Inject(OUTBOX_OPTIONS) private readonly settings: OutboxOptions,
    @Optional() private readonly notifications?: DatabaseNotifications,
  ) {}

  get options(): Readonly<OutboxOptions> {
    return this.settings;
  }

  onApplicationBootstrap(): void {
    if (!this.settings.worker) return;
    if (this.notifications) {
      this.unsubscribe.push(this.notifications.listen(OUTBOX_CHANNEL, () => this.wake()));
      // Rows committed while the listening connection was down were announced to nobody.
      this.unsubscribe.push(this.notifications.onConnected(() => this.wake()));
    }
    this.wake();
  }

  /** Stops claiming and waits for deliveries under way, while the database is still open. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    this.pollTimer = null;
    this.dueTimer = null;
    await this.pumping;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claims one batch of due rows and delivers it. Safe to call concurrently, from any number of processes. */
  runOnce(limit = this.settings.batchSize): Promise<OutboxRunResult> {
    const run = this.claimAndDeliver(limit);
    this.inFlight.add(run);
    return run.finally(() => this.inFlight.delete(run));
  }

  /** Claims due rows now (background loop only): new work was announced, a slot came free, or the poll fired. */
  wake(): void {
    if (this.stopped || !this.settings.worker) return;
    if (this.pumping) {
      this.wakeAgain = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.wakeAgain && !this.stopped) this.wake();
    });
  }

  private async pump(): Promise<void> {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    try {
      do {
        this.wakeAgain = false;
        const free = this.settings.batchSize - this.active;
        // Every slot busy: the next delivery to finish claims.
        if (free <= 0) {
          this.backlog = true;
          return;
        }
        const token = randomUUID();
        const claimed = await this.claim(this.clock.now(), free, token);
        for (const message of claimed) this.startDelivery(message, token);
        // As many as asked for: more may be waiting.
        this.backlog = claimed.length === free;
        if (this.backlog) this.wakeAgain = true;
      } while (this.wakeAgain && !this.stopped);
    } catch (err) {
      this.log.warn({ msg: 'outbox claim failed', error: (err as Error).message });
    } finally {
      if (!this.stopped) this.pollTimer = setTimeout(() => this.wake(), this.settings.pollMs);
    }
  }

  private startDelivery(message: OutboxDelivery, token: string): void {
    this.active++;
    const run = this.deliver(message, token)
      .then((outcome) => {
        if (outcome === 'deferred') this.wakeAt(this.deferredUntil.get(message.id));
      })
      .catch((err) => this.log.warn({ msg: 'outbox delivery bookkeeping failed', outboxId: message.id, kind: message.kind, error: describe(err) }))
      .finally(() => {
        this.deferredUntil.delete(message.id);
        this.active--;
        this.inFlight.delete(run);
        if (this.backlog) this.wake();
      });
    this.inFlight.add(run);
  }

  private wakeAt(at: number | undefined): void {
    if (at === undefined || this.stopped) return;
    if (this.dueTimer && this.dueTimer.at <= at) return;
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    const timer = setTimeout(() => {
      this.dueTimer = null;
      this.wake();
    }, Math.max(0, at - Date.now()));
    this.dueTimer = { at, timer };
  }

  private async claimAndDeliver(limit: number): Promise<OutboxRunResult> {
    const now = this.clock.now();
    const token = randomUUID();
    const claimed = await this.claim(now, limit, token);
    const result: OutboxRunResult = { claimed: claimed.length, done: 0, failed: 0, dead: 0, deferred: 0 };
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
    // Due rows and lapsed leases are read apart, each in its own index's order and stopped at the
    // batch size: one query with OR between them cannot use either order and sorted every due row on
    // each claim, so a backlog made every claim slower. Rows locked here but not picked are free again
    // when the statement ends.
    const rows = await this.db.query(
      `WITH due AS (
         SELECT id, next_attempt_at FROM outbox
          WHERE status IN ('pending', 'failed') AND next_attempt_at <= GREATEST($1::timestamptz, now())
          ORDER BY next_attempt_at, id
          LIMIT $3
          FOR UPDATE SKIP LOCKED
       ), lapsed AS (
         SELECT id, next_attempt_at FROM outbox
          WHERE status = 'processing' AND claimed_at <= GREATEST($1::timestamptz, now()) - make_interval(secs => $2)
          ORDER BY claimed_at
          LIMIT $3
          FOR UPDATE SKIP LOCKED
       ), picked AS (
         SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM lapsed) AS claimable ORDER BY next_attempt_at, id LIMIT $3
       )
       UPDATE outbox o
          SET status = 'processing', claimed_at = GREATEST($1::timestamptz, now()), claim_token = $4, updated_at = now(),
              attempts = CASE WHEN o.status = 'processing' THEN o.attempts + 1 ELSE o.attempts END,
              last_error = CASE WHEN o.status = 'processing' THEN $5 ELSE o.last_error END
         FROM picked
        WHERE o.id = picked.id
       RETURNING o.id, o.kind, o.payload, o.attempts`,
      [clockNow, this.settings.leaseSeconds, limit, token, LEASE_EXPIRED],
    );
    return returnedRows<OutboxDelivery>(rows);
  }

  private async deliver(message: OutboxDelivery, token: string): Promise<Outcome> {
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
      if (isRetryLater(err)) return this.defer(message, token, Math.min(err.afterMs, MAX_DEFER_MS), describe(err));
      const error = describe(err);
      const status = await this.fail(message, token, error);
      const line = { msg: `outbox delivery ${status}`, outboxId: message.id, kind: message.kind, attempt: message.attempts + 1, error };
      if (status === 'dead') {
        this.log.error(line);
        await this.notifyDead(message, error);
      } else this.log.warn(line);
      return status;
    }
    await this.markDone(message.id, token);
    this.log.debug({ msg: 'outbox delivered', outboxId: message.id, kind: message.kind, attempt: message.attempts + 1 });
    return 'done';
  }

  /**
   * Marks a delivered row done (only while we still hold the claim). Deliveries finishing while a mark
   * is under way are marked together in the next statement: one round trip for many rows under load,
   * no wait at all when quiet. Each caller still resolves only once its own row is marked.
   */
  private markDone(id: string, token: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.doneQueue.push({ id, token, resolve, reject });
      if (!this.marking) this.marking = this.flushDone();
    });
  }

  private async flushDone(): Promise<void> {
    try {
      while (this.doneQueue.length > 0) {
        const batch = this.doneQueue.splice(0, MAX_DONE_BATCH);
        try {
          await this.db.query(
            `UPDATE outbox o SET status = 'done', attempts = o.attempts + 1, last_error = NULL, claimed_at = NULL, claim_token = NULL, updated_at = now()
               FROM unnest($1::uuid[], $2::uuid[]) AS d(id, token)
              WHERE o.id = d.id AND o.claim_token = d.token`,
            [batch.map((d) => d.id), batch.map((d) => d.token)],
          );
          for (const d of batch) d.resolve();
        } catch (err) {
          for (const d of batch) d.reject(err);
        }
      }
    } finally {
      this.marking = null;
    }
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

  /**
   * The provider asked us to come back later (RetryLater): pending again, due after exactly that long
   * (from the same "now" the claim uses, see claim()), attempts unchanged.
   */
  private async defer(message: OutboxDelivery, token: string, afterMs: number, reason: string): Promise<'deferred'> {
    await this.db.query(
      `UPDATE outbox SET status = 'pending', last_error = $3, next_attempt_at = GREATEST($5::timestamptz, now()) + make_interval(secs => $4::double precision / 1000),
              claimed_at = NULL, claim_token = NULL, updated_at = now()
        WHERE id = $1 AND claim_token = $2`,
      [message.id, token, `deferred: ${reason}`.slice(0, MAX_ERROR_LENGTH), afterMs, this.clock.now()],
    );
    this.deferredUntil.set(message.id, Date.now() + afterMs);
    this.log.debug({ msg: 'outbox delivery deferred', outboxId: message.id, kind: message.kind, afterMs, reason });
    return 'deferred';
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
