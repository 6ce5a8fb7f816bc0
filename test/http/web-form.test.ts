import { TestHub } from '../support/test-hub';

/** POST /api/inbound/forms/:formKey over the full HTTP stack. */
describe('web-form endpoint', () => {
  let hub: TestHub;
  let formId: string;
  let n = 0;
  const phone = () => `+7 926 ${String(1_000_000 + ++n).slice(-7).replace(/(\d{3})(\d{2})(\d{2})/, '$1-$2-$3')}`;
  const counts = async () => {
    const [row] = await hub.query(`SELECT (SELECT count(*) FROM contact) AS contacts, (SELECT count(*) FROM deal) AS deals,
      (SELECT count(*) FROM task) AS tasks, (SELECT count(*) FROM activity) AS activities, (SELECT count(*) FROM inbound_receipt) AS receipts,
      (SELECT count(*) FROM outbox) AS outbox`);
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
  };

  beforeAll(async () => {
    hub = await TestHub.start();
    const admin = await hub.adminToken();
    formId = (await hub.request({ url: '/api/forms', token: admin })).body[0].id;
    await hub.request({ method: 'PATCH', url: `/api/forms/${formId}`, token: admin, body: { rateLimitPerMinute: 10_000, allowedOrigins: ['https://shop.example.com'] } });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers 201 with the ids of the new lead and stores the mapped fields, UTM, referrer and page', async () => {
    const res = await hub.postForm(
      { name: 'Anna Petrova', phone: '8 (999) 100-20-30', email: 'Anna@Example.com', message: 'Call me', budget: '100k', page: 'https://shop.example.com/sale?utm_source=yandex&utm_campaign=winter' },
      { headers: { referer: 'https://shop.example.com/sale' } },
    );
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['contactId', 'dealId', 'leadId', 'taskId']);
    const [deal] = await hub.query(`SELECT * FROM deal WHERE id = $1`, [res.body.dealId]);
    expect(deal.source).toMatchObject({ formId, formName: 'Website form', utm: { source: 'yandex', campaign: 'winter' }, page: 'https://shop.example.com/sale?utm_source=yandex&utm_campaign=winter' });
    const [leadActivity] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'lead'`, [res.body.dealId]);
    expect(leadActivity.payload).toMatchObject({ name: 'Anna Petrova', message: 'Call me', fields: { budget: '100k' } });
    const identities = await hub.query(`SELECT kind, value FROM contact_identity WHERE contact_id = $1 ORDER BY kind`, [res.body.contactId]);
    expect(identities).toEqual([
      { kind: 'email', value: 'anna@example.com' },
      { kind: 'phone', value: '+79991002030' },
    ]);
  });

  it('accepts application/x-www-form-urlencoded and takes UTM from the body', async () => {
    const res = await hub.postForm({ name: 'Boris', phone: phone(), utm_source: 'google', utm_medium: 'cpc' }, { form: true });
    expect(res.status).toBe(201);
    const [deal] = await hub.query(`SELECT source FROM deal WHERE id = $1`, [res.body.dealId]);
    expect(deal.source.utm).toEqual({ source: 'google', medium: 'cpc' });
  });

  it('answers 200 with the same ids when the same submission is repeated without a key', async () => {
    const body = { name: 'Vera', phone: phone(), message: 'twice' };
    const first = await hub.postForm(body);
    const before = await counts();
    const again = await hub.postForm({ message: 'twice', phone: body.phone, name: 'Vera' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await counts()).toEqual(before);
  });

  it('honours Idempotency-Key: the same key is the same lead, whatever the body', async () => {
    const headers = { 'idempotency-key': `order-${Date.now()}` };
    const first = await hub.postForm({ name: 'Gleb', phone: phone() }, { headers });
    const again = await hub.postForm({ name: 'Gleb', phone: phone() }, { headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  it('creates exactly one of everything for 10 identical concurrent posts', async () => {
    const body = { name: 'Concurrent', phone: phone(), email: `c${n}@example.com` };
    const before = await counts();
    const responses = await Promise.all(Array.from({ length: 10 }, () => hub.postForm(body)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((r) => JSON.stringify(r.body))).size).toBe(1);
    const after = await counts();
    expect(after.contacts - before.contacts).toBe(1);
    expect(after.deals - before.deals).toBe(1);
    expect(after.tasks - before.tasks).toBe(1);
    expect(after.receipts - before.receipts).toBe(1);
  });

  it('creates exactly one lead for 10 concurrent posts with the same Idempotency-Key', async () => {
    const before = await counts();
    const responses = await Promise.all(Array.from({ length: 10 }, () => hub.postForm({ phone: phone() }, { headers: { 'idempotency-key': 'same-key-10' } })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(9);
    expect((await counts()).deals - before.deals).toBe(1);
  });

  describe('bad input: a clear 4xx and nothing stored', () => {
    let before: Record<string, number>;
    beforeEach(async () => {
      before = await counts();
    });
    afterEach(async () => {
      expect(await counts()).toEqual(before);
    });

    it('unknown form key → 404', async () => {
      const res = await hub.postForm({ phone: phone() }, { formKey: 'f_doesnotexist' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', message: 'unknown form' });
    });

    it('neither a valid phone nor a valid email → 400 naming the fields', async () => {
      const res = await hub.postForm({ name: 'Nobody', phone: '12', email: 'nope@' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid',
        message: 'a valid phone or email is required',
        fields: { phone: 'not a valid phone number', email: 'not a valid email address' },
      });
    });

    it('malformed JSON → 400', async () => {
      const res = await hub.postForm('{"name": "broken', {});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid');
    });

    it('a JSON array instead of fields → 400', async () => {
      const res = await hub.postForm([{ phone: phone() }]);
      expect(res.status).toBe(400);
    });

    it('body over 64 KB → 413', async () => {
      const res = await hub.postForm({ phone: phone(), message: 'x'.repeat(65 * 1024) });
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('payload_too_large');
    });

    it('a body just under 64 KB is accepted (then removed from the counts check)', async () => {
      const res = await hub.postForm({ phone: phone(), message: 'x'.repeat(60 * 1024) });
      expect(res.status).toBe(201);
      before = await counts();
    });

    it('another content type → 415', async () => {
      const res = await hub.request({ method: 'POST', url: `/api/inbound/forms/${hub.formKey}`, body: 'phone=1', headers: { 'content-type': 'text/plain' }, form: true });
      expect(res.status).toBe(415);
    });

    it('a bad Idempotency-Key → 400', async () => {
      const res = await hub.postForm({ phone: phone() }, { headers: { 'idempotency-key': 'x'.repeat(201) } });
      expect(res.status).toBe(400);
      expect(res.body.fields).toHaveProperty('Idempotency-Key');
    });

    it('a filled honeypot → 200 and nothing stored', async () => {
      const res = await hub.postForm({ name: 'Bot', phone: phone(), _gotcha: 'http://spam.example' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('a browser post from an origin not on the allowlist → 403', async () => {
      const res = await hub.postForm({ phone: phone() }, { headers: { origin: 'https://evil.example' } });
      expect(res.status).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('CORS', () => {
    it('answers the preflight of an allowed origin', async () => {
      const res = await hub.request({
        method: 'OPTIONS',
        url: `/api/inbound/forms/${hub.formKey}`,
        headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://shop.example.com');
      expect(String(res.headers['access-control-allow-headers'])).toMatch(/Idempotency-Key/);
    });

    it('refuses the preflight of another origin', async () => {
      const res = await hub.request({ method: 'OPTIONS', url: `/api/inbound/forms/${hub.formKey}`, headers: { origin: 'https://evil.example' } });
      expect(res.status).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('lets an allowed origin read the answer of its post', async () => {
      const res = await hub.postForm({ phone: phone() }, { headers: { origin: 'https://shop.example.com' } });
      expect(res.status).toBe(201);
      expect(res.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    });
  });

  it('rate-limits per client IP and form with 429 and Retry-After', async () => {
    const admin = await hub.adminToken();
    const created = await hub.request({ method: 'POST', url: '/api/forms', token: admin, body: { name: 'Limited', rateLimitPerMinute: 3 } });
    const key = created.body.key;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await hub.postForm({ phone: phone() }, { formKey: key })).status);
    expect(statuses).toEqual([201, 201, 201]);
    const before = await counts();
    const limited = await hub.postForm({ phone: phone() }, { formKey: key });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(await counts()).toEqual(before);
    // Another client address has its own budget.
    const other = await hub.app.inject({
      method: 'POST',
      url: `/api/inbound/forms/${key}`,
      remoteAddress: '10.1.2.3',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ phone: phone() }),
    });
    expect(other.statusCode).toBe(201);
  });

  it('keeps a payload our code fails on (2xx to the sender), lists it for admins and replays it after the fix', async () => {
    await hub.query(`CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.title LIKE 'POISON%' THEN RAISE EXCEPTION 'poisoned deal'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await hub.query(`CREATE TRIGGER poison BEFORE INSERT ON deal FOR EACH ROW EXECUTE FUNCTION poison()`);
    const admin = await hub.adminToken();
    try {
      const before = await counts();
      const res = await hub.postForm({ name: 'POISON', phone: phone(), note: 'keep me' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'accepted', receiptId: expect.any(String) });
      const after = await counts();
      expect(after.deals).toBe(before.deals);
      expect(after.receipts).toBe(before.receipts + 1);

      const failed = await hub.request({ url: '/api/inbound/failed', token: admin });
      expect(failed.status).toBe(200);
      const item = failed.body.find((f: { id: string }) => f.id === res.body.receiptId);
      expect(item).toMatchObject({ channel: 'web_form', error: expect.stringContaining('poisoned deal'), raw: { body: { name: 'POISON', note: 'keep me' } } });

      // Still broken: the replay fails again and says so.
      const stillBroken = await hub.request({ method: 'POST', url: `/api/inbound/failed/${res.body.receiptId}/replay`, token: admin });
      expect(stillBroken.body).toMatchObject({ status: 'failed', receiptId: res.body.receiptId });

      await hub.query(`DROP TRIGGER poison ON deal`);
      const replayed = await hub.request({ method: 'POST', url: `/api/inbound/failed/${res.body.receiptId}/replay`, token: admin });
      expect(replayed.status).toBe(200);
      expect(replayed.body).toMatchObject({ status: 'processed', leadId: res.body.receiptId, dealId: expect.any(String) });
      const [deal] = await hub.query(`SELECT title FROM deal WHERE id = $1`, [replayed.body.dealId]);
      expect(deal.title).toMatch(/^POISON/);
      const list = await hub.request({ url: '/api/inbound/failed', token: admin });
      expect(list.body.find((f: { id: string }) => f.id === res.body.receiptId)).toBeUndefined();
      const twice = await hub.request({ method: 'POST', url: `/api/inbound/failed/${res.body.receiptId}/replay`, token: admin });
      expect(twice.status).toBe(409);
    } finally {
      await hub.query(`DROP TRIGGER IF EXISTS poison ON deal`);
      await hub.query(`DROP FUNCTION IF EXISTS poison()`);
    }
  });
});
