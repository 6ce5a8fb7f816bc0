import { SlaService } from '@leadline/core';
import { expectError, nextPhone, onlyAvailable, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { ADMIN_EMAIL, TestHub } from '../support/test-hub';

jest.setTimeout(60_000);

/** The callback cockpit's API: one read of the inbox, task results, channel availability, notices read at once. */
describe('cockpit API', () => {
  let hub: TestHub;
  let mira: { id: string; token: string; email: string };
  let boris: { id: string; token: string; email: string };
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    hub = await TestHub.start();
    await raiseFormRateLimit(hub);
    mira = await hub.createManager({ name: 'Mira Manager' });
    boris = await hub.createManager({ name: 'Boris Manager' });
    admin = await hub.adminToken();
    [{ id: adminId }] = await hub.query(`SELECT id FROM manager WHERE email = $1`, [ADMIN_EMAIL]);
  });
  afterAll(() => hub?.close());
  afterEach(() => hub.clock.useRealTime());

  it('lists my leads with phone, source, first words and the callback due time; completing with a result removes it', async () => {
    await onlyAvailable(hub, [mira.id, boris.id], mira.id);
    const phone = nextPhone();
    const lead = await postLead(hub, { name: 'Zarina', phone: phone.typed, message: `Need  chairs\n${'very '.repeat(40)}long`, utm_source: 'google', utm_medium: 'cpc' });
    const inbox = await hub.request({ url: '/api/inbox', token: mira.token });
    expect(inbox.status).toBe(200);
    const item = inbox.body.mine.find((i: { dealId: string }) => i.dealId === lead.dealId);
    expect(item).toMatchObject({ contactName: 'Zarina', phone: phone.e164, sourceChannel: 'web_form', source: 'google / cpc', ownerId: mira.id, ownerName: 'Mira Manager' });
    expect(item.phoneDisplay).toMatch(/^\+7 912 \d{3} \d{2} \d{2}$/);
    expect(item.excerpt.startsWith('Need chairs very')).toBe(true);
    expect(item.excerpt.endsWith('…')).toBe(true);
    expect(item.excerpt.length).toBeLessThanOrEqual(141);
    expect(item.task).toMatchObject({ id: lead.taskId, kind: 'callback', assigneeId: mira.id, assigneeName: 'Mira Manager' });
    expect(Math.abs(new Date(inbox.body.now).getTime() - Date.now())).toBeLessThan(5_000);

    const bad = await hub.request({ method: 'POST', url: `/api/tasks/${lead.taskId}/complete`, token: mira.token, body: { result: 'maybe' } });
    expectError(bad, 400, 'invalid', ['result']);
    const done = await hub.request({ method: 'POST', url: `/api/tasks/${lead.taskId}/complete`, token: mira.token, body: { result: 'reached' } });
    expect(done.status).toBe(200);
    expect(done.body.result).toBe('reached');
    const after = await hub.request({ url: '/api/inbox', token: mira.token });
    expect(after.body.mine.map((i: { dealId: string }) => i.dealId)).not.toContain(lead.dealId);
    hub.clock.advanceMinutes(30);
    const later = await hub.request({ url: '/api/inbox', token: mira.token });
    expect(later.body.overdue.map((i: { dealId: string }) => i.dealId)).not.toContain(lead.dealId);
    // Completing without a body still works (old clients).
    const plain = await postLead(hub, { name: 'Plain', phone: nextPhone().typed });
    const res = await hub.request({ method: 'POST', url: `/api/tasks/${plain.taskId}/complete`, token: mira.token });
    expect(res.status).toBe(200);
    expect(res.body.result).toBeNull();
  });

  it('overdue: a manager sees their own, an admin everyone’s with who is late; "mine" of an admin is what the admin owns', async () => {
    await onlyAvailable(hub, [mira.id, boris.id], boris.id);
    const late = await postLead(hub, { name: 'Late Lead', phone: nextPhone().typed });
    const own = await postLead(hub, { name: 'Admin Lead', phone: nextPhone().typed });
    expect((await hub.request({ method: 'POST', url: `/api/contacts/${own.contactId}/owner`, token: admin, body: { managerId: adminId } })).status).toBe(200);
    hub.clock.advanceMinutes(20);
    await hub.app.get(SlaService).tick();
    const forAdmin = await hub.request({ url: '/api/inbox', token: admin });
    const row = forAdmin.body.overdue.find((i: { dealId: string }) => i.dealId === late.dealId);
    expect(row.task.assigneeName).toBe('Boris Manager');
    expect(forAdmin.body.mine.map((i: { dealId: string }) => i.dealId)).toEqual([own.dealId]);
    const forMira = await hub.request({ url: '/api/inbox', token: mira.token });
    expect(forMira.body.overdue.map((i: { dealId: string }) => i.dealId)).not.toContain(late.dealId);
    const forBoris = await hub.request({ url: '/api/inbox', token: boris.token });
    expect(forBoris.body.overdue.map((i: { dealId: string }) => i.dealId)).toContain(late.dealId);
  });

  it('the queue holds unowned open deals for every manager', async () => {
    await onlyAvailable(hub, [mira.id, boris.id], null);
    const queued = await postLead(hub, { name: 'Queued', phone: nextPhone().typed });
    const forMira = await hub.request({ url: '/api/inbox', token: mira.token });
    expect(forMira.body.queue.map((i: { dealId: string }) => i.dealId)).toContain(queued.dealId);
    await onlyAvailable(hub, [mira.id, boris.id], mira.id);
  });

  it('tells every user which channels work here and how to turn the others on', async () => {
    const res = await hub.request({ url: '/api/channels', token: mira.token });
    expect(res.status).toBe(200);
    const phone = res.body.find((c: { key: string }) => c.key === 'phone');
    expect(phone).toMatchObject({ calls: false, enableWith: expect.arrayContaining(['TWILIO_ACCOUNT_SID', 'TWILIO_NUMBER']) });
    expect(res.body.find((c: { key: string }) => c.key === 'email')).toMatchObject({ sends: false });
    expect(res.body.find((c: { key: string }) => c.key === 'web_form')).toMatchObject({ receives: true });
    // The connection status stays for admins.
    expect((await hub.request({ url: '/api/channels/status', token: mira.token })).status).toBe(403);
  });

  it('marks my notices read in one request, never someone else’s', async () => {
    const rows = await hub.query(
      `INSERT INTO notification (manager_id, outbox_id, event, payload) SELECT $1::uuid, gen_random_uuid(), 'lead', '{}'::jsonb FROM generate_series(1, 3) UNION ALL
       SELECT $2::uuid, gen_random_uuid(), 'lead', '{}'::jsonb RETURNING id, manager_id`,
      [mira.id, boris.id],
    );
    const borisNotice = rows.find((r: { manager_id: string }) => r.manager_id === boris.id).id;
    const some = await hub.request({ method: 'POST', url: '/api/notifications/read', token: mira.token, body: { ids: [rows[0].id, borisNotice] } });
    expect(some.body).toEqual({ read: 1 });
    const all = await hub.request({ method: 'POST', url: '/api/notifications/read', token: mira.token, body: {} });
    expect(all.body).toEqual({ read: 2 });
    expect(await hub.query(`SELECT count(*)::int AS n FROM notification WHERE manager_id = $1 AND read_at IS NULL`, [boris.id])).toEqual([{ n: 1 }]);
    expectError(await hub.request({ method: 'POST', url: '/api/notifications/read', token: mira.token, body: { ids: ['nope'] } }), 400, 'invalid', ['ids.0']);
  });

  it('keeps lost reasons an admin offers; managers read them', async () => {
    const a = await hub.request({ method: 'POST', url: '/api/lost-reasons', token: admin, body: { label: 'Too expensive' } });
    expect(a.status).toBe(201);
    const dup = await hub.request({ method: 'POST', url: '/api/lost-reasons', token: admin, body: { label: 'too EXPENSIVE' } });
    expect(dup.status).toBe(409);
    expect((await hub.request({ method: 'POST', url: '/api/lost-reasons', token: mira.token, body: { label: 'x' } })).status).toBe(403);
    await hub.request({ method: 'POST', url: '/api/lost-reasons', token: admin, body: { label: 'Chose a competitor' } });
    const list = await hub.request({ url: '/api/lost-reasons', token: mira.token });
    expect(list.body.map((r: { label: string }) => r.label)).toEqual(['Too expensive', 'Chose a competitor']);
    expect((await hub.request({ method: 'DELETE', url: `/api/lost-reasons/${a.body.id}`, token: admin })).status).toBe(204);
    expect((await hub.request({ method: 'DELETE', url: `/api/lost-reasons/${a.body.id}`, token: admin })).status).toBe(404);
    const again = await hub.request({ method: 'POST', url: '/api/lost-reasons', token: admin, body: { label: 'Too expensive' } });
    expect(again.status).toBe(201);
  });
});

