import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectError, nextPhone } from '../http/http-helpers';
import { TestHub, type InjectResponse } from '../support/test-hub';

const FIXTURES = join(__dirname, '../../libs/channels/src/web-form/__fixtures__');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
/** What Chrome sends with a plain form post (a navigation). */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

/** Issue 13: the form endpoint as real sites, browsers and site builders use it (HTTP level). */
describe('web forms from real sites', () => {
  let hub: TestHub;
  let admin: string;
  let open: { id: string; key: string };

  const post = (key: string, body: string, headers: Record<string, string>) =>
    hub.app.inject({ method: 'POST', url: `/api/inbound/forms/${key}`, payload: body, headers }).then(toRes);
  const toRes = (r: { statusCode: number; headers: Record<string, unknown>; body: string }): InjectResponse => {
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      body = undefined;
    }
    return { status: r.statusCode, headers: r.headers as InjectResponse['headers'], body, text: r.body };
  };
  const multipart = async (key: string, fd: FormData, headers: Record<string, string> = {}) => {
    const req = new Request('http://x/', { method: 'POST', body: fd });
    const payload = Buffer.from(await req.arrayBuffer());
    return toRes(await hub.app.inject({ method: 'POST', url: `/api/inbound/forms/${key}`, payload, headers: { 'content-type': req.headers.get('content-type')!, ...headers } }));
  };
  const createForm = async (body: Record<string, unknown>) => {
    const res = await hub.request({ method: 'POST', url: '/api/forms', token: admin, body: { rateLimitPerMinute: 10_000, ...body } });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string; snippetUrl: string };
  };
  const dealCount = async () => Number((await hub.query(`SELECT count(*) AS n FROM deal`))[0].n);

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    open = await createForm({ name: 'Open form' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  describe('origins', () => {
    it('an empty list accepts any origin: POST and preflight, with the origin echoed for CORS', async () => {
      const pre = await hub.request({ method: 'OPTIONS', url: `/api/inbound/forms/${open.key}`, headers: { origin: 'https://any-site.example', 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('https://any-site.example');
      const res = await hub.postForm({ phone: nextPhone().typed }, { formKey: open.key, headers: { origin: 'https://any-site.example' } });
      expect(res.status).toBe(201);
      expect(res.headers['access-control-allow-origin']).toBe('https://any-site.example');
    });

    it('a list restricts: 403 naming the origin and the form, and the admin sees who posted', async () => {
      const form = await createForm({ name: 'Shop form', allowedOrigins: ['https://shop.example'] });
      expect((await hub.postForm({ phone: nextPhone().typed }, { formKey: form.key, headers: { origin: 'https://shop.example' } })).status).toBe(201);
      const refused = await hub.postForm({ phone: nextPhone().typed }, { formKey: form.key, headers: { origin: 'https://copycat.example' } });
      expectError(refused, 403, 'forbidden');
      expect(refused.body.message).toBe('origin https://copycat.example is not allowed for form "Shop form"');
      const pre = await hub.request({ method: 'OPTIONS', url: `/api/inbound/forms/${form.key}`, headers: { origin: 'https://copycat.example' } });
      expect(pre.status).toBe(403);
      expect(pre.body.message).toContain('https://copycat.example');

      const seen = await hub.request({ url: `/api/forms/${form.id}/origins`, token: admin });
      expect(seen.status).toBe(200);
      expect(seen.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ origin: 'https://shop.example', accepted: 1, refused: 0 }),
          expect.objectContaining({ origin: 'https://copycat.example', accepted: 0, refused: 2 }),
        ]),
      );
      expect(seen.body).toHaveLength(2);
    });
  });

  describe('plain HTML form posts (no JavaScript)', () => {
    const browser = (extra: Record<string, string> = {}) => ({
      'content-type': 'application/x-www-form-urlencoded',
      accept: BROWSER_ACCEPT,
      origin: 'https://plain.example',
      referer: 'https://plain.example/contact?utm_source=yandex',
      ...extra,
    });

    it('without a success URL: a thank-you page in the visitor’s language with a link back; the lead has its page', async () => {
      const phone = nextPhone();
      const res = await post(open.key, new URLSearchParams({ name: 'Plain Petr', phone: phone.typed }).toString(), browser({ 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.8' }));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.text).toContain('<html lang="ru">');
      expect(res.text).toContain('Спасибо! Мы получили вашу заявку');
      expect(res.text).toContain('href="https://plain.example/contact?utm_source=yandex"');
      const [deal] = await hub.query(`SELECT d.source FROM deal d JOIN contact_identity i ON i.contact_id = d.contact_id WHERE i.value = $1`, [phone.e164]);
      expect(deal.source).toMatchObject({ page: 'https://plain.example/contact?utm_source=yandex', utm: { source: 'yandex' } });

      const en = await post(open.key, new URLSearchParams({ phone: nextPhone().typed }).toString(), browser({ 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' }));
      expect(en.text).toContain('<html lang="en">');
      expect(en.text).toContain('Thank you! We have received your request');
    });

    it('the per-form thank-you text, then the success URL (303), and `_next` only to allowed or own origins', async () => {
      const form = await createForm({ name: 'Landing', thankYou: { en: 'Thanks, Landing!', ru: 'Спасибо, Лендинг!' } });
      const thanks = await post(form.key, `phone=${encodeURIComponent(nextPhone().typed)}`, browser({ 'accept-language': 'ru' }));
      expect(thanks.text).toContain('Спасибо, Лендинг!');

      await hub.request({ method: 'PATCH', url: `/api/forms/${form.id}`, token: admin, body: { successUrl: 'https://plain.example/thanks', allowedOrigins: ['https://plain.example', 'https://partner.example'] } });
      const redirected = await post(form.key, `phone=${encodeURIComponent(nextPhone().typed)}`, browser());
      expect(redirected.status).toBe(303);
      expect(redirected.headers.location).toBe('https://plain.example/thanks');

      const next = await post(form.key, new URLSearchParams({ phone: nextPhone().typed, _next: 'https://partner.example/done?x=1' }).toString(), browser());
      expect(next.headers.location).toBe('https://partner.example/done?x=1');
      const evil = await post(form.key, new URLSearchParams({ phone: nextPhone().typed, redirect: 'https://evil.example/phish' }).toString(), browser());
      expect(evil.status).toBe(303);
      expect(evil.headers.location).toBe('https://plain.example/thanks');
      // The page's own origin is fine even when it is not listed (a form with an empty list).
      const own = await post(open.key, new URLSearchParams({ phone: nextPhone().typed, _next: 'https://plain.example/merci' }).toString(), browser());
      expect(own.headers.location).toBe('https://plain.example/merci');
      const bad = await post(open.key, new URLSearchParams({ phone: nextPhone().typed, _next: 'javascript:alert(1)' }).toString(), browser());
      expect(bad.status).toBe(200);
    });

    it('refusals are readable pages with a way back, never JSON; JSON clients keep JSON', async () => {
      const before = await dealCount();
      const missing = await post(open.key, 'name=Only+a+name', browser());
      expect(missing.status).toBe(400);
      expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(missing.text).toContain('Please give a phone number or an email');
      expect(missing.text).toContain('href="https://plain.example/contact?utm_source=yandex"');
      expect(missing.text).not.toContain('"error"');

      const badPhone = await post(open.key, 'name=X&phone=12', browser({ 'accept-language': 'ru' }));
      expect(badPhone.text).toContain('Номер телефона указан неверно');

      const restricted = await createForm({ name: 'Closed «form»', allowedOrigins: ['https://only.example'] });
      const forbidden = await post(restricted.key, `phone=${encodeURIComponent(nextPhone().typed)}`, browser());
      expect(forbidden.status).toBe(403);
      expect(forbidden.text).toContain('does not accept submissions from https://plain.example');
      expect(forbidden.text).toContain('Closed «form»');

      const unknown = await post('f_nosuchform', 'phone=1', browser());
      expect(unknown.status).toBe(404);
      expect(unknown.text).toContain('no longer accepts submissions');

      // Over the body limit: refused by the framework before our handler, still a page.
      const huge = await post(open.key, `phone=${encodeURIComponent(nextPhone().typed)}&message=${'x'.repeat(70 * 1024)}`, browser());
      expect(huge.status).toBe(413);
      expect(huge.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(huge.text).toContain('The submission is too large');
      expect(await dealCount()).toBe(before);

      // The same refusal to a JSON client (fetch, a server) is the JSON it always was.
      const json = await hub.postForm({ name: 'Only a name' }, { formKey: open.key });
      expectError(json, 400, 'invalid', ['phone', 'email']);
      const fetchLike = await post(open.key, 'name=Only', { 'content-type': 'application/x-www-form-urlencoded', accept: '*/*' });
      expect(fetchLike.status).toBe(400);
      expect(fetchLike.body.error).toBe('invalid');
    });
  });

  describe('files (multipart/form-data)', () => {
    it('keeps the files on the lead, served like email attachments to whoever sees the contact', async () => {
      const phone = nextPhone();
      const fd = new FormData();
      fd.set('name', 'Brief Sender');
      fd.set('phone', phone.typed);
      fd.set('message', 'Brief attached');
      fd.set('brief', new Blob([Buffer.from('%PDF-1.4 brief')], { type: 'application/pdf' }), 'brief.pdf');
      fd.set('empty', new Blob([]), '');
      const res = await multipart(open.key, fd, { accept: 'application/json' });
      expect(res.status).toBe(201);
      const [activity] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'lead'`, [res.body.dealId]);
      expect(activity.payload.details.attachments).toEqual([{ id: expect.any(String), filename: 'brief.pdf', contentType: 'application/pdf', size: 14, stored: true }]);
      expect(activity.payload.message).toBe('Brief attached');
      const id = activity.payload.details.attachments[0].id;

      const file = await hub.request({ url: `/api/attachments/${id}`, token: admin });
      expect(file.status).toBe(200);
      expect(file.text).toBe('%PDF-1.4 brief');
      expect(file.headers['content-disposition']).toMatch(/^attachment; filename="brief.pdf"/);
      expect((await hub.request({ url: `/api/attachments/${id}` })).status).toBe(401);
      // A manager who does not see this contact does not get its file.
      const other = await hub.createManager({ name: 'Other Manager' });
      const owner = (await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [res.body.dealId]))[0].owner_id;
      if (owner !== other.id) expect((await hub.request({ url: `/api/attachments/${id}`, token: other.token })).status).toBe(404);
    });

    it('a file lead our intake failed on is kept; after the replay its file belongs to the lead', async () => {
      await hub.query(`CREATE FUNCTION poison_files() RETURNS trigger AS $$ BEGIN IF NEW.title LIKE 'POISON%' THEN RAISE EXCEPTION 'poisoned deal'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
      await hub.query(`CREATE TRIGGER poison_files BEFORE INSERT ON deal FOR EACH ROW EXECUTE FUNCTION poison_files()`);
      try {
        const fd = new FormData();
        fd.set('name', 'POISON with file');
        fd.set('phone', nextPhone().typed);
        fd.set('photo', new Blob([Buffer.from('photo-bytes')], { type: 'image/jpeg' }), 'photo.jpg');
        const res = await multipart(open.key, fd);
        expect(res.status).toBe(202);
        await hub.query(`DROP TRIGGER poison_files ON deal`);
        const replayed = await hub.request({ method: 'POST', url: `/api/inbound/failed/${res.body.receiptId}/replay`, token: admin });
        expect(replayed.body).toMatchObject({ status: 'processed', dealId: expect.any(String) });
        const [activity] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'lead'`, [replayed.body.dealId]);
        const file = await hub.request({ url: `/api/attachments/${activity.payload.details.attachments[0].id}`, token: admin });
        expect(file.status).toBe(200);
        expect(file.text).toBe('photo-bytes');
      } finally {
        await hub.query(`DROP TRIGGER IF EXISTS poison_files ON deal`);
        await hub.query(`DROP FUNCTION IF EXISTS poison_files()`);
      }
    });

    it('a file over 10 MB is refused with 413 (a page for a browser) and nothing is stored', async () => {
      const before = await dealCount();
      const fd = new FormData();
      fd.set('phone', nextPhone().typed);
      fd.set('video', new Blob([Buffer.alloc(10 * 1024 * 1024 + 1)]), 'video.mp4');
      const res = await multipart(open.key, fd, { accept: BROWSER_ACCEPT, 'accept-language': 'ru' });
      expect(res.status).toBe(413);
      expect(res.text).toContain('файлы — до 10 МБ');
      expect(await dealCount()).toBe(before);
    });

    it('a multipart post without phone or email is a 400 and stores no file', async () => {
      const files = Number((await hub.query(`SELECT count(*) AS n FROM email_attachment`))[0].n);
      const fd = new FormData();
      fd.set('name', 'No contact');
      fd.set('photo', new Blob([Buffer.from('jpeg')], { type: 'image/jpeg' }), 'photo.jpg');
      const res = await multipart(open.key, fd);
      expectError(res, 400, 'invalid', ['phone', 'email']);
      expect(Number((await hub.query(`SELECT count(*) AS n FROM email_attachment`))[0].n)).toBe(files);
    });
  });

  describe('the embed script', () => {
    it('is served versioned and cached, revalidated by ETag', async () => {
      const res = await hub.request({ url: `/forms/${open.key}.js` });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(res.headers['cache-control']).toBe('public, max-age=300, stale-while-revalidate=86400');
      expect(res.headers.etag).toMatch(/^"\d+-[\w-]+"$/);
      expect(res.text).toMatch(/^\/\* Leadline form snippet v\d+ \*\//);
      expect(res.text).toContain(`"key":"${open.key}"`);
      const again = await hub.request({ url: `/forms/${open.key}.js`, headers: { 'if-none-match': String(res.headers.etag) } });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      // A setting the script carries changes its ETag.
      await hub.request({ method: 'PATCH', url: `/api/forms/${open.id}`, token: admin, body: { thankYou: { en: 'Merci!' } } });
      const changed = await hub.request({ url: `/forms/${open.key}.js`, headers: { 'if-none-match': String(res.headers.etag) } });
      expect(changed.status).toBe(200);
      expect(changed.text).toContain('Merci!');
      await hub.request({ method: 'PATCH', url: `/api/forms/${open.id}`, token: admin, body: { thankYou: {} } });
      expect((await hub.request({ url: '/forms/f_unknownkey.js' })).status).toBe(404);
    });
  });

  describe('abuse without losing people', () => {
    it('a snippet post faster than 2 s is a spam receipt (200 to the sender), listed and restorable into the lead', async () => {
      const before = await dealCount();
      const phone = nextPhone();
      const res = await hub.postForm({ name: 'Quick Fingers', phone: phone.typed, _fill_ms: '900' }, { formKey: open.key, headers: { origin: 'https://fast.example' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(await dealCount()).toBe(before);

      const list = await hub.request({ url: `/api/forms/spam?formId=${open.id}`, token: admin });
      expect(list.status).toBe(200);
      const item = list.body.find((s: { raw: { body: { name?: string } } }) => s.raw.body.name === 'Quick Fingers');
      expect(item).toMatchObject({ reason: 'too_fast', formName: 'Open form', origin: 'https://fast.example', restoredAt: null });

      const restored = await hub.request({ method: 'POST', url: `/api/forms/spam/${item.id}/restore`, token: admin });
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({ status: 'restored', dealId: expect.any(String), contactId: expect.any(String) });
      expect(await dealCount()).toBe(before + 1);
      const again = await hub.request({ method: 'POST', url: `/api/forms/spam/${item.id}/restore`, token: admin });
      expect(again.body.dealId).toBe(restored.body.dealId);
      expect(await dealCount()).toBe(before + 1);
      const after = await hub.request({ url: `/api/forms/spam?formId=${open.id}`, token: admin });
      expect(after.body.find((s: { id: string }) => s.id === item.id)).toBeUndefined();
      const all = await hub.request({ url: `/api/forms/spam?formId=${open.id}&restored=true`, token: admin });
      expect(all.body.find((s: { id: string }) => s.id === item.id)).toMatchObject({ restoredAt: expect.any(String), dealId: restored.body.dealId });

      // A slower post is a lead; posts without a fill time (plain forms, site builders) are never judged by it.
      expect((await hub.postForm({ phone: nextPhone().typed, _fill_ms: '4200' }, { formKey: open.key })).status).toBe(201);
      expect((await hub.postForm({ phone: nextPhone().typed }, { formKey: open.key })).status).toBe(201);
    });

    it('a filled honeypot is kept as spam too (autofill can fill it), not dropped', async () => {
      const res = await hub.postForm({ name: 'Bot Or Autofill', phone: nextPhone().typed, _gotcha: 'x' }, { formKey: open.key });
      expect(res.body).toEqual({ status: 'ok' });
      const list = await hub.request({ url: '/api/forms/spam', token: admin });
      expect(list.body.find((s: { raw: { body: { name?: string } } }) => s.raw.body.name === 'Bot Or Autofill')).toMatchObject({ reason: 'honeypot' });
      expect((await hub.request({ url: '/api/forms/spam' })).status).toBe(401);
    });
  });

  describe('site builders', () => {
    const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };

    it('Tilda: the test=test check is answered 200 without a lead; a webhook resent with the same tranid is one lead', async () => {
      const before = await dealCount();
      const check = await post(open.key, fixture('tilda-test.urlencoded'), urlencoded);
      expect(check.status).toBe(200);
      expect(await dealCount()).toBe(before);

      const first = await post(open.key, fixture('tilda-webhook.urlencoded'), urlencoded);
      expect(first.status).toBe(201);
      const resent = await post(open.key, fixture('tilda-webhook.urlencoded'), urlencoded);
      expect(resent.status).toBe(200);
      expect(resent.body).toEqual(first.body);
      const [lead] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'lead'`, [first.body.dealId]);
      expect(lead.payload).toMatchObject({ name: 'Анна Петрова', fields: { город: 'Казань', formid: 'form491837220', tranid: '7318235:5410980017' } });
    });

    it('Contact Form 7 (CF7 to Webhook, JSON with charset) and Elementor (advanced and simple) become leads', async () => {
      const cf7 = await post(open.key, fixture('cf7-to-webhook.json'), { 'content-type': 'application/json; charset=UTF-8' });
      expect(cf7.status).toBe(201);
      const adv = await post(open.key, fixture('elementor-advanced.urlencoded'), urlencoded);
      expect(adv.status).toBe(201);
      const [deal] = await hub.query(`SELECT source FROM deal WHERE id = $1`, [adv.body.dealId]);
      expect(deal.source).toMatchObject({ utm: { source: 'facebook', campaign: 'autumn' }, clickIds: { fbclid: 'IwAR0abc123' } });
      const simple = await post(open.key, fixture('elementor-simple.urlencoded'), urlencoded);
      expect(simple.status).toBe(201);
      const [contact] = await hub.query(`SELECT c.name FROM contact c JOIN deal d ON d.contact_id = c.id WHERE d.id = $1`, [simple.body.dealId]);
      expect(contact.name).toBe('Olga Simple');
    });

    it('generic mapping: the admin maps unknown names (suggested from recent posts), unmapped fields stay', async () => {
      const form = await createForm({ name: 'Custom builder' });
      const body = { contact_no: nextPhone().typed, who: 'Mapped Person', org: 'ACME', extra: 'kept' };
      expectError(await hub.postForm(body, { formKey: form.key }), 400, 'invalid');
      // A refused post is not a receipt; a lead with an email shows its names to map.
      expect((await hub.postForm({ ...body, 'Ваш e-mail': 'mapped@example.com' }, { formKey: form.key })).status).toBe(201);
      const fields = await hub.request({ url: `/api/forms/${form.id}/fields`, token: admin });
      expect(fields.status).toBe(200);
      expect(fields.body).toEqual(
        expect.arrayContaining([
          { name: 'contact_no', mappedTo: null, known: null, suggested: null, example: body.contact_no },
          { name: 'org', mappedTo: null, known: null, suggested: 'company', example: 'ACME' },
          { name: 'ваш e-mail', mappedTo: null, known: null, suggested: 'email', example: 'mapped@example.com' },
        ]),
      );
      const patched = await hub.request({ method: 'PATCH', url: `/api/forms/${form.id}`, token: admin, body: { fieldMap: { contact_no: 'phone', Who: 'name', org: 'company' } } });
      expect(patched.status).toBe(200);
      expect(patched.body.fieldMap).toEqual({ contact_no: 'phone', who: 'name', org: 'company' });
      expectError(await hub.request({ method: 'PATCH', url: `/api/forms/${form.id}`, token: admin, body: { fieldMap: { x: 'budget' } } }), 400, 'invalid', ['fieldMap.x']);

      const res = await hub.postForm({ ...body, contact_no: nextPhone().typed }, { formKey: form.key });
      expect(res.status).toBe(201);
      const [lead] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'lead'`, [res.body.dealId]);
      expect(lead.payload).toMatchObject({ name: 'Mapped Person', fields: { company: 'ACME', extra: 'kept' } });
    });
  });

  it('the preview in Settings makes a real lead marked as test, left out of reports', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const sources = async () => (await hub.request({ url: `/api/reports/sources?from=${today}&to=${today}`, token: admin })).body.totals.leads;
    const before = await sources();
    const res = await hub.request({ method: 'POST', url: `/api/forms/${open.id}/test-submission`, token: admin, body: { name: 'Preview Lead', phone: nextPhone().typed } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'lead', ids: { dealId: expect.any(String) } });
    const [deal] = await hub.query(`SELECT source FROM deal WHERE id = $1`, [res.body.ids.dealId]);
    expect(deal.source).toMatchObject({ formId: open.id, test: true });
    expect(await sources()).toBe(before);
    expect((await hub.postForm({ phone: nextPhone().typed }, { formKey: open.key })).status).toBe(201);
    expect(await sources()).toBe(before + 1);
    const invalid = await hub.request({ method: 'POST', url: `/api/forms/${open.id}/test-submission`, token: admin, body: { name: 'No contact' } });
    expect(invalid.body).toMatchObject({ kind: 'invalid', fields: { phone: expect.any(String) } });
  });
});
