import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { TcpProxy } from '../support/tcp-proxy';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';

// A hang needs a network hop to hold: PostgreSQL only (PGlite lives in-process).
const describeWithServer = usingPostgres() ? describe : describe.skip;

/**
 * A database that stops answering (process stopped, link dead) or answers too slowly: every sender
 * gets 503 with Retry-After within the configured bounds, and the hub recovers by itself.
 */
describeWithServer('database hung or slow', () => {
  let hub: TestHub;
  let proxy: TcpProxy;
  let admin: string;
  let n = 0;
  const phone = () => `+7 927 100-00-${String(++n).padStart(2, '0')}`;

  beforeAll(async () => {
    const target = new URL(process.env.DATABASE_URL!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    hub = await TestHub.start({ DB_POOL_SIZE: '3', DB_STATEMENT_TIMEOUT_MS: '1000', DB_ACQUIRE_TIMEOUT_MS: '1000' }, (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(proxy.port);
      return u.toString();
    });
    admin = await hub.adminToken();
    const forms = await hub.request({ url: '/api/forms', token: admin });
    await hub.request({ method: 'PATCH', url: `/api/forms/${forms.body[0].id}`, token: admin, body: { rateLimitPerMinute: 1000 } });
  });
  afterAll(async () => {
    proxy?.resume();
    await hub?.close();
    await proxy?.cut();
  });

  const timed = async <T>(work: Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = Date.now();
    const value = await work;
    return { value, ms: Date.now() - started };
  };

  it('answers 503 with Retry-After within the bounds while the database hangs, and recovers without a restart', async () => {
    expect((await hub.postForm({ phone: phone() })).status).toBe(201);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    proxy.pause();
    const duringPhone = phone();
    const [form, api, health, form2] = await Promise.all([
      timed(hub.postForm({ name: 'During hang', phone: duringPhone })),
      timed(hub.request({ url: '/api/contacts', token: admin })),
      timed(hub.request({ url: '/health' })),
      timed(hub.postForm({ phone: phone() })),
    ]);
    for (const r of [form, api, form2]) {
      expect(r.value.status).toBe(503);
      expect(r.value.headers['retry-after']).toBeDefined();
      expect(r.value.body.error).toBe('unavailable');
      // Statement bound 1 s + 1 s client grace + acquire 1 s, with room for a busy machine.
      expect(r.ms).toBeLessThan(6000);
    }
    expect(health.value.status).toBe(503);
    expect(health.value.body).toEqual({ status: 'unavailable', database: 'unavailable' });
    expect(health.ms).toBeLessThan(3000);
    // Still hung: a new request is bounded as well (pool connections stuck behind the hung ones).
    const again = await timed(hub.postForm({ phone: phone() }));
    expect(again.value.status).toBe(503);
    expect(again.ms).toBeLessThan(6000);
    // Each refusal is one warn line with its cause: the intake's for leads, the HTTP layer's for the API.
    const lines = warn.mock.calls.map(([l]) => l as { msg?: string; cause?: string });
    warn.mockRestore();
    expect(lines.filter((l) => l?.msg === 'database unavailable, lead not stored (sender will retry)').length).toBeGreaterThanOrEqual(2);
    expect(lines.find((l) => l?.msg === 'database unavailable')).toMatchObject({ cause: expect.stringMatching(/timeout/i) });

    proxy.resume();
    let retried = await hub.postForm({ name: 'During hang', phone: duringPhone });
    for (let i = 0; i < 20 && retried.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 250));
      retried = await hub.postForm({ name: 'During hang', phone: duringPhone });
    }
    expect([200, 201]).toContain(retried.status);
    expect((await hub.request({ url: '/health' })).status).toBe(200);
    const contacts = await hub.query(`SELECT count(*)::int AS n FROM contact_identity WHERE value = $1`, [duringPhone.replace(/[^\d+]/g, '')]);
    expect(contacts[0].n).toBe(1);
  });

  it('answers 503 when statements wait too long on a slow database (a held lock), not a 500', async () => {
    const blocker = new Client({ connectionString: hub.db.env.DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE contact IN ACCESS EXCLUSIVE MODE');
      const res = await timed(hub.request({ url: '/api/contacts', token: admin }));
      expect(res.value.status).toBe(503);
      expect(res.value.headers['retry-after']).toBeDefined();
      expect(res.ms).toBeLessThan(4000);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect((await hub.request({ url: '/api/contacts', token: admin })).status).toBe(200);
  });
});
