import { expectError, nextPhone, postLead } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

interface Entry {
  id: string;
  at: string;
  actor: { id: string | null; name: string | null; email: string | null };
  action: string;
  entityType: string | null;
  entityId: string | null;
  summary: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  details: Record<string, any>;
  ip: string | null;
  request: { method: string; path: string } | null;
}

describe('audit log: every admin write with actor, time, before and after', () => {
  let hub: TestHub;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    adminId = (await hub.request({ url: '/api/auth/me', token: admin })).body.id;
  });
  afterAll(() => hub?.close());

  async function entries(query = ''): Promise<Entry[]> {
    const res = await hub.request({ url: `/api/audit${query ? `?${query}` : ''}`, token: admin });
    expect(res.status).toBe(200);
    return res.body.items;
  }
  async function latest(action: string): Promise<Entry> {
    const [e] = await entries(`action=${encodeURIComponent(action)}&limit=1`);
    expect(e).toBeDefined();
    return e;
  }

  it('records managers created, changed (password as a flag, never its value or hash) and deactivated', async () => {
    const started = Date.now();
    const created = await hub.request({ method: 'POST', url: '/api/managers', token: admin, body: { name: 'Anna Petrova', email: 'anna@test.local', password: 'secret-pass-1', role: 'manager' } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const create = await latest('manager.create');
    expect(create).toMatchObject({ actor: { id: adminId, email: 'admin@test.local' }, entityType: 'manager', entityId: id, before: null, summary: 'manager.create: Anna Petrova', request: { method: 'POST', path: '/api/managers' } });
    expect(create.after).toMatchObject({ id, name: 'Anna Petrova', email: 'anna@test.local', role: 'manager' });
    expect(new Date(create.at).getTime()).toBeGreaterThanOrEqual(started - 1000);
    expect(create.details.body.password).toBe('[redacted]');

    expect((await hub.request({ method: 'PATCH', url: `/api/managers/${id}`, token: admin, body: { name: 'Anna Smirnova', password: 'another-pass-2' } })).status).toBe(200);
    const update = await latest('manager.update');
    expect(update.before).toMatchObject({ name: 'Anna Petrova' });
    expect(update.after).toMatchObject({ name: 'Anna Smirnova' });
    expect(update.details.passwordChanged).toBe(true);

    expect((await hub.request({ method: 'DELETE', url: `/api/managers/${id}`, token: admin })).status).toBe(200);
    const deactivate = await latest('manager.deactivate');
    expect(deactivate.before).toMatchObject({ active: true });
    expect(deactivate.after).toMatchObject({ active: false });

    // Nothing secret anywhere in the log.
    const raw = JSON.stringify(await hub.query(`SELECT * FROM audit_log`));
    const hashes = await hub.query<{ password_hash: string }>(`SELECT password_hash FROM manager WHERE password_hash IS NOT NULL`);
    for (const secret of ['secret-pass-1', 'another-pass-2', ...hashes.map((h) => h.password_hash)]) expect(raw).not.toContain(secret);
  });

  it('records forms, pipelines, stages and their order, mailboxes (no password) and deletions', async () => {
    const form = await hub.request({ method: 'POST', url: '/api/forms', token: admin, body: { name: 'Landing' } });
    expect(form.status).toBe(201);
    expect((await latest('form.create')).after).toMatchObject({ id: form.body.id, name: 'Landing' });
    expect((await hub.request({ method: 'PATCH', url: `/api/forms/${form.body.id}`, token: admin, body: { rateLimitPerMinute: 99 } })).status).toBe(200);
    const formUpdate = await latest('form.update');
    expect(formUpdate.before).toMatchObject({ rate_limit_per_minute: 10 });
    expect(formUpdate.after).toMatchObject({ rate_limit_per_minute: 99 });
    expect((await hub.request({ method: 'DELETE', url: `/api/forms/${form.body.id}`, token: admin })).status).toBeLessThan(300);
    const formDelete = await latest('form.delete');
    expect(formDelete.before).toMatchObject({ name: 'Landing' });
    expect(formDelete.entityId).toBe(form.body.id);

    const pipeline = await hub.request({ method: 'POST', url: '/api/pipelines', token: admin, body: { name: 'Wholesale' } });
    expect(pipeline.status).toBe(201);
    expect((await latest('pipeline.create')).after).toMatchObject({ name: 'Wholesale' });
    const stage = await hub.request({ method: 'POST', url: `/api/pipelines/${pipeline.body.id}/stages`, token: admin, body: { name: 'Samples sent' } });
    expect(stage.status).toBe(201);
    const stages: Array<{ id: string }> = (await hub.request({ url: `/api/pipelines/${pipeline.body.id}`, token: admin })).body.stages;
    const reversedOpen = [...stages];
    [reversedOpen[0], reversedOpen[1]] = [reversedOpen[1], reversedOpen[0]];
    expect((await hub.request({ method: 'PUT', url: `/api/pipelines/${pipeline.body.id}/stages/order`, token: admin, body: { stageIds: reversedOpen.map((s) => s.id) } })).status).toBeLessThan(300);
    const reorder = await latest('pipeline.reorder_stages');
    expect(Array.isArray(reorder.before)).toBe(true);
    const pos = (rows: unknown, id: string) => (rows as Array<{ id: string; position: number }>).find((r) => r.id === id)!.position;
    expect(pos(reorder.after, stages[0].id)).toBe(pos(reorder.before, stages[1].id));

    const mailbox = await hub.request({
      method: 'POST',
      url: '/api/mailboxes',
      token: admin,
      body: { name: 'Sales', address: 'sales@example.com', imap: { host: '127.0.0.1', port: 1, user: 'sales', password: 'imap-secret-9' }, enabled: false },
    });
    expect(mailbox.status).toBe(201);
    const mb = await latest('mailbox.create');
    expect(mb.entityId).toBe(mailbox.body.id);
    expect(JSON.stringify(mb)).not.toContain('imap-secret-9');
  });

  it('records reassignments with the owner before and after, imports with their totals, and exports', async () => {
    const bob = await hub.createManager({ name: 'Bob' });
    const eve = await hub.createManager({ name: 'Eve' });
    const lead = await postLead(hub, { name: 'Client', phone: nextPhone().typed });
    const owner = (await hub.query<{ owner_id: string }>(`SELECT owner_id FROM contact WHERE id = $1`, [lead.contactId]))[0].owner_id;
    const other = owner === bob.id ? eve.id : bob.id;
    const res = await hub.request({ method: 'POST', url: `/api/contacts/${lead.contactId}/owner`, token: admin, body: { managerId: other } });
    expect(res.status).toBe(200);
    const reassign = await latest('contact.reassign');
    expect(reassign.entityId).toBe(lead.contactId);
    expect(reassign.before).toMatchObject({ owner_id: owner });
    expect(reassign.after).toMatchObject({ owner_id: other });

    const csv = 'Name,Phone\nIvan Ivanov,+7 912 555-00-01\n';
    const imp = await hub.request({ method: 'POST', url: '/api/import', token: admin, body: csv, headers: { 'content-type': 'text/csv' } });
    expect(imp.status).toBe(201);
    const importEntry = await latest('import.run');
    expect(importEntry.details.result).toMatchObject({ created: 1 });
    expect(importEntry.details.body).toEqual({ bytes: Buffer.byteLength(csv) });

    expect((await hub.request({ url: '/api/export/contacts.csv', token: admin })).status).toBe(200);
    expect((await latest('export.contacts')).actor.id).toBe(adminId);
    // A manager's own export is an export too.
    expect((await hub.request({ url: '/api/export/deals.csv', token: bob.token })).status).toBe(200);
    expect((await latest('export.deals')).actor).toMatchObject({ id: bob.id, name: 'Bob' });
  });

  it('writes nothing for a refused or failed request', async () => {
    const before = (await hub.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log`))[0].n;
    expectError(await hub.request({ method: 'POST', url: '/api/managers', token: admin, body: { name: '' } }), 400, 'invalid');
    expect((await hub.request({ method: 'PATCH', url: '/api/managers/00000000-0000-4000-8000-000000000000', token: admin, body: { name: 'X' } })).status).toBe(404);
    const manager = await hub.createManager({ name: 'Carl' });
    const afterCreate = (await hub.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log`))[0].n;
    expect(Number(afterCreate)).toBe(Number(before) + 1);
    expect((await hub.request({ method: 'POST', url: '/api/managers', token: manager.token, body: { name: 'Nope', email: 'n@test.local' } })).status).toBe(403);
    expect((await hub.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log`))[0].n).toBe(afterCreate);
  });

  it('is for admins only, filters by actor, action prefix, entity and time, and pages with a cursor', async () => {
    const carl = await hub.createManager({ name: 'Dora' });
    expect((await hub.request({ url: '/api/audit', token: carl.token })).status).toBe(403);

    const managerEntries = await entries('action=manager.&limit=200');
    expect(managerEntries.length).toBeGreaterThanOrEqual(4);
    expect(managerEntries.every((e) => e.action.startsWith('manager.'))).toBe(true);
    const byEntity = await entries(`entityType=manager&entityId=${carl.id}`);
    expect(byEntity.map((e) => e.action)).toEqual(['manager.create']);
    expect((await entries(`actorId=${carl.id}`)).length).toBe(0);
    expect((await entries(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length).toBe(0);
    expect((await entries('search=Wholesale')).some((e) => e.action === 'pipeline.create')).toBe(true);

    const all: Entry[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: Entry[]; nextCursor: string | null } } = await hub.request({ url: `/api/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`, token: admin });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      all.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    const total = Number((await hub.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log`))[0].n);
    expect(all.length).toBe(total);
    expect(new Set(all.map((e) => e.id)).size).toBe(total);
    const times = all.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);

    expectError(await hub.request({ url: '/api/audit?cursor=bogus', token: admin }), 400, 'invalid', ['cursor']);
    expectError(await hub.request({ url: '/api/audit?from=yesterday', token: admin }), 400, 'invalid', ['from']);
    const actions = await hub.request({ url: '/api/audit/actions', token: admin });
    expect(actions.body).toEqual(expect.arrayContaining(['manager.create', 'form.delete', 'contact.reassign', 'import.run', 'export.contacts']));
  });
});
