import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { expectError } from './http-helpers';

function cookiesOf(headers: Record<string, unknown>): Record<string, string> {
  const raw = headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
  const out: Record<string, string> = {};
  for (const c of all) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

describe('CSRF protection of cookie sessions (HTTP)', () => {
  let hub: TestHub;
  let session: string;
  let csrf: string;
  let rawSetCookie: string[];

  beforeAll(async () => {
    hub = await TestHub.start();
    const res = await hub.request({ method: 'POST', url: '/api/auth/login', body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    const cookies = cookiesOf(res.headers);
    session = cookies.leadline_session;
    csrf = cookies.leadline_csrf;
    rawSetCookie = res.headers['set-cookie'] as string[];
  });
  afterAll(async () => {
    await hub?.close();
  });

  const createForm = (headers: Record<string, string>, name: string) =>
    hub.request({ method: 'POST', url: '/api/forms', headers, body: { name } });

  it('login sets a script-readable SameSite=Strict CSRF cookie next to the httpOnly session', () => {
    expect(session).toBeTruthy();
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrf).not.toBe(session);
    const line = rawSetCookie.find((c) => c.startsWith('leadline_csrf='))!;
    expect(line).not.toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Strict/i);
    expect(line).toMatch(/Path=\//);
  });

  it('refuses a cookie-authenticated POST without the header or with a wrong one (403), and changes nothing', async () => {
    expectError(await createForm({ cookie: `leadline_session=${session}` }, 'Forged A'), 403, 'forbidden');
    expectError(await createForm({ cookie: `leadline_session=${session}`, 'x-csrf-token': 'x'.repeat(43) }, 'Forged B'), 403, 'forbidden');
    // The cookie value of another session is no good either.
    const other = await hub.request({ method: 'POST', url: '/api/auth/login', body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    expectError(await createForm({ cookie: `leadline_session=${session}`, 'x-csrf-token': cookiesOf(other.headers).leadline_csrf }, 'Forged C'), 403, 'forbidden');
    expect(await hub.query(`SELECT name FROM web_form WHERE name LIKE 'Forged%'`)).toEqual([]);
  });

  it('accepts it with the matching header; GETs need no header', async () => {
    const ok = await createForm({ cookie: `leadline_session=${session}`, 'x-csrf-token': csrf }, 'Real form');
    expect(ok.status).toBe(201);
    expect((await hub.request({ url: '/api/forms', headers: { cookie: `leadline_session=${session}` } })).status).toBe(200);
  });

  it('leaves bearer-token requests and the public form intake alone', async () => {
    const token = await hub.adminToken();
    expect((await hub.request({ method: 'POST', url: '/api/forms', token, body: { name: 'Via token' } })).status).toBe(201);
    expect((await hub.postForm({ name: 'Visitor', phone: '+7 912 000-11-22' })).status).toBe(201);
  });

  it('GET /api/auth/me gives a cookie session its CSRF cookie again', async () => {
    const me = await hub.request({ url: '/api/auth/me', headers: { cookie: `leadline_session=${session}` } });
    expect(me.status).toBe(200);
    expect(cookiesOf(me.headers).leadline_csrf).toBe(csrf);
    const byToken = await hub.request({ url: '/api/auth/me', token: session });
    expect(cookiesOf(byToken.headers).leadline_csrf).toBeUndefined();
  });
});
