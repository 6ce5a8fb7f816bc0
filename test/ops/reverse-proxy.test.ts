import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { ChildRun, freePort, waitFor } from '../support/processes';
import { postgresReachable, scratchDatabase } from '../support/postgres-server';
import type { TestDatabase } from '../support/test-database';
import { TestHub } from '../support/test-hub';
import { FakeBotApi } from '../telegram/fake-bot-api';
import { CLIENT_TOKEN, SECRET as TG_SECRET, textUpdate, anna as tgAnna } from '../telegram/telegram-helpers';

const NGINX = '/usr/sbin/nginx';
const SITE = join(__dirname, '../../deploy/nginx/leadline.conf');
const ACCOUNT = { sid: 'AC0123456789abcdef0123456789abcdef', token: 'f3a1c2b4d5e6f708192a3b4c5d6e7f80' };

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: () => any;
}

/**
 * deploy/nginx/leadline.conf, as shipped, run by Debian's nginx (own prefix, loopback ports, a
 * self-signed certificate made here) in front of two hubs on one PostgreSQL database.
 */
describe('two hubs behind nginx (deploy/nginx/leadline.conf)', () => {
  let available = false;
  let dir: string;
  let cert: Buffer;
  let nginx: ChildRun;
  let tlsPort: number;
  let httpPort: number;
  let ports: number[];
  let hubs: TestHub[] = [];
  let fake: FakeBotApi;
  let database: { url: string; drop: () => Promise<void> };
  let dbRef: TestDatabase;
  let env: Record<string, string>;
  let adminUiDir: string;
  let publicUrl: string;

  /** One HTTPS request through nginx, from a chosen loopback address (a distinct real client). */
  function call(method: string, path: string, o: { body?: string; headers?: Record<string, string>; from?: string } = {}): Promise<Res> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: tlsPort, method, path, ca: cert, localAddress: o.from ?? '127.0.0.1', headers: { ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}), ...o.headers }, agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) }));
        },
      );
      req.on('error', reject);
      if (o.body !== undefined) req.write(o.body);
      req.end();
    });
  }
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}, from?: string) => call('POST', path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers }, from });

  async function startHub(index: number, extra: Record<string, string> = {}): Promise<TestHub> {
    const hub = await TestHub.start({ ...env, ...extra }, undefined, { existing: dbRef, adminUiDir });
    if (index >= 0) await hub.listen(ports[index]);
    return hub;
  }

  beforeAll(async () => {
    available = existsSync(NGINX) && (await postgresReachable());
    if (!available) {
      console.warn('reverse proxy test skipped: needs /usr/sbin/nginx and a PostgreSQL server (DATABASE_URL or LEADLINE_TEST_POSTGRES)');
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'leadline-nginx-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    [tlsPort, httpPort, ...ports] = [await freePort(), await freePort(), await freePort(), await freePort()];
    publicUrl = `https://127.0.0.1:${tlsPort}`;
    adminUiDir = join(dir, 'admin');
    mkdirSync(adminUiDir);
    writeFileSync(join(adminUiDir, 'index.html'), '<!doctype html><html><head><title>Leadline</title></head><body><div id="root"></div></body></html>');
    fake = await FakeBotApi.start();
    fake.addBot(CLIENT_TOKEN, 'leadline_test_bot');
    database = await scratchDatabase('leadline_proxy');
    dbRef = { env: { DATABASE_URL: database.url }, kind: 'postgres', drop: async () => undefined };
    env = {
      DATABASE_URL: database.url,
      PUBLIC_URL: publicUrl,
      TRUST_PROXY: 'true',
      COOKIE_SECURE: 'true',
      TWILIO_ACCOUNT_SID: ACCOUNT.sid,
      TWILIO_AUTH_TOKEN: ACCOUNT.token,
      TWILIO_NUMBER: '+74951234567',
      TELEGRAM_BOT_TOKEN: CLIENT_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      TELEGRAM_API_ROOT: fake.url,
      OUTBOX_WORKER: 'true',
      OUTBOX_POLL_MS: '200',
    };
    hubs = [await startHub(0), await startHub(1)];

    const site = readFileSync(SITE, 'utf8')
      .replace('server 127.0.0.1:3001', `server 127.0.0.1:${ports[0]}`)
      .replace('server 127.0.0.1:3002', `server 127.0.0.1:${ports[1]}`)
      .replace(/listen 80;\n\s*listen \[::\]:80;/, `listen 127.0.0.1:${httpPort};`)
      .replace(/listen 443 ssl http2;\n\s*listen \[::\]:443 ssl http2;/, `listen 127.0.0.1:${tlsPort} ssl http2;`)
      .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${join(dir, 'cert.pem')};`)
      .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${join(dir, 'key.pem')};`);
    expect(site).toContain(`server 127.0.0.1:${ports[1]}`);
    expect(site).toContain(`listen 127.0.0.1:${tlsPort} ssl http2;`);
    writeFileSync(join(dir, 'leadline.conf'), site);
    const temp = (name: string) => `${name} ${join(dir, name.replace(/_path$/, ''))};`;
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'worker_processes 1;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')} warn;`,
        'events { worker_connections 512; }',
        'http {',
        `  access_log ${join(dir, 'access.log')};`,
        ...['client_body_temp_path', 'proxy_temp_path', 'fastcgi_temp_path', 'uwsgi_temp_path', 'scgi_temp_path'].map((t) => `  ${temp(t)}`),
        `  include ${join(dir, 'leadline.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
    const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')];
    execFileSync(NGINX, [...args, '-t'], { stdio: 'pipe' });
    nginx = ChildRun.start(NGINX, args);
    await waitFor(`nginx to listen (${nginx.output})`, async () => ((await call('GET', '/health')).status === 200 ? true : undefined), 20_000);
  }, 240_000);

  afterAll(async () => {
    await nginx?.stop('SIGQUIT');
    for (const h of hubs) await h.stop().catch(() => undefined);
    await fake?.stop();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('redirects plain HTTP to HTTPS, serves the admin UI and logs in with a Secure cookie behind TLS', async () => {
    if (!available) return;
    const plain = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: httpPort, path: '/admin/', method: 'GET', headers: { host: 'crm.example.com' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, location: res.headers.location });
      })
        .on('error', reject)
        .end();
    });
    expect(plain).toEqual({ status: 308, location: 'https://crm.example.com/admin/' });
    const ui = await call('GET', '/admin/');
    expect(ui.status).toBe(200);
    expect(ui.body).toContain('<title>Leadline</title>');
    expect(ui.headers['content-security-policy']).toContain("default-src 'self'");

    const login = await postJson('/api/auth/login', { email: 'admin@test.local', password: 'admin-password-1' });
    expect(login.status).toBe(200);
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('leadline_session='))!;
    expect(session).toMatch(/; Secure/i);
    expect(session).toMatch(/; HttpOnly/i);
    const me = await call('GET', '/api/auth/me', { headers: { cookie: session.split(';')[0] } });
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ role: 'admin', name: expect.any(String) });
    expect((await call('GET', '/metrics')).status).toBe(404);
  });

  it('takes the client IP from X-Forwarded-For only with TRUST_PROXY: rate limits count per real client through nginx', async () => {
    if (!available) return;
    const admin = await hubs[0].adminToken();
    const forms = (await call('GET', '/api/forms', { headers: { authorization: `Bearer ${admin}` } })).json();
    const form = forms[0];
    expect((await call('PATCH', `/api/forms/${form.id}`, { body: JSON.stringify({ rateLimitPerMinute: 3 }), headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } })).status).toBe(200);
    let n = 0;
    const lead = (from: string, spoof?: string) => postJson(`/api/inbound/forms/${form.key}`, { name: 'Proxy lead', phone: `+7 912 600-00-${String(++n).padStart(2, '0')}` }, spoof ? { 'x-forwarded-for': spoof } : {}, from);
    // Client 127.0.0.2, each post claiming another address: nginx replaces the header, the budget is its own.
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await lead('127.0.0.2', `198.51.100.${i}`));
    expect(first.map((r) => r.status)).toEqual([201, 201, 201, 429]);
    expect(Number(first[3].headers['retry-after'])).toBeGreaterThan(0);
    // Another real client is not affected.
    expect((await lead('127.0.0.3')).status).toBe(201);

    // Straight to a hub: with TRUST_PROXY the header is the client; without it, it is ignored.
    const trusting = await startHub(-1);
    const plain = await startHub(-1, { TRUST_PROXY: 'false' });
    try {
      const direct = (hub: TestHub, ip: string) => hub.postForm({ name: 'Direct', phone: `+7 912 600-10-${String(++n).padStart(2, '0')}` }, { formKey: form.key, headers: { 'x-forwarded-for': ip } });
      const viaTrust = [];
      for (let i = 0; i < 4; i++) viaTrust.push((await direct(trusting, `203.0.113.${i}`)).status);
      expect(viaTrust).toEqual([201, 201, 201, 201]);
      const viaPlain = [];
      for (let i = 0; i < 4; i++) viaPlain.push((await direct(plain, `203.0.113.${i}`)).status);
      expect(viaPlain).toEqual([201, 201, 201, 429]);
    } finally {
      await trusting.stop();
      await plain.stop();
    }
    expect((await call('PATCH', `/api/forms/${form.id}`, { body: JSON.stringify({ rateLimitPerMinute: 100000 }), headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } })).status).toBe(200);
  }, 120_000);

  it('checks Twilio signatures against PUBLIC_URL and the Telegram webhook secret through the proxy', async () => {
    if (!available) return;
    const params = { CallSid: 'CA00000000000000000000000000000077', AccountSid: ACCOUNT.sid, From: '+79120007777', To: '+74951234567', CallStatus: 'ringing', Direction: 'inbound' };
    const form = new URLSearchParams(params).toString();
    const signedFor = (url: string) => ({ 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': getExpectedTwilioSignature(ACCOUNT.token, url, params) });
    const ok = await call('POST', '/api/inbound/twilio/voice', { body: form, headers: signedFor(`${publicUrl}/api/inbound/twilio/voice`) });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<Response>');
    // Signed for the hub's own address (what a proxy-unaware hub would compute): refused.
    const wrong = await call('POST', '/api/inbound/twilio/voice', { body: form, headers: signedFor(`http://127.0.0.1:${ports[0]}/api/inbound/twilio/voice`) });
    expect(wrong.status).toBe(403);

    await waitFor('the webhook registration', async () => (fake.webhook.has(CLIENT_TOKEN) ? true : undefined));
    expect(fake.webhook.get(CLIENT_TOKEN)).toMatchObject({ url: `${publicUrl}/api/inbound/telegram/client`, secret_token: TG_SECRET });
    const update = textUpdate(tgAnna, 'Hello from Telegram');
    expect((await postJson('/api/inbound/telegram/client', update, { 'x-telegram-bot-api-secret-token': 'wrong-secret-0000000000' })).status).toBe(401);
    expect((await postJson('/api/inbound/telegram/client', update, { 'x-telegram-bot-api-secret-token': TG_SECRET })).status).toBe(200);
    const [row] = await hubs[0].query(`SELECT count(*)::int AS n FROM contact_identity WHERE kind = 'telegram' AND value = $1`, [String(tgAnna.id)]);
    expect(row.n).toBe(1);
  });

  it('streams server-sent events through nginx as they happen', async () => {
    if (!available) return;
    const manager = await hubs[0].createManager({ name: 'Stream Manager' });
    // Only this manager takes leads, so the next one is theirs.
    await hubs[0].query(`UPDATE manager SET available = false WHERE id <> $1 AND role = 'manager'`, [manager.id]);
    const chunks: Array<{ at: number; text: string }> = [];
    const stream = httpsRequest({ host: '127.0.0.1', port: tlsPort, path: '/api/events', method: 'GET', ca: cert, agent: false, headers: { authorization: `Bearer ${manager.token}`, accept: 'text/event-stream' } });
    const opened = new Promise<IncomingHttpHeaders>((resolve, reject) => {
      stream.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => chunks.push({ at: Date.now(), text: d }));
        resolve(res.headers);
      });
      stream.on('error', reject);
    });
    stream.end();
    try {
      const headers = await opened;
      expect(headers['content-type']).toMatch(/^text\/event-stream/);
      await waitFor('the stream preamble', async () => (chunks.some((c) => c.text.includes(': connected')) ? true : undefined), 5000, 50);
      const [{ key }] = await hubs[0].query(`SELECT key FROM web_form ORDER BY created_at LIMIT 1`);
      const posted = await postJson(`/api/inbound/forms/${key}`, { name: 'Live lead', phone: '+7 912 600-77-77' }, {}, '127.0.0.9');
      expect(posted.status).toBe(201);
      const sentAt = Date.now();
      const event = await waitFor('the notification event', async () => chunks.find((c) => c.text.includes('event: notification')), 15_000, 50);
      expect(event.text).toContain(posted.json().dealId);
      // Delivered by the outbox worker of either hub, through LISTEN/NOTIFY and nginx, not held in a buffer.
      expect(event.at - sentAt).toBeLessThan(5000);
    } finally {
      stream.destroy();
    }
  });

  it('loses no form post while each hub is restarted in turn under traffic', async () => {
    if (!available) return;
    const [{ key }] = await hubs[0].query(`SELECT key FROM web_form ORDER BY created_at LIMIT 1`);
    const results: number[] = [];
    let seq = 0;
    let stop = false;
    const client = async (from: string) => {
      while (!stop) {
        const i = ++seq;
        const res = await postJson(`/api/inbound/forms/${key}`, { name: `Rolling ${i}`, phone: `+7 913 700-${String(i).padStart(4, '0').slice(0, 2)}-${String(i).padStart(4, '0').slice(2)}` }, { 'idempotency-key': `rolling-${i}` }, from).catch(() => ({ status: 0 }) as Res);
        results.push(res.status);
      }
    };
    const clients = ['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24'].map(client);
    await waitFor('some traffic', async () => (results.length >= 8 ? true : undefined), 20_000, 50);
    for (const i of [0, 1]) {
      await hubs[i].stop();
      await new Promise((r) => setTimeout(r, 300));
      hubs[i] = await startHub(i);
      await waitFor('traffic after the restart', async () => (results.length >= 8 * (i + 2) ? true : undefined), 30_000, 50);
    }
    stop = true;
    await Promise.all(clients);
    const failed = results.filter((s) => s !== 201 && s !== 200);
    // On failure, nginx's own account of it.
    const log = failed.length ? readFileSync(join(dir, 'error.log'), 'utf8').split('\n').slice(-15).join('\n') : '';
    expect({ failed, log }).toEqual({ failed: [], log: '' });
    expect(results).toHaveLength(seq);
    const [{ n }] = await hubs[0].query(`SELECT count(*)::int AS n FROM contact WHERE name LIKE 'Rolling %'`);
    expect(n).toBe(seq);
  }, 180_000);
});
