import { createHash } from 'node:crypto';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { expectError, MISSING_ID } from './http-helpers';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function setCookieOf(headers: Record<string, unknown>): string {
  const raw = headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : [String(raw ?? '')];
  const cookie = all.find((c) => c.startsWith('leadline_session='));
  if (!cookie) throw new Error(`no leadline_session cookie in ${JSON.stringify(raw)}`);
  return cookie;
}

function csrfCookieOf(headers: Record<string, unknown>): string {
  const raw = headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : [String(raw ?? '')];
  const cookie = all.find((c) => c.startsWith('leadline_csrf='));
  if (!cookie) throw new Error(`no leadline_csrf cookie in ${JSON.stringify(raw)}`);
  return cookie.split(';')[0].slice('leadline_csrf='.length);
}

describe('auth and roles (HTTP)', () => {
  let hub: TestHub;
  let adminId: string;

  beforeAll(async () => {
    hub = await TestHub.start();
    [{ id: adminId }] = await hub.query(`SELECT id FROM manager WHERE email = $1`, [ADMIN_EMAIL]);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const login = (email: string, password: string) => hub.request({ method: 'POST', url: '/api/auth/login', body: { email, password } });

  describe('login', () => {
    it('answers a token, its expiry and the user, and sets an httpOnly SameSite=Lax session cookie', async () => {
      const before = Date.now();
      const res = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'token', 'user']);
      expect(res.body.user).toEqual({ id: adminId, name: 'Admin', role: 'admin' });
      expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      const expiresAt = Date.parse(res.body.expiresAt);
      const ttl = hub.config.SESSION_TTL_HOURS * 3_600_000;
      expect(expiresAt).toBeGreaterThanOrEqual(before + ttl - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + ttl + 1000);

      const cookie = setCookieOf(res.headers);
      expect(cookie.split(';')[0]).toBe(`leadline_session=${res.body.token}`);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Lax/i);
      expect(cookie).toMatch(/;\s*Path=\//i);

      // Only a hash of the token is stored.
      expect(await hub.query(`SELECT 1 FROM auth_session WHERE id = $1`, [res.body.token])).toHaveLength(0);
      expect(await hub.query(`SELECT manager_id FROM auth_session WHERE id = $1`, [sha256(res.body.token)])).toEqual([{ manager_id: adminId }]);
    });

    it('accepts the email in any case and with surrounding spaces', async () => {
      const res = await login(`  ${ADMIN_EMAIL.toUpperCase()} `, ADMIN_PASSWORD);
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(adminId);
    });

    it('answers 401 with the same message for a wrong password and for an unknown email, and opens no session', async () => {
      const sessionsBefore = (await hub.query(`SELECT count(*)::int AS n FROM auth_session`))[0].n;
      const wrong = await login(ADMIN_EMAIL, 'not-the-password');
      const unknown = await login('nobody@test.local', ADMIN_PASSWORD);
      expectError(wrong, 401, 'unauthorized');
      expectError(unknown, 401, 'unauthorized');
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.headers['set-cookie']).toBeUndefined();
      expect(unknown.headers['set-cookie']).toBeUndefined();
      expect((await hub.query(`SELECT count(*)::int AS n FROM auth_session`))[0].n).toBe(sessionsBefore);
    });

    it('validates the login body: 400 naming the missing field', async () => {
      expectError(await hub.request({ method: 'POST', url: '/api/auth/login', body: { email: ADMIN_EMAIL } }), 400, 'invalid', ['password']);
      expectError(await hub.request({ method: 'POST', url: '/api/auth/login', body: { password: 'x' } }), 400, 'invalid', ['email']);
      expectError(await hub.request({ method: 'POST', url: '/api/auth/login', body: { email: 42, password: ADMIN_PASSWORD } }), 400, 'invalid', ['email']);
    });
  });

  describe('sessions', () => {
    it('authenticates with the cookie alone and with the bearer token alone', async () => {
      const res = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const cookie = setCookieOf(res.headers).split(';')[0];
      const byCookie = await hub.request({ url: '/api/auth/me', headers: { cookie } });
      expect(byCookie.status).toBe(200);
      expect(byCookie.body).toEqual({ id: adminId, name: 'Admin', role: 'admin' });
      const byBearer = await hub.request({ url: '/api/auth/me', token: res.body.token });
      expect(byBearer.status).toBe(200);
      expect(byBearer.body).toEqual({ id: adminId, name: 'Admin', role: 'admin' });
    });

    it('rejects a made-up token or cookie with 401', async () => {
      expectError(await hub.request({ url: '/api/auth/me', token: 'made-up-token' }), 401, 'unauthorized');
      expectError(await hub.request({ url: '/api/auth/me', headers: { cookie: 'leadline_session=made-up-token' } }), 401, 'unauthorized');
      expectError(await hub.request({ url: '/api/auth/me', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), 401, 'unauthorized');
    });

    it('answers 401 without a session on every /api route except login and inbound form posts; /health is public', async () => {
      const routes: Array<[string, string, unknown?]> = [
        ['GET', '/api/auth/me'],
        ['POST', '/api/auth/logout'],
        ['GET', '/api/contacts'],
        ['GET', `/api/contacts/${MISSING_ID}`],
        ['GET', `/api/contacts/${MISSING_ID}/timeline`],
        ['GET', '/api/contacts/not-a-uuid'],
        ['GET', '/api/deals'],
        ['GET', `/api/deals/${MISSING_ID}`],
        ['PATCH', `/api/deals/${MISSING_ID}`, { stage: 'won' }],
        ['GET', '/api/queue'],
        ['POST', `/api/queue/${MISSING_ID}/take`],
        ['GET', '/api/tasks'],
        ['POST', `/api/tasks/${MISSING_ID}/complete`],
        ['GET', '/api/managers'],
        ['POST', '/api/managers', { name: 'Intruder', email: 'intruder@test.local' }],
        ['GET', `/api/managers/${adminId}`],
        ['PATCH', `/api/managers/${adminId}`, { name: 'Pwned' }],
        ['DELETE', `/api/managers/${adminId}`],
        ['GET', '/api/forms'],
        ['POST', '/api/forms', { name: 'Spam form' }],
        ['GET', `/api/forms/${MISSING_ID}`],
        ['PATCH', `/api/forms/${MISSING_ID}`, { name: 'x' }],
        ['DELETE', `/api/forms/${MISSING_ID}`],
        ['GET', '/api/inbound/failed'],
        ['POST', `/api/inbound/failed/${MISSING_ID}/replay`],
      ];
      for (const [method, url, body] of routes) {
        const res = await hub.request({ method: method as 'GET', url, body });
        expect({ route: `${method} ${url}`, status: res.status, body: res.body }).toEqual({
          route: `${method} ${url}`,
          status: 401,
          body: { error: 'unauthorized', message: 'login required' },
        });
      }
      // Nothing was changed by the anonymous writes.
      expect(await hub.query(`SELECT name, active FROM manager WHERE id = $1`, [adminId])).toEqual([{ name: 'Admin', active: true }]);
      expect(await hub.query(`SELECT 1 FROM manager WHERE email = 'intruder@test.local'`)).toHaveLength(0);
      expect(await hub.query(`SELECT 1 FROM web_form WHERE name = 'Spam form'`)).toHaveLength(0);

      const health = await hub.request({ url: '/health' });
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', database: 'ok' });
      const form = await hub.postForm({ name: 'Public poster', phone: '+7 912 555-00-01' });
      expect(form.status).toBe(201);
      expect(form.body.dealId).toEqual(expect.any(String));
    });

    it('logout answers 204, clears the cookie and kills the token; other sessions live on', async () => {
      const a = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const b = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const out = await hub.request({ method: 'POST', url: '/api/auth/logout', token: a.body.token });
      expect(out.status).toBe(204);
      expect(out.text).toBe('');
      const cleared = setCookieOf(out.headers);
      expect(cleared).toMatch(/^leadline_session=;/);
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
      expect(await hub.query(`SELECT 1 FROM auth_session WHERE id = $1`, [sha256(a.body.token)])).toHaveLength(0);

      expectError(await hub.request({ url: '/api/auth/me', token: a.body.token }), 401, 'unauthorized');
      expectError(await hub.request({ url: '/api/auth/me', headers: { cookie: `leadline_session=${a.body.token}` } }), 401, 'unauthorized');
      expectError(await hub.request({ method: 'POST', url: '/api/auth/logout', token: a.body.token }), 401, 'unauthorized');
      expect((await hub.request({ url: '/api/auth/me', token: b.body.token })).status).toBe(200);
    });

    it('logout works with the cookie (and its CSRF header) alone', async () => {
      const a = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const cookie = `leadline_session=${a.body.token}`;
      const csrf = csrfCookieOf(a.headers);
      expect((await hub.request({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': csrf } })).status).toBe(204);
      expectError(await hub.request({ url: '/api/auth/me', headers: { cookie } }), 401, 'unauthorized');
    });
  });

  describe('deactivated managers', () => {
    it('cannot log in, and their existing session stops working at once', async () => {
      const m = await hub.createManager({ name: 'Leaving Lena' });
      expect((await hub.request({ url: '/api/auth/me', token: m.token })).body).toEqual({ id: m.id, name: 'Leaving Lena', role: 'manager' });
      const admin = await hub.adminToken();
      const del = await hub.request({ method: 'DELETE', url: `/api/managers/${m.id}`, token: admin });
      expect(del.status).toBe(200);
      expect(del.body).toMatchObject({ id: m.id, active: false });
      expect(await hub.query(`SELECT active FROM manager WHERE id = $1`, [m.id])).toEqual([{ active: false }]);

      expectError(await hub.request({ url: '/api/auth/me', token: m.token }), 401, 'unauthorized');
      expectError(await hub.request({ url: '/api/tasks', token: m.token }), 401, 'unauthorized');
      const relogin = await login(m.email, 'manager-pass-1');
      const wrong = await login(ADMIN_EMAIL, 'not-the-password');
      expectError(relogin, 401, 'unauthorized');
      expect(relogin.body).toEqual(wrong.body);
      expect(relogin.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('login rate limit', () => {
    it('answers 429 with Retry-After after 10 bad attempts a minute for the same address and email, even for the right password', async () => {
      const admin = await hub.adminToken();
      const created = await hub.request({ method: 'POST', url: '/api/managers', token: admin, body: { name: 'Target', email: 'target@test.local', password: 'target-pass-1' } });
      expect(created.status).toBe(201);
      for (let i = 0; i < 10; i++) expectError(await login('target@test.local', `guess-${i}`), 401, 'unauthorized');
      const blocked = await login('target@test.local', 'target-pass-1');
      expectError(blocked, 429, 'rate_limited');
      const retryAfter = Number(blocked.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(blocked.headers['set-cookie']).toBeUndefined();
      expect(await hub.query(`SELECT 1 FROM auth_session WHERE manager_id = $1`, [created.body.id])).toHaveLength(0);

      // Spelling the same email differently is the same email: still limited.
      expectError(await login('TARGET@test.local', 'target-pass-1'), 429, 'rate_limited');
      expectError(await login(' target@test.local ', 'target-pass-1'), 429, 'rate_limited');

      // Another email from the same address is not affected.
      const bystander = await hub.request({ method: 'POST', url: '/api/managers', token: admin, body: { name: 'Bystander', email: 'bystander@test.local', password: 'bystander-pass-1' } });
      expect(bystander.status).toBe(201);
      expect((await login('bystander@test.local', 'bystander-pass-1')).status).toBe(200);
    });

    it('does not count successful logins', async () => {
      const admin = await hub.adminToken();
      const created = await hub.request({ method: 'POST', url: '/api/managers', token: admin, body: { name: 'Busy', email: 'busy@test.local', password: 'busy-pass-1' } });
      expect(created.status).toBe(201);
      for (let i = 0; i < 12; i++) expect((await login('busy@test.local', 'busy-pass-1')).status).toBe(200);
      for (let i = 0; i < 10; i++) expectError(await login('busy@test.local', `guess-${i}`), 401, 'unauthorized');
      expectError(await login('busy@test.local', 'busy-pass-1'), 429, 'rate_limited');
    });
  });

  describe('passwords are never returned', () => {
    it('no manager endpoint or login answer contains a password or its hash', async () => {
      const admin = await hub.adminToken();
      const created = await hub.request({ method: 'POST', url: '/api/managers', token: admin, body: { name: 'Secret Sam', email: 'sam@test.local', password: 'sam-password-1' } });
      expect(created.status).toBe(201);
      const patched = await hub.request({ method: 'PATCH', url: `/api/managers/${created.body.id}`, token: admin, body: { password: 'sam-password-2' } });
      expect(patched.status).toBe(200);
      const samLogin = await login('sam@test.local', 'sam-password-2');
      expect(samLogin.status).toBe(200);
      expectError(await login('sam@test.local', 'sam-password-1'), 401, 'unauthorized');
      const responses = [
        created,
        patched,
        samLogin,
        await hub.request({ url: '/api/managers', token: admin }),
        await hub.request({ url: `/api/managers/${created.body.id}`, token: admin }),
        await hub.request({ url: '/api/auth/me', token: samLogin.body.token }),
        await hub.request({ method: 'DELETE', url: `/api/managers/${created.body.id}`, token: admin }),
      ];
      const [{ password_hash: hash }] = await hub.query(`SELECT password_hash FROM manager WHERE id = $1`, [created.body.id]);
      expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
      for (const res of responses) {
        expect(res.status).toBeLessThan(300);
        expect(res.text).not.toMatch(/password/i);
        expect(res.text).not.toContain('scrypt$');
        expect(res.text).not.toContain(hash.split('$')[5]);
      }
      const list = responses[3].body;
      expect(list.length).toBeGreaterThanOrEqual(2);
      for (const m of list) expect(Object.keys(m)).not.toEqual(expect.arrayContaining(['passwordHash']));
    });
  });

  describe('roles', () => {
    it('answers 403 to a manager on admin-only endpoints and changes nothing', async () => {
      const m = await hub.createManager({ name: 'Plain Pete' });
      const [{ id: formId }] = await hub.query(`SELECT id FROM web_form ORDER BY created_at LIMIT 1`);
      const routes: Array<[string, string, unknown?]> = [
        ['GET', '/api/managers'],
        ['POST', '/api/managers', { name: 'Sneaky', email: 'sneaky@test.local' }],
        ['GET', `/api/managers/${m.id}`],
        ['PATCH', `/api/managers/${m.id}`, { weight: 100 }],
        ['PATCH', `/api/managers/${m.id}`, { role: 'admin' }],
        ['DELETE', `/api/managers/${adminId}`],
        ['GET', '/api/forms'],
        ['POST', '/api/forms', { name: 'Sneaky form' }],
        ['GET', `/api/forms/${formId}`],
        ['PATCH', `/api/forms/${formId}`, { active: false }],
        ['DELETE', `/api/forms/${formId}`],
        ['GET', '/api/inbound/failed'],
        ['POST', `/api/inbound/failed/${MISSING_ID}/replay`],
      ];
      for (const [method, url, body] of routes) {
        const res = await hub.request({ method: method as 'GET', url, body, token: m.token });
        expect({ route: `${method} ${url}`, status: res.status, error: res.body?.error }).toEqual({ route: `${method} ${url}`, status: 403, error: 'forbidden' });
        expect(res.body.message).toEqual(expect.any(String));
      }
      expect(await hub.query(`SELECT role, weight FROM manager WHERE id = $1`, [m.id])).toEqual([{ role: 'manager', weight: 1 }]);
      expect(await hub.query(`SELECT active FROM manager WHERE id = $1`, [adminId])).toEqual([{ active: true }]);
      expect(await hub.query(`SELECT 1 FROM manager WHERE email = 'sneaky@test.local'`)).toHaveLength(0);
      expect(await hub.query(`SELECT active FROM web_form WHERE id = $1`, [formId])).toEqual([{ active: true }]);
      expect(await hub.query(`SELECT 1 FROM web_form WHERE name = 'Sneaky form'`)).toHaveLength(0);

      // The same token is fine on the routes managers use.
      expect((await hub.request({ url: '/api/auth/me', token: m.token })).body).toEqual({ id: m.id, name: 'Plain Pete', role: 'manager' });
      expect((await hub.request({ url: '/api/tasks', token: m.token })).status).toBe(200);
      expect((await hub.request({ url: '/api/queue', token: m.token })).status).toBe(200);
      // And the admin gets through the admin-only ones.
      const admin = await hub.adminToken();
      expect((await hub.request({ url: '/api/managers', token: admin })).status).toBe(200);
      expect((await hub.request({ url: '/api/forms', token: admin })).status).toBe(200);
      expect((await hub.request({ url: '/api/inbound/failed', token: admin })).status).toBe(200);
    });
  });
});
