import { TestHub } from '../support/test-hub';
import { expectError, MISSING_ID, nextPhone } from './http-helpers';

describe('admin: web forms (HTTP)', () => {
  let hub: TestHub;
  let admin: string;

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const create = (body: unknown) => hub.request({ method: 'POST', url: '/api/forms', token: admin, body });
  const patch = (id: string, body: unknown) => hub.request({ method: 'PATCH', url: `/api/forms/${id}`, token: admin, body });
  const formRow = async (id: string) =>
    (await hub.query(`SELECT key, name, active, allowed_origins, honeypot_field, rate_limit_per_minute FROM web_form WHERE id = $1`, [id]))[0];
  const endpointOf = (key: string) => `${hub.config.PUBLIC_URL}/api/inbound/forms/${key}`;

  it('lists the default form with its key and endpoint URL', async () => {
    const res = await hub.request({ url: '/api/forms', token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    expect(res.body[0]).toMatchObject({ key: hub.formKey, name: 'Website form', active: true, endpoint: endpointOf(hub.formKey) });
  });

  it('POST creates a form and answers its key and endpoint URL; a lead can be posted to it', async () => {
    const res = await create({ name: ' Landing page ' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      key: expect.stringMatching(/^f_[A-Za-z0-9_-]{16}$/),
      name: 'Landing page',
      active: true,
      allowedOrigins: [],
      honeypotField: '_gotcha',
      rateLimitPerMinute: 10,
    });
    expect(res.body.key).not.toBe(hub.formKey);
    expect(res.body.endpoint).toBe(endpointOf(res.body.key));
    expect(res.body.endpoint).toBe(`http://localhost:3000/api/inbound/forms/${res.body.key}`);
    expect(await formRow(res.body.id)).toEqual({ key: res.body.key, name: 'Landing page', active: true, allowed_origins: [], honeypot_field: '_gotcha', rate_limit_per_minute: 10 });

    const got = await hub.request({ url: `/api/forms/${res.body.id}`, token: admin });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);

    const phone = nextPhone();
    const lead = await hub.postForm({ name: 'Landing Lead', phone: phone.typed }, { formKey: res.body.key });
    expect(lead.status).toBe(201);
    const [deal] = await hub.query(`SELECT source FROM deal WHERE id = $1`, [lead.body.dealId]);
    expect(deal.source).toMatchObject({ formId: res.body.id, formName: 'Landing page' });
  });

  it('POST with every setting stores them, origins normalised', async () => {
    const res = await create({ name: 'Shop', active: true, allowedOrigins: ['https://Shop.Example.com/', 'http://localhost:8080'], honeypotField: 'website', rateLimitPerMinute: 30 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ allowedOrigins: ['https://shop.example.com', 'http://localhost:8080'], honeypotField: 'website', rateLimitPerMinute: 30 });
    expect(await formRow(res.body.id)).toMatchObject({ allowed_origins: ['https://shop.example.com', 'http://localhost:8080'], honeypot_field: 'website', rate_limit_per_minute: 30 });
  });

  it.each([
    ['a missing name', {}, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a bad honeypot field name', { name: 'X', honeypotField: 'has space' }, 'honeypotField'],
    ['a zero rate limit', { name: 'X', rateLimitPerMinute: 0 }, 'rateLimitPerMinute'],
    ['a rate limit beyond any ceiling (integer overflow)', { name: 'X', rateLimitPerMinute: 2 ** 31 }, 'rateLimitPerMinute'],
    ['a fractional rate limit', { name: 'X', rateLimitPerMinute: 2.5 }, 'rateLimitPerMinute'],
    ['origins that are not a list', { name: 'X', allowedOrigins: 'https://example.com' }, 'allowedOrigins'],
    ['an origin that is not a URL', { name: 'X', allowedOrigins: ['example.com'] }, 'allowedOrigins'],
  ])('POST answers 400 naming the field for %s and creates nothing', async (_what, body, field) => {
    const before = (await hub.query(`SELECT count(*)::int AS n FROM web_form`))[0].n;
    expectError(await create(body), 400, 'invalid', [field]);
    expect((await hub.query(`SELECT count(*)::int AS n FROM web_form`))[0].n).toBe(before);
  });

  it('PATCH validates allowedOrigins: 400 naming the field for anything that is not an origin, row unchanged', async () => {
    const { body: form } = await create({ name: 'Origins', allowedOrigins: ['https://ok.example.com'] });
    const before = await formRow(form.id);
    for (const bad of [
      ['example.com'],
      ['https://example.com/contact'],
      ['https://example.com?x=1'],
      ['https://example.com/#top'],
      ['ftp://example.com'],
      ['javascript:alert(1)'],
      ['*'],
      [''],
      ['https://good.example.com', 'not an origin'],
    ]) {
      const res = await patch(form.id, { allowedOrigins: bad });
      expectError(res, 400, 'invalid', ['allowedOrigins']);
    }
    expect(await formRow(form.id)).toEqual(before);
  });

  it('PATCH changes name, origins, honeypot, rate limit and active; the endpoint follows', async () => {
    const { body: form } = await create({ name: 'Editable' });
    const res = await patch(form.id, { name: 'Edited', allowedOrigins: ['https://A.example.com', 'http://127.0.0.1:5173/'], honeypotField: 'hp', rateLimitPerMinute: 99 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: form.id, key: form.key, name: 'Edited', allowedOrigins: ['https://a.example.com', 'http://127.0.0.1:5173'], honeypotField: 'hp', rateLimitPerMinute: 99, endpoint: endpointOf(form.key) });
    expect(await formRow(form.id)).toEqual({ key: form.key, name: 'Edited', active: true, allowed_origins: ['https://a.example.com', 'http://127.0.0.1:5173'], honeypot_field: 'hp', rate_limit_per_minute: 99 });

    // An allowed origin may post from a browser, another may not.
    const ok = await hub.postForm({ name: 'Browser', phone: nextPhone().typed }, { formKey: form.key, headers: { origin: 'https://a.example.com' } });
    expect(ok.status).toBe(201);
    expect(ok.headers['access-control-allow-origin']).toBe('https://a.example.com');
    const denied = await hub.postForm({ name: 'Browser', phone: nextPhone().typed }, { formKey: form.key, headers: { origin: 'https://evil.example.com' } });
    expectError(denied, 403, 'forbidden');

    // Emptying the list is allowed.
    expect((await patch(form.id, { allowedOrigins: [] })).body.allowedOrigins).toEqual([]);

    // Disabled: the endpoint answers 410 (known but switched off, unlike an unknown key's 404) until it
    // is active again; a visitor's plain post reads a page saying so, and no lead is made.
    expect((await patch(form.id, { active: false })).body.active).toBe(false);
    const leadsBefore = (await hub.query(`SELECT count(*)::int AS n FROM deal`))[0].n;
    expectError(await hub.postForm({ name: 'Late', phone: nextPhone().typed }, { formKey: form.key }), 410, 'form_disabled');
    const page = await hub.postForm({ name: 'Late', phone: nextPhone().typed }, { formKey: form.key, form: true, headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(410);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('This form no longer accepts submissions.');
    expect((await hub.query(`SELECT count(*)::int AS n FROM deal`))[0].n).toBe(leadsBefore);
    expect((await patch(form.id, { active: true })).body.active).toBe(true);
    expect((await hub.postForm({ name: 'Back', phone: nextPhone().typed }, { formKey: form.key })).status).toBe(201);
  });

  it('DELETE refuses a form that brought leads (409, kept for their history), deletes one that brought only tests', async () => {
    const { body: used } = await create({ name: 'Used' });
    expect((await hub.postForm({ name: 'Real', phone: nextPhone().typed }, { formKey: used.key })).status).toBe(201);
    const refused = await hub.request({ method: 'DELETE', url: `/api/forms/${used.id}`, token: admin });
    expectError(refused, 409, 'conflict');
    expect(refused.body.message).toContain('disable it instead');
    expect(await hub.query(`SELECT 1 FROM web_form WHERE id = $1`, [used.id])).toHaveLength(1);

    const { body: tried } = await create({ name: 'Tried' });
    expect((await hub.request({ method: 'POST', url: `/api/forms/${tried.id}/test-submission`, token: admin, body: { name: 'Test', phone: nextPhone().typed } })).status).toBe(201);
    expect((await hub.request({ method: 'DELETE', url: `/api/forms/${tried.id}`, token: admin })).status).toBe(204);
  });

  it('DELETE answers 204 for a form without leads; the form is gone and posting to its key answers 404', async () => {
    const { body: form } = await create({ name: 'Doomed' });
    const del = await hub.request({ method: 'DELETE', url: `/api/forms/${form.id}`, token: admin });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect(await hub.query(`SELECT 1 FROM web_form WHERE id = $1`, [form.id])).toHaveLength(0);

    const leadsBefore = (await hub.query(`SELECT count(*)::int AS n FROM deal`))[0].n;
    const post = await hub.postForm({ name: 'After', phone: nextPhone().typed }, { formKey: form.key });
    expectError(post, 404, 'not_found');
    expect((await hub.query(`SELECT count(*)::int AS n FROM deal`))[0].n).toBe(leadsBefore);

    expectError(await hub.request({ url: `/api/forms/${form.id}`, token: admin }), 404, 'not_found');
    expectError(await hub.request({ method: 'DELETE', url: `/api/forms/${form.id}`, token: admin }), 404, 'not_found');
    expectError(await patch(form.id, { name: 'Zombie' }), 404, 'not_found');
    const list = await hub.request({ url: '/api/forms', token: admin });
    expect(list.body.map((f: any) => f.id)).not.toContain(form.id);
  });

  it('answers 404 for unknown form ids and keys, 400 for a non-uuid id', async () => {
    expectError(await hub.request({ url: `/api/forms/${MISSING_ID}`, token: admin }), 404, 'not_found');
    expectError(await patch(MISSING_ID, { name: 'x' }), 404, 'not_found');
    expectError(await hub.request({ url: '/api/forms/not-a-uuid', token: admin }), 400, 'invalid');
    expectError(await hub.postForm({ name: 'Nobody', phone: nextPhone().typed }, { formKey: 'f_doesnotexist000000' }), 404, 'not_found');
  });
});
