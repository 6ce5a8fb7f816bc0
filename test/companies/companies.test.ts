import { expectError, MISSING_ID, nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

describe('companies (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let ivan: Lead; // ivan@acme.com, Anna's
  let olga: Lead; // phone only, Boris's
  let gmail: Lead; // petr@gmail.com, Anna's
  let acme: any;

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Companies' });
    boris = await hub.createManager({ name: 'Boris Companies' });
    await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    ivan = await postLead(hub, { name: 'Ivan Acme', email: 'Ivan@ACME.com', message: 'need a quote' });
    gmail = await postLead(hub, { name: 'Petr Gmail', email: 'petr@gmail.com' });
    await onlyAvailable(hub, [anna.id, boris.id], boris.id);
    olga = await postLead(hub, { name: 'Olga Acme', phone: nextPhone().typed });
  }, 180_000);
  afterAll(async () => {
    await hub?.close();
  });

  const req = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, token = admin) => hub.request({ method, url, body, token });

  it('creates companies with a normalised domain; rejects duplicates, free-mail domains and a missing name', async () => {
    const res = await req('POST', '/api/companies', { name: '  Acme LLC ', domain: 'https://www.Acme.com/about', legalId: '7701234567' });
    expect(res.status).toBe(201);
    acme = res.body;
    expect(acme).toMatchObject({ name: 'Acme LLC', domain: 'acme.com', legalId: '7701234567', contactCount: 0 });
    expectError(await req('POST', '/api/companies', { name: 'Acme again', domain: 'acme.com' }), 409, 'conflict');
    expectError(await req('POST', '/api/companies', { name: 'Google mail', domain: 'gmail.com' }), 400, 'invalid', ['domain']);
    expectError(await req('POST', '/api/companies', { name: 'Bad', domain: 'not a domain' }), 400, 'invalid', ['domain']);
    expectError(await req('POST', '/api/companies', { domain: 'x.com' }), 400, 'invalid', ['name']);
    const other = await req('POST', '/api/companies', { name: 'Globex' }, anna.token);
    expect(other.status).toBe(201);
    expect(other.body.domain).toBeNull();

    const list = await req('GET', '/api/companies?search=acme');
    expect(list.body.items.map((c: any) => c.id)).toEqual([acme.id]);
    const page1 = await req('GET', '/api/companies?limit=1');
    expect(page1.body.items.map((c: any) => c.name)).toEqual(['Globex']);
    const page2 = await req('GET', `/api/companies?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((c: any) => c.name)).toEqual(['Acme LLC']);
    expect((await req('PATCH', `/api/companies/${other.body.id}`, { legalId: 'GB-1' })).body).toMatchObject({ name: 'Globex', legalId: 'GB-1' });
    expectError(await req('PATCH', `/api/companies/${other.body.id}`, { domain: 'acme.com' }), 409, 'conflict');
    expectError(await req('GET', `/api/companies/${MISSING_ID}`), 404, 'not_found');
  });

  it('a lead from the company email domain suggests the company; accepting links it; free mail suggests nothing', async () => {
    const s = await req('GET', `/api/contacts/${ivan.contactId}/company-suggestion`, undefined, anna.token);
    expect(s.status).toBe(200);
    expect(s.body.suggestion).toMatchObject({ domain: 'acme.com', company: { id: acme.id, name: 'Acme LLC' } });
    expect((await req('GET', `/api/contacts/${gmail.contactId}/company-suggestion`, undefined, anna.token)).body).toEqual({ suggestion: null });
    expectError(await req('POST', `/api/contacts/${gmail.contactId}/company-suggestion/accept`, undefined, anna.token), 409, 'conflict');
    // Boris may not see Ivan (Anna's contact).
    expectError(await req('GET', `/api/contacts/${ivan.contactId}/company-suggestion`, undefined, boris.token), 404, 'not_found');

    const accepted = await req('POST', `/api/contacts/${ivan.contactId}/company-suggestion/accept`, undefined, anna.token);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: acme.id, contactCount: 1 });
    expect((await req('GET', `/api/contacts/${ivan.contactId}/company-suggestion`, undefined, anna.token)).body).toEqual({ suggestion: null });
  });

  it('links contacts by hand; the company page shows contacts, deals and the merged timeline, scoped per viewer', async () => {
    expect((await req('POST', `/api/companies/${acme.id}/contacts`, { contactId: olga.contactId }, boris.token)).body).toMatchObject({ contactCount: 2 });
    expectError(await req('POST', `/api/companies/${acme.id}/contacts`, { contactId: ivan.contactId }, boris.token), 404, 'not_found');
    expectError(await req('POST', `/api/companies/${acme.id}/contacts`, { contactId: 'nope' }), 400, 'invalid', ['contactId']);

    const page = await req('GET', `/api/companies/${acme.id}`);
    expect(page.status).toBe(200);
    expect(page.body.contacts.map((c: any) => c.name).sort()).toEqual(['Ivan Acme', 'Olga Acme']);
    expect(page.body.contacts.find((c: any) => c.id === ivan.contactId).identities).toEqual([{ kind: 'email', value: 'ivan@acme.com' }]);
    expect(page.body.deals.map((d: any) => d.id).sort()).toEqual([ivan.dealId, olga.dealId].sort());
    const annas = await req('GET', `/api/companies/${acme.id}`, undefined, anna.token);
    expect(annas.body.contacts.map((c: any) => c.id)).toEqual([ivan.contactId]);
    expect(annas.body.deals.map((d: any) => d.id)).toEqual([ivan.dealId]);

    // Merged timeline: every activity of both contacts, newest first, cursor-paginated without gaps.
    const expected = await hub.query(`SELECT id FROM activity WHERE contact_id = ANY($1::uuid[]) ORDER BY occurred_at DESC, id DESC`, [[ivan.contactId, olga.contactId]]);
    expect(expected.length).toBeGreaterThan(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await req('GET', `/api/companies/${acme.id}/timeline?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((a: any) => a.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected.map((r) => r.id));
    const borisTimeline = await req('GET', `/api/companies/${acme.id}/timeline?limit=100`, undefined, boris.token);
    expect(new Set(borisTimeline.body.items.map((a: any) => a.contactId))).toEqual(new Set([olga.contactId]));
    expectError(await req('GET', `/api/companies/${acme.id}/timeline?cursor=bad`), 400, 'invalid', ['cursor']);
  });

  it('unlinks a contact; only an admin deletes a company and its contacts stay', async () => {
    expect((await req('DELETE', `/api/companies/${acme.id}/contacts/${olga.contactId}`, undefined, boris.token)).body).toMatchObject({ contactCount: 1 });
    expectError(await req('DELETE', `/api/companies/${acme.id}/contacts/${olga.contactId}`), 404, 'not_found');
    expectError(await req('DELETE', `/api/companies/${acme.id}`, undefined, anna.token), 403, 'forbidden');
    expect((await req('DELETE', `/api/companies/${acme.id}`)).body).toEqual({ id: acme.id, deleted: true });
    expect(await hub.query(`SELECT company_id FROM contact WHERE id = $1`, [ivan.contactId])).toEqual([{ company_id: null }]);
    expectError(await req('GET', `/api/companies/${acme.id}`), 404, 'not_found');
    // Deleting it again finds nothing (node-postgres answers DELETE … RETURNING as [rows, count]: counted as rows, it said "deleted").
    expectError(await req('DELETE', `/api/companies/${acme.id}`), 404, 'not_found');
  });
});