describe('deal amounts', () => {
  let hub: TestHub;
  let mira: { id: string; token: string; email: string };

  beforeAll(async () => {
    hub = await TestHub.start();
    mira = await hub.createManager({ name: 'Mira Manager' });
  });
  afterAll(() => hub?.close());

  it('sets amount and currency with one timeline entry per change, and refuses what is not money', async () => {
    const lead = await postLead(hub, { name: 'Buyer', phone: nextPhone().typed });
    const put = (body: unknown, token = mira.token) => hub.request({ method: 'PUT', url: `/api/deals/${lead.dealId}/amount`, token, body });
    const res = await put({ amount: '1500,5', currency: 'rub' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ amount: '1500.50', currency: 'RUB' });
    expect((await put({ amount: '1500.50', currency: 'RUB' })).status).toBe(200);
    const entries = await hub.query(`SELECT actor_id, payload FROM activity WHERE deal_id = $1 AND kind = 'deal_updated'`, [lead.dealId]);
    expect(entries).toEqual([{ actor_id: mira.id, payload: { code: 'amount_changed', params: { from: null, fromCurrency: null, to: '1500.50', toCurrency: 'RUB' } } }]);
    expectError(await put({ amount: '-3', currency: 'RUB' }), 400, 'invalid', ['amount']);
    expectError(await put({ amount: '12', currency: 'rubles' }), 400, 'invalid', ['currency']);
    expectError(await put({ amount: '1e5' }), 400, 'invalid', ['amount']);
    const other = await hub.createManager({ name: 'Other Manager' });
    expectError(await put({ amount: '1' }, other.token), 404, 'not_found');
    expect((await put({ amount: null, currency: null })).body).toMatchObject({ amount: null, currency: null });
  });
});

