import { backoffBounds, OutboxHandlerRegistry, OutboxWorker, type OutboxDelivery } from '@leadline/core';
import { expectError, MISSING_ID } from '../http/http-helpers';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';

const SECOND = 1000;
const MAX_ATTEMPTS = 4;
const LEASE_SECONDS = 60;

describe('outbox worker', () => {
  let hub: TestHub;
  let worker: OutboxWorker;
  let admin: string;
  const calls: OutboxDelivery[] = [];
  let failing = true;
  const T0 = new Date(Date.now() + 24 * 3600 * SECOND);

  beforeAll(async () => {
    hub = await TestHub.start({ OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS), OUTBOX_LEASE_SECONDS: String(LEASE_SECONDS) });
    worker = hub.app.get(OutboxWorker);
    admin = await hub.adminToken();
    const registry = hub.app.get(OutboxHandlerRegistry);
    registry.register({ kind: 'test.ok', handle: async (m) => void calls.push(m) });
    registry.register({
      kind: 'test.fail',
      handle: async (m) => {
        calls.push(m);
        if (failing) throw new Error('provider said no');
      },
    });
  });
  beforeEach(() => {
    calls.length = 0;
    failing = true;
    hub.clock.set(T0);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const enqueue = async (kind: string, payload: Record<string, unknown> = {}, at = T0): Promise<string> => {
    const [row] = await hub.query(`INSERT INTO outbox (kind, payload, next_attempt_at) VALUES ($1, $2, $3) RETURNING id`, [kind, JSON.stringify(payload), at]);
    return row.id;
  };
  const row = async (id: string) => (await hub.query(`SELECT status, attempts, last_error, next_attempt_at, claimed_at FROM outbox WHERE id = $1`, [id]))[0];
  const callsFor = (id: string) => calls.filter((c) => c.id === id);
  /** Runs the worker until a poll claims nothing. */
  const drain = async () => {
    for (let i = 0; i < 100; i++) if ((await worker.runOnce(50)).claimed === 0) return;
    throw new Error('outbox never drained');
  };

  it('delivers a due message once, with its row id as the idempotency key, and marks it done', async () => {
    const id = await enqueue('test.ok', { hello: 'world' });
    const later = await enqueue('test.ok', {}, new Date(T0.getTime() + 60 * SECOND));
    await drain();
    expect(callsFor(id)).toEqual([{ id, kind: 'test.ok', payload: { hello: 'world' }, attempts: 0 }]);
    expect(await row(id)).toMatchObject({ status: 'done', attempts: 1, last_error: null, claimed_at: null });
    expect(callsFor(later)).toEqual([]);
    expect((await row(later)).status).toBe('pending');

    hub.clock.set(new Date(T0.getTime() + 60 * SECOND));
    await drain();
    expect(callsFor(id)).toHaveLength(1);
    expect(callsFor(later)).toHaveLength(1);
  });

  it('retries a failing message with growing, jittered backoff and parks it as dead after the last attempt', async () => {
    const id = await enqueue('test.fail', { n: 1 });
    let now = T0;
    let previousDelay = 0;
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      await drain();
      const r = await row(id);
      expect(r).toMatchObject({ status: 'failed', attempts: attempt, last_error: 'provider said no' });
      const delay = new Date(r.next_attempt_at).getTime() - now.getTime();
      const { min, max } = backoffBounds(attempt);
      expect(delay).toBeGreaterThanOrEqual(min - 1);
      expect(delay).toBeLessThanOrEqual(max + 1);
      expect(delay).toBeGreaterThanOrEqual(previousDelay);
      previousDelay = delay;

      // Not due yet: a poll a moment before the retry time leaves it alone.
      hub.clock.set(new Date(now.getTime() + delay - SECOND));
      await drain();
      expect(callsFor(id)).toHaveLength(attempt);

      now = new Date(r.next_attempt_at);
      hub.clock.set(now);
    }
    await drain();
    expect(await row(id)).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS, last_error: 'provider said no' });
    expect(callsFor(id).map((c) => c.attempts)).toEqual([0, 1, 2, 3]);

    hub.clock.set(new Date(now.getTime() + 365 * 24 * 3600 * SECOND));
    await drain();
    expect(callsFor(id)).toHaveLength(MAX_ATTEMPTS);
  });

  it('fails a message nobody handles, with a clear error, and finally parks it as dead', async () => {
    const id = await enqueue('test.nobody', { x: 1 });
    await drain();
    const r = await row(id);
    expect(r).toMatchObject({ status: 'failed', attempts: 1 });
    expect(r.last_error).toBe('no outbox handler is registered for kind "test.nobody"');
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      hub.clock.set(new Date((await row(id)).next_attempt_at));
      await drain();
    }
    expect(await row(id)).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
  });

  describe('admin API', () => {
    it('lists dead and failed messages and retries one with a fresh attempt budget', async () => {
      const dead = await enqueue('test.fail', { which: 'dead' });
      await hub.query(`UPDATE outbox SET status = 'dead', attempts = $2, last_error = 'provider said no' WHERE id = $1`, [dead, MAX_ATTEMPTS]);
      const failed = await enqueue('test.fail', { which: 'failed' });
      await drain();

      const deadList = await hub.request({ url: '/api/outbox?status=dead', token: admin });
      expect(deadList.status).toBe(200);
      expect(deadList.body.map((m: any) => m.id)).toContain(dead);
      expect(deadList.body.every((m: any) => m.status === 'dead')).toBe(true);
      expect(deadList.body.find((m: any) => m.id === dead)).toMatchObject({ kind: 'test.fail', attempts: MAX_ATTEMPTS, lastError: 'provider said no', payload: { which: 'dead' } });

      const failedList = await hub.request({ url: '/api/outbox?status=failed', token: admin });
      expect(failedList.body.map((m: any) => m.id)).toContain(failed);
      expect(failedList.body.map((m: any) => m.id)).not.toContain(dead);
      const attention = await hub.request({ url: '/api/outbox', token: admin });
      expect(attention.body.map((m: any) => m.id)).toEqual(expect.arrayContaining([dead, failed]));

      const retried = await hub.request({ method: 'POST', url: `/api/outbox/${dead}/retry`, token: admin });
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ id: dead, status: 'pending', attempts: 0 });
      expect(new Date(retried.body.nextAttemptAt).getTime()).toBe(T0.getTime());
      const pending = await hub.request({ url: '/api/outbox?status=pending', token: admin });
      expect(pending.body.map((m: any) => m.id)).toContain(dead);

      failing = false;
      await drain();
      expect(await row(dead)).toMatchObject({ status: 'done', attempts: 1, last_error: null });
      expect(callsFor(dead)).toEqual([{ id: dead, kind: 'test.fail', payload: { which: 'dead' }, attempts: 0 }]);
    });

    it('answers 409 for a message that is not failed or dead, 404 for an unknown one, 400 for a bad status', async () => {
      const id = await enqueue('test.ok');
      await drain();
      expectError(await hub.request({ method: 'POST', url: `/api/outbox/${id}/retry`, token: admin }), 409, 'conflict');
      expectError(await hub.request({ method: 'POST', url: `/api/outbox/${MISSING_ID}/retry`, token: admin }), 404, 'not_found');
      expectError(await hub.request({ url: '/api/outbox?status=lost', token: admin }), 400, 'invalid', ['status']);
    });

    it('is for admins only', async () => {
      const manager = await hub.createManager({ name: 'Outbox Nosy' });
      expectError(await hub.request({ url: '/api/outbox', token: manager.token }), 403, 'forbidden');
      expectError(await hub.request({ method: 'POST', url: `/api/outbox/${MISSING_ID}/retry`, token: manager.token }), 403, 'forbidden');
      expectError(await hub.request({ url: '/api/outbox' }), 401, 'unauthorized');
    });
  });

  describe('leases', () => {
    it('delivers again a message left processing by a crashed worker once its lease has expired, not before', async () => {
      const crashed = await enqueue('test.ok', { crashed: true });
      const busy = await enqueue('test.ok', { busy: true });
      const token = '11111111-1111-4111-8111-111111111111';
      await hub.query(`UPDATE outbox SET status = 'processing', claimed_at = $2, claim_token = $3 WHERE id = $1`, [crashed, new Date(T0.getTime() - (LEASE_SECONDS + 1) * SECOND), token]);
      await hub.query(`UPDATE outbox SET status = 'processing', claimed_at = $2, claim_token = $3 WHERE id = $1`, [busy, new Date(T0.getTime() - 10 * SECOND), token]);
      await drain();
      expect(callsFor(crashed)).toHaveLength(1);
      expect(callsFor(crashed)[0].attempts).toBe(1);
      expect(await row(crashed)).toMatchObject({ status: 'done', attempts: 2 });
      expect(callsFor(busy)).toHaveLength(0);
      expect((await row(busy)).status).toBe('processing');

      hub.clock.set(new Date(T0.getTime() + LEASE_SECONDS * SECOND));
      await drain();
      expect(callsFor(busy)).toHaveLength(1);
    });

    it('ignores the late result of a worker whose lease was taken over', async () => {
      let release!: () => void;
      const hold = new Promise<void>((r) => (release = r));
      let slowCalls = 0;
      hub.app.get(OutboxHandlerRegistry).register({
        kind: 'test.slow',
        handle: async () => {
          slowCalls++;
          if (slowCalls === 1) {
            await hold;
            throw new Error('late failure of the first worker');
          }
        },
      });
      const id = await enqueue('test.slow');
      const first = worker.runOnce(50);
      for (let i = 0; i < 50 && slowCalls === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(slowCalls).toBe(1);

      hub.clock.set(new Date(T0.getTime() + (LEASE_SECONDS + 1) * SECOND));
      await worker.runOnce(50);
      expect(slowCalls).toBe(2);
      expect((await row(id)).status).toBe('done');

      release();
      await first;
      expect(await row(id)).toMatchObject({ status: 'done', attempts: 2, last_error: null });
    });

    it('parks a message as dead when its lease expired on the last attempt', async () => {
      const id = await enqueue('test.ok', { poison: true });
      await hub.query(`UPDATE outbox SET status = 'processing', attempts = $2, claimed_at = $3, claim_token = gen_random_uuid() WHERE id = $1`, [
        id,
        MAX_ATTEMPTS - 1,
        new Date(T0.getTime() - (LEASE_SECONDS + 1) * SECOND),
      ]);
      await drain();
      expect(callsFor(id)).toHaveLength(0);
      const r = await row(id);
      expect(r).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
      expect(r.last_error).toMatch(/lease expired/);
    });
  });

  describe('concurrency', () => {
    const deliveries = new Map<string, number>();
    const countingHandler = {
      kind: 'test.count',
      handle: async (m: OutboxDelivery) => {
        deliveries.set(m.id, (deliveries.get(m.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
      },
    };
    beforeAll(() => hub.app.get(OutboxHandlerRegistry).register(countingHandler));
    beforeEach(() => deliveries.clear());

    const enqueueMany = async (n: number): Promise<string[]> => {
      const rows = await hub.query(
        `INSERT INTO outbox (kind, payload, next_attempt_at) SELECT 'test.count', jsonb_build_object('i', i), $1 FROM generate_series(1, $2) AS i RETURNING id`,
        [T0, n],
      );
      return rows.map((r: any) => r.id);
    };
    const expectEachOnce = async (ids: string[]) => {
      expect(ids.filter((id) => deliveries.get(id) !== 1)).toEqual([]);
      const [{ done }] = await hub.query(`SELECT count(*)::int AS done FROM outbox WHERE id = ANY($1::uuid[]) AND status = 'done' AND attempts = 1`, [ids]);
      expect(done).toBe(ids.length);
    };

    it('never delivers one row twice when several polls run at once', async () => {
      const ids = await enqueueMany(120);
      for (let round = 0; round < 50; round++) {
        const results = await Promise.all(Array.from({ length: 6 }, () => worker.runOnce(7)));
        if (results.every((r) => r.claimed === 0)) break;
      }
      await expectEachOnce(ids);
    });

    (usingPostgres() ? it : it.skip)('never delivers one row twice with two hub processes on one PostgreSQL', async () => {
      const other = await TestHub.start({ DATABASE_URL: hub.config.DATABASE_URL! });
      try {
        other.clock.set(T0);
        other.app.get(OutboxHandlerRegistry).register(countingHandler);
        const workers = [worker, other.app.get(OutboxWorker)];
        const ids = await enqueueMany(200);
        for (let round = 0; round < 50; round++) {
          const results = await Promise.all(workers.flatMap((w) => [w.runOnce(9), w.runOnce(9), w.runOnce(9)]));
          if (results.every((r) => r.claimed === 0)) break;
        }
        await expectEachOnce(ids);
      } finally {
        await other.close();
      }
    });
  });
});
