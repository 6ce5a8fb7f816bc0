import { TestHub } from '../support/test-hub';
import { expectError, MISSING_ID } from './http-helpers';

describe('admin: managers (HTTP)', () => {
  let hub: TestHub;
  let admin: string;

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const create = (body: unknown) => hub.request({ method: 'POST', url: '/api/managers', token: admin, body });
  const patch = (id: string, body: unknown) => hub.request({ method: 'PATCH', url: `/api/managers/${id}`, token: admin, body });
  const managerCount = async () => (await hub.query(`SELECT count(*)::int AS n FROM manager`))[0].n;
  const row = async (id: string) =>
    (
      await hub.query(
        `SELECT name, email, role, phone, active, available, capacity, weight, timezone, locale FROM manager WHERE id = $1`,
        [id],
      )
    )[0];

  it('creates a manager with every field: email lower-cased, phone normalised to E.164', async () => {
    const res = await create({
      name: '  Olga Ivanova ',
      email: ' Olga.Ivanova@Example.COM ',
      password: 'olga-password-1',
      phone: '8 (999) 123-45-67',
      capacity: 5,
      weight: 3,
      available: false,
      timezone: 'Europe/Moscow',
      locale: 'ru',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      name: 'Olga Ivanova',
      email: 'olga.ivanova@example.com',
      role: 'manager',
      phone: '+79991234567',
      active: true,
      available: false,
      capacity: 5,
      weight: 3,
      timezone: 'Europe/Moscow',
      locale: 'ru',
      openDeals: 0,
    });
    expect(await row(res.body.id)).toEqual({
      name: 'Olga Ivanova',
      email: 'olga.ivanova@example.com',
      role: 'manager',
      phone: '+79991234567',
      active: true,
      available: false,
      capacity: 5,
      weight: 3,
      timezone: 'Europe/Moscow',
      locale: 'ru',
    });
    // The password works (stored as an scrypt hash).
    const login = await hub.request({ method: 'POST', url: '/api/auth/login', body: { email: 'olga.ivanova@example.com', password: 'olga-password-1' } });
    expect(login.status).toBe(200);
    expect(login.body.user).toEqual({ id: res.body.id, name: 'Olga Ivanova', role: 'manager' });

    const got = await hub.request({ url: `/api/managers/${res.body.id}`, token: admin });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
    const list = await hub.request({ url: '/api/managers', token: admin });
    expect(list.status).toBe(200);
    expect(list.body.map((m: any) => m.email)).toEqual(expect.arrayContaining(['admin@test.local', 'olga.ivanova@example.com']));
  });

  it('fills defaults for a minimal manager', async () => {
    const res = await create({ name: 'Minimal Max', email: 'max@test.local' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ role: 'manager', phone: null, active: true, available: true, capacity: null, weight: 1, timezone: 'UTC', locale: null, receivesLeads: true });
    expect(await row(res.body.id)).toMatchObject({ role: 'manager', capacity: null, weight: 1, timezone: 'UTC', available: true });
  });

  it.each([
    ['a bad timezone', { timezone: 'Mars/Olympus' }, 'timezone'],
    ['a bad phone', { phone: '12345' }, 'phone'],
    ['letters as phone', { phone: 'call me maybe' }, 'phone'],
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['an empty name', { name: '   ' }, 'name'],
    ['a zero weight', { weight: 0 }, 'weight'],
    ['a fractional capacity', { capacity: 1.5 }, 'capacity'],
    ['a negative capacity', { capacity: -1 }, 'capacity'],
    ['an unknown role', { role: 'owner' }, 'role'],
    ['a short password', { password: 'short' }, 'password'],
    ['an unknown locale', { locale: 'de' }, 'locale'],
    ['a string as available', { available: 'yes' }, 'available'],
  ])('answers 400 naming the field for %s and creates nothing', async (_what, bad, field) => {
    const before = await managerCount();
    const res = await create({ name: 'Bad Input', email: `bad.${field}@test.local`, ...bad });
    expectError(res, 400, 'invalid', [field]);
    expect(await managerCount()).toBe(before);
  });

  it('answers 400 naming both fields when name and email are missing', async () => {
    expectError(await create({}), 400, 'invalid', ['name', 'email']);
  });

  it('answers 409 for a duplicate email, in any case', async () => {
    expect((await create({ name: 'First Fedor', email: 'fedor@test.local' })).status).toBe(201);
    const before = await managerCount();
    expectError(await create({ name: 'Second Fedor', email: 'fedor@test.local' }), 409, 'conflict');
    expectError(await create({ name: 'Third Fedor', email: 'FEDOR@Test.Local' }), 409, 'conflict');
    expect(await managerCount()).toBe(before);
    expect(await hub.query(`SELECT name FROM manager WHERE email = 'fedor@test.local'`)).toEqual([{ name: 'First Fedor' }]);
  });

  it('answers one 201 and 409s (never 500) to simultaneous creates with the same email', async () => {
    for (let round = 0; round < 3; round++) {
      const email = `twin${round}@test.local`;
      const results = await Promise.all(['A', 'B', 'C'].map((k) => create({ name: `Twin ${k}`, email })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expectError(r, 409, 'conflict');
      expect(await hub.query(`SELECT count(*)::int AS n FROM manager WHERE email = $1`, [email])).toEqual([{ n: 1 }]);
    }
  });

  it('answers 409 (never 500) to simultaneous PATCHes moving two managers to the same email', async () => {
    for (let round = 0; round < 3; round++) {
      const { body: a } = await create({ name: `Mover A${round}`, email: `mover.a${round}@test.local` });
      const { body: b } = await create({ name: `Mover B${round}`, email: `mover.b${round}@test.local` });
      const email = `taken${round}@test.local`;
      const results = await Promise.all([patch(a.id, { email }), patch(b.id, { email })]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(await hub.query(`SELECT count(*)::int AS n FROM manager WHERE email = $1`, [email])).toEqual([{ n: 1 }]);
    }
  });

  it('PATCH changes capacity, weight, availability, phone, timezone, name, email and role', async () => {
    const { body: m } = await create({ name: 'Patchy Pavel', email: 'pavel@test.local' });
    const res = await patch(m.id, {
      name: 'Pavel P.',
      email: 'Pavel.P@Test.Local',
      capacity: 7,
      weight: 4,
      available: false,
      phone: '+7 (916) 555-44-33',
      timezone: 'Asia/Tashkent',
      locale: 'ru',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: m.id, name: 'Pavel P.', email: 'pavel.p@test.local', capacity: 7, weight: 4, available: false, phone: '+79165554433', timezone: 'Asia/Tashkent', locale: 'ru' });
    expect(await row(m.id)).toEqual({
      name: 'Pavel P.',
      email: 'pavel.p@test.local',
      role: 'manager',
      phone: '+79165554433',
      active: true,
      available: false,
      capacity: 7,
      weight: 4,
      timezone: 'Asia/Tashkent',
      locale: 'ru',
    });

    const cleared = await patch(m.id, { capacity: null, phone: null, available: true, role: 'admin' });
    expect(cleared.status).toBe(200);
    expect(await row(m.id)).toMatchObject({ capacity: null, phone: null, available: true, role: 'admin' });

    // An empty patch changes nothing; the same email again is not a conflict with oneself.
    const same = await patch(m.id, { email: 'pavel.p@test.local' });
    expect(same.status).toBe(200);
    expect((await patch(m.id, {})).status).toBe(200);
    expect(await row(m.id)).toMatchObject({ name: 'Pavel P.', email: 'pavel.p@test.local', weight: 4, role: 'admin' });
  });

  it('PATCH rejects bad values with 400 naming the field and leaves the row unchanged', async () => {
    const { body: m } = await create({ name: 'Stable Stas', email: 'stas@test.local', timezone: 'Europe/Moscow', phone: '+79160000001' });
    const before = await row(m.id);
    expectError(await patch(m.id, { timezone: 'Europe/Atlantis' }), 400, 'invalid', ['timezone']);
    expectError(await patch(m.id, { phone: '000' }), 400, 'invalid', ['phone']);
    expectError(await patch(m.id, { email: 'stas-at-test' }), 400, 'invalid', ['email']);
    expectError(await patch(m.id, { weight: 101 }), 400, 'invalid', ['weight']);
    expectError(await patch(m.id, { name: '' }), 400, 'invalid', ['name']);
    // A valid field next to a bad one is not applied either.
    expectError(await patch(m.id, { name: 'Changed', timezone: 'Nowhere/Town' }), 400, 'invalid', ['timezone']);
    expect(await row(m.id)).toEqual(before);
  });

  it('PATCH to another manager’s email answers 409', async () => {
    const { body: a } = await create({ name: 'Alpha', email: 'alpha@test.local' });
    await create({ name: 'Beta', email: 'beta@test.local' });
    expectError(await patch(a.id, { email: 'BETA@test.local' }), 409, 'conflict');
    expect(await row(a.id)).toMatchObject({ email: 'alpha@test.local' });
  });

  it('DELETE deactivates: the manager stays listed, inactive, with history intact', async () => {
    const { body: m } = await create({ name: 'Gone Gleb', email: 'gleb@test.local' });
    const res = await hub.request({ method: 'DELETE', url: `/api/managers/${m.id}`, token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: m.id, name: 'Gone Gleb', active: false });
    expect(await row(m.id)).toMatchObject({ name: 'Gone Gleb', active: false });
    const list = await hub.request({ url: '/api/managers', token: admin });
    expect(list.body.find((x: any) => x.id === m.id)).toMatchObject({ active: false });
  });

  it('answers 404 for an unknown manager and 400 for a non-uuid id', async () => {
    expectError(await hub.request({ url: `/api/managers/${MISSING_ID}`, token: admin }), 404, 'not_found');
    expectError(await patch(MISSING_ID, { name: 'Nobody' }), 404, 'not_found');
    expectError(await hub.request({ method: 'DELETE', url: `/api/managers/${MISSING_ID}`, token: admin }), 404, 'not_found');
    expectError(await hub.request({ url: '/api/managers/42', token: admin }), 400, 'invalid');
    expectError(await patch('42', { name: 'x' }), 400, 'invalid');
  });
});