describe('contact list filters', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await TestHub.start();
  });
  afterAll(() => hub?.close());

  it('narrows by owner, source, tag, creation time and open task, and refuses what it cannot read', async () => {
    const admin = await hub.adminToken();
    const anna = await hub.createManager({ name: 'Anna Filter' });
    await onlyAvailable(hub, [anna.id], anna.id);
    await postLead(hub, { name: 'Has Task', phone: nextPhone().typed });
    const done = await postLead(hub, { name: 'No Task', phone: nextPhone().typed });
    expect((await hub.request({ method: 'POST', url: `/api/tasks/${done.taskId}/complete`, token: anna.token, body: { result: 'reached' } })).status).toBe(200);
    await hub.query(`UPDATE contact SET tags = ARRAY['vip'] WHERE id = $1`, [done.contactId]);
    const names = async (query: string) =>
      (await hub.request({ url: `/api/contacts?${query}`, token: admin })).body.items.map((c: { name: string }) => c.name).sort();
    expect(await names('hasOpenTask=true')).toEqual(['Has Task']);
    expect(await names('hasOpenTask=false')).toEqual(['No Task']);
    expect(await names('tag=vip')).toEqual(['No Task']);
    expect(await names(`ownerId=${anna.id}`)).toEqual(['Has Task', 'No Task']);
    expect(await names('source=telegram')).toEqual([]);
    expect(await names('source=web_form')).toEqual(['Has Task', 'No Task']);
    expect(await names(`createdFrom=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    expectError(await hub.request({ url: '/api/contacts?createdFrom=yesterday', token: admin }), 400, 'invalid', ['createdFrom']);
    expectError(await hub.request({ url: '/api/contacts?ownerId=7', token: admin }), 400, 'invalid', ['ownerId']);
  });
});
