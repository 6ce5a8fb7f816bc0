import { TcpProxy } from '../support/tcp-proxy';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';

// Cutting the database off needs a network hop to cut: PostgreSQL only (PGlite lives in-process).
const describeWithServer = usingPostgres() ? describe : describe.skip;

describeWithServer('database unreachable', () => {
  let hub: TestHub;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const target = new URL(process.env.DATABASE_URL!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    // The hub's own database is created by TestHub; route its URL through the proxy.
    hub = await TestHub.start({ DB_POOL_SIZE: '2' }, (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(proxy.port);
      return u.toString();
    });
    const admin = await hub.adminToken();
    const forms = await hub.request({ url: '/api/forms', token: admin });
    await hub.request({ method: 'PATCH', url: `/api/forms/${forms.body[0].id}`, token: admin, body: { rateLimitPerMinute: 1000 } });
  });
  afterAll(async () => {
    await proxy?.restore();
    await hub?.close();
    await proxy?.cut();
  });

  it('answers 503 with Retry-After (so the sender retries) and stores the lead once the database is back', async () => {
    expect((await hub.postForm({ phone: '+7 927 000-00-01' })).status).toBe(201);

    await proxy.cut();
    const down = await hub.postForm({ name: 'During outage', phone: '+7 927 000-00-02' });
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();
    expect(down.body.error).toBe('unavailable');
    expect((await hub.request({ url: '/health' })).status).toBe(503);

    await proxy.restore();
    const retried = await hub.postForm({ name: 'During outage', phone: '+7 927 000-00-02' });
    expect(retried.status).toBe(201);
    expect((await hub.request({ url: '/health' })).status).toBe(200);
    const [contact] = await hub.query(`SELECT c.name FROM contact c JOIN contact_identity i ON i.contact_id = c.id WHERE i.value = '+79270000002'`);
    expect(contact.name).toBe('During outage');
  });
});
