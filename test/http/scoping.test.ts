import { TestHub } from '../support/test-hub';
import { expectError, nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from './http-helpers';

/** Managers see and change only their own contacts, deals and tasks; admins see everything. */
describe('manager scoping (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let annaLead: Lead;
  let annaLead2: Lead;
  let borisLead: Lead;
  const borisPhone = nextPhone();

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Scope' });
    boris = await hub.createManager({ name: 'Boris Scope' });
    await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    annaLead = await postLead(hub, { name: 'Client of Anna', phone: nextPhone().typed, email: 'anna.client@example.com' });
    annaLead2 = await postLead(hub, { name: 'Second of Anna', phone: nextPhone().typed });
    await onlyAvailable(hub, [anna.id, boris.id], boris.id);
    borisLead = await postLead(hub, { name: 'Client of Boris', phone: borisPhone.typed, email: 'boris.client@example.com' });
    // The setup itself is what the rest relies on: check the owners in the database.
    const owners = await hub.query(`SELECT id, owner_id FROM deal`);
    expect(new Map(owners.map((d: any) => [d.id, d.owner_id]))).toEqual(
      new Map([
        [annaLead.dealId, anna.id],
        [annaLead2.dealId, anna.id],
        [borisLead.dealId, boris.id],
      ]),
    );
  });
  afterAll(async () => {
    await hub?.close();
  });

  const get = (url: string, token: string) => hub.request({ url, token });

  it('lists only the manager’s own contacts, deals and tasks', async () => {
    const contacts = await get('/api/contacts', anna.token);
    expect(contacts.status).toBe(200);
    expect(contacts.body.items.map((c: any) => c.id).sort()).toEqual([annaLead.contactId, annaLead2.contactId].sort());
    const deals = await get('/api/deals', anna.token);
    expect(deals.status).toBe(200);
    expect(deals.body.items.map((d: any) => d.id).sort()).toEqual([annaLead.dealId, annaLead2.dealId].sort());
    const tasks = await get('/api/tasks', anna.token);
    expect(tasks.status).toBe(200);
    expect(tasks.body.map((t: any) => t.id).sort()).toEqual([annaLead.taskId, annaLead2.taskId].sort());

    expect((await get('/api/contacts', boris.token)).body.items.map((c: any) => c.id)).toEqual([borisLead.contactId]);
    expect((await get('/api/deals', boris.token)).body.items.map((d: any) => d.id)).toEqual([borisLead.dealId]);
    expect((await get('/api/tasks', boris.token)).body.map((t: any) => t.id)).toEqual([borisLead.taskId]);
  });

  it('ignores filters that would reach another manager’s data', async () => {
    expect((await get(`/api/deals?ownerId=${boris.id}`, anna.token)).body.items.map((d: any) => d.id).sort()).toEqual([annaLead.dealId, annaLead2.dealId].sort());
    expect((await get(`/api/tasks?assigneeId=${boris.id}`, anna.token)).body.map((t: any) => t.id).sort()).toEqual([annaLead.taskId, annaLead2.taskId].sort());
    expect((await get(`/api/contacts?search=${encodeURIComponent(borisPhone.e164)}`, anna.token)).body.items).toEqual([]);
    expect((await get('/api/contacts?search=boris.client%40example.com', anna.token)).body.items).toEqual([]);
    expect((await get('/api/contacts?search=Boris', anna.token)).body.items).toEqual([]);
  });

  it('answers 404 for another manager’s contact, timeline and deal', async () => {
    expectError(await get(`/api/contacts/${borisLead.contactId}`, anna.token), 404, 'not_found');
    expectError(await get(`/api/contacts/${borisLead.contactId}/timeline`, anna.token), 404, 'not_found');
    expectError(await get(`/api/deals/${borisLead.dealId}`, anna.token), 404, 'not_found');
    expectError(await get(`/api/contacts/${annaLead.contactId}`, boris.token), 404, 'not_found');
    expectError(await get(`/api/deals/${annaLead.dealId}`, boris.token), 404, 'not_found');

    // Their own are fine.
    expect((await get(`/api/contacts/${annaLead.contactId}`, anna.token)).body).toMatchObject({ id: annaLead.contactId, ownerId: anna.id });
    expect((await get(`/api/contacts/${annaLead.contactId}/timeline`, anna.token)).body.items.length).toBeGreaterThan(0);
    expect((await get(`/api/deals/${annaLead.dealId}`, anna.token)).body).toMatchObject({ id: annaLead.dealId, ownerId: anna.id });
  });

  it('answers 404 to changing another manager’s deal stage, and changes nothing', async () => {
    const activitiesBefore = (await hub.query(`SELECT count(*)::int AS n FROM activity WHERE deal_id = $1`, [borisLead.dealId]))[0].n;
    for (const body of [{ stage: 'qualified' }, { stage: 'won' }, { stage: 'lost', lostReason: 'sabotage' }]) {
      expectError(await hub.request({ method: 'PATCH', url: `/api/deals/${borisLead.dealId}`, token: anna.token, body }), 404, 'not_found');
    }
    expect(await hub.query(`SELECT stage, closed_at, lost_reason FROM deal WHERE id = $1`, [borisLead.dealId])).toEqual([{ stage: 'new', closed_at: null, lost_reason: null }]);
    expect(await hub.query(`SELECT status FROM task WHERE id = $1`, [borisLead.taskId])).toEqual([{ status: 'open' }]);
    expect((await hub.query(`SELECT count(*)::int AS n FROM activity WHERE deal_id = $1`, [borisLead.dealId]))[0].n).toBe(activitiesBefore);
  });

  it('answers 404 to completing another manager’s task, and changes nothing', async () => {
    expectError(await hub.request({ method: 'POST', url: `/api/tasks/${borisLead.taskId}/complete`, token: anna.token }), 404, 'not_found');
    expect(await hub.query(`SELECT status, completed_at FROM task WHERE id = $1`, [borisLead.taskId])).toEqual([{ status: 'open', completed_at: null }]);
    expect(await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [borisLead.dealId])).toEqual([{ first_response_at: null }]);
    expect(await hub.query(`SELECT 1 FROM activity WHERE deal_id = $1 AND kind = 'task_done'`, [borisLead.dealId])).toHaveLength(0);
  });

  it('lets a manager change their own deal and complete their own task', async () => {
    const stage = await hub.request({ method: 'PATCH', url: `/api/deals/${annaLead2.dealId}`, token: anna.token, body: { stage: 'first_contact' } });
    expect(stage.status).toBe(200);
    expect(stage.body).toMatchObject({ id: annaLead2.dealId, stage: 'first_contact' });
    const done = await hub.request({ method: 'POST', url: `/api/tasks/${annaLead2.taskId}/complete`, token: anna.token });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: annaLead2.taskId, status: 'done' });
    expect(await hub.query(`SELECT status, completed_by_id FROM task WHERE id = $1`, [annaLead2.taskId])).toEqual([{ status: 'done', completed_by_id: anna.id }]);
  });

  it('lets the admin see and change everything', async () => {
    const contacts = await get('/api/contacts', admin);
    expect(contacts.body.items.map((c: any) => c.id).sort()).toEqual([annaLead.contactId, annaLead2.contactId, borisLead.contactId].sort());
    const deals = await get('/api/deals', admin);
    expect(deals.body.items.map((d: any) => d.id).sort()).toEqual([annaLead.dealId, annaLead2.dealId, borisLead.dealId].sort());
    const tasks = await get('/api/tasks', admin);
    expect(tasks.body.map((t: any) => t.id).sort()).toEqual([annaLead.taskId, borisLead.taskId].sort());
    expect((await get(`/api/deals?ownerId=${boris.id}`, admin)).body.items.map((d: any) => d.id)).toEqual([borisLead.dealId]);
    expect((await get(`/api/tasks?assigneeId=${anna.id}`, admin)).body.map((t: any) => t.id)).toEqual([annaLead.taskId]);

    expect((await get(`/api/contacts/${borisLead.contactId}`, admin)).body).toMatchObject({ id: borisLead.contactId, ownerId: boris.id });
    expect((await get(`/api/contacts/${borisLead.contactId}/timeline`, admin)).body.items.length).toBeGreaterThan(0);
    expect((await get(`/api/deals/${borisLead.dealId}`, admin)).body).toMatchObject({ id: borisLead.dealId, ownerId: boris.id });

    const stage = await hub.request({ method: 'PATCH', url: `/api/deals/${borisLead.dealId}`, token: admin, body: { stage: 'qualified' } });
    expect(stage.status).toBe(200);
    expect(await hub.query(`SELECT stage FROM deal WHERE id = $1`, [borisLead.dealId])).toEqual([{ stage: 'qualified' }]);
    const done = await hub.request({ method: 'POST', url: `/api/tasks/${borisLead.taskId}/complete`, token: admin });
    expect(done.status).toBe(200);
    expect(await hub.query(`SELECT status FROM task WHERE id = $1`, [borisLead.taskId])).toEqual([{ status: 'done' }]);
  });
});
