import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';

/** Password spraying, sessions that outlive a password change, tokens at rest. */
describe('accounts under attack', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await TestHub.start();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const login = (email: string, password: string, ip = '203.0.113.7') =>
    hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress: ip });
  const me = (token: string) => hub.request({ url: '/api/auth/me', token });

  it('stops one address trying one password on every account (Retry-After), not other addresses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) statuses.push((await login(`user${i}@test.local`, 'Summer2026!')).statusCode);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    const blocked = await login('user99@test.local', 'Summer2026!');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right password waits from that address; another address logs in.
    expect((await login(ADMIN_EMAIL, ADMIN_PASSWORD)).statusCode).toBe(429);
    expect((await login(ADMIN_EMAIL, ADMIN_PASSWORD, '198.51.100.9')).statusCode).toBe(200);
  });

  it('stores session tokens only as hashes', async () => {
    const token = await hub.login();
    const rows = await hub.query(`SELECT id FROM auth_session`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r: { id: string }) => r.id)).not.toContain(token);
    expect(rows.every((r: { id: string }) => /^[0-9a-f]{64}$/.test(r.id))).toBe(true);
  });

  it('an admin setting a manager’s password ends all that manager’s sessions', async () => {
    const m = await hub.createManager({ name: 'Reset Me' });
    const second = await hub.login(m.email, 'manager-pass-1');
    expect((await me(m.token)).status).toBe(200);
    const admin = await hub.adminToken();
    expect((await hub.request({ method: 'PATCH', url: `/api/managers/${m.id}`, token: admin, body: { password: 'brand-new-pass-1' } })).status).toBe(200);
    expect((await me(m.token)).status).toBe(401);
    expect((await me(second)).status).toBe(401);
    expect((await me(admin)).status).toBe(200);
    expect(await hub.login(m.email, 'brand-new-pass-1')).toEqual(expect.any(String));
  });

  it('deactivation ends the sessions for good (reactivation does not bring them back)', async () => {
    const m = await hub.createManager({ name: 'Leaving Soon' });
    const admin = await hub.adminToken();
    expect((await hub.request({ method: 'DELETE', url: `/api/managers/${m.id}`, token: admin })).status).toBe(200);
    expect((await me(m.token)).status).toBe(401);
    expect((await hub.request({ method: 'PATCH', url: `/api/managers/${m.id}`, token: admin, body: { active: true } })).status).toBe(200);
    expect((await me(m.token)).status).toBe(401);
    expect(await hub.query(`SELECT 1 FROM auth_session WHERE manager_id = $1`, [m.id])).toHaveLength(0);
  });

  it('a self-service change needs the current password and keeps only the session that made it', async () => {
    const m = await hub.createManager({ name: 'Self Service' });
    const other = await hub.login(m.email, 'manager-pass-1');
    const wrong = await hub.request({ method: 'POST', url: '/api/auth/password', token: m.token, body: { currentPassword: 'guess', newPassword: 'another-pass-1' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.fields).toEqual({ currentPassword: 'does not match' });
    expect((await me(other)).status).toBe(200);
    const short = await hub.request({ method: 'POST', url: '/api/auth/password', token: m.token, body: { currentPassword: 'manager-pass-1', newPassword: 'short' } });
    expect(short.status).toBe(400);
    const ok = await hub.request({ method: 'POST', url: '/api/auth/password', token: m.token, body: { currentPassword: 'manager-pass-1', newPassword: 'another-pass-1' } });
    expect(ok.status).toBe(204);
    expect((await me(m.token)).status).toBe(200);
    expect((await me(other)).status).toBe(401);
    expect(await hub.login(m.email, 'another-pass-1')).toEqual(expect.any(String));
    // An admin changing their own password through the managers API keeps their own session too.
    const admin = await hub.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const adminOther = await hub.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const [{ id: adminId }] = await hub.query(`SELECT id FROM manager WHERE email = $1`, [ADMIN_EMAIL]);
    expect((await hub.request({ method: 'PATCH', url: `/api/managers/${adminId}`, token: admin, body: { password: ADMIN_PASSWORD } })).status).toBe(200);
    expect((await me(admin)).status).toBe(200);
    expect((await me(adminOther)).status).toBe(401);
  });
});
