import { TestHub } from '../support/test-hub';
import { expectError, MISSING_ID, nextPhone, onlyAvailable, postLead, raiseFormRateLimit } from './http-helpers';

describe('unassigned queue (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let managers: string[];

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Queue' });
    boris = await hub.createManager({ name: 'Boris Queue' });
    managers = [anna.id, boris.id];
  });
  afterAll(async () => {
    await hub?.close();
  });

  const queueIds = async (token: string) => {
    const res = await hub.request({ url: '/api/queue', token });
    expect(res.status).toBe(200);
    return res.body.map((d: any) => d.id);
  };
  const take = (dealId: string, token: string) => hub.request({ method: 'POST', url: `/api/queue/${dealId}/take`, token });
  const timeline = async (contactId: string) => (await hub.request({ url: `/api/contacts/${contactId}/timeline?limit=100`, token: admin })).body.items;

  it('parks a lead nobody can take (all managers paused) in the queue, ownerless', async () => {
    await onlyAvailable(hub, managers, null);
    const lead = await postLead(hub, { name: 'Nobody’s Client', phone: nextPhone().typed });
    const deal = await hub.request({ url: `/api/deals/${lead.dealId}`, token: admin });
    expect(deal.status).toBe(200);
    expect(deal.body).toMatchObject({ id: lead.dealId, ownerId: null, stage: 'new', closedAt: null });
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ owner_id: null }]);
    expect(await hub.query(`SELECT assignee_id FROM task WHERE id = $1`, [lead.taskId])).toEqual([{ assignee_id: null }]);

    // Every manager (and the admin) sees it in the queue.
    expect(await queueIds(anna.token)).toEqual([lead.dealId]);
    expect(await queueIds(boris.token)).toEqual([lead.dealId]);
    expect(await queueIds(admin)).toEqual([lead.dealId]);
    const [queued] = (await hub.request({ url: '/api/queue', token: anna.token })).body;
    expect(queued).toMatchObject({ id: lead.dealId, contactId: lead.contactId, contactName: 'Nobody’s Client', ownerId: null });

    const entries = await timeline(lead.contactId);
    expect(entries.find((e: any) => e.kind === 'unassigned')).toMatchObject({ dealId: lead.dealId, payload: { rule: 'queue' } });
    expect(entries.find((e: any) => e.kind === 'assigned')).toBeUndefined();
  });

  it('the first taker gets the deal (with its task and the contact); a second taker gets 409', async () => {
    await onlyAvailable(hub, managers, null);
    const lead = await postLead(hub, { name: 'Take Me', phone: nextPhone().typed });
    expect(await queueIds(anna.token)).toContain(lead.dealId);

    const taken = await take(lead.dealId, anna.token);
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ id: lead.dealId, ownerId: anna.id, contactId: lead.contactId });
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ owner_id: anna.id }]);
    expect(await hub.query(`SELECT assignee_id FROM task WHERE id = $1`, [lead.taskId])).toEqual([{ assignee_id: anna.id }]);
    expect(await hub.query(`SELECT owner_id FROM contact WHERE id = $1`, [lead.contactId])).toEqual([{ owner_id: anna.id }]);

    const assigned = (await timeline(lead.contactId)).filter((e: any) => e.kind === 'assigned');
    expect(assigned).toHaveLength(1);
    expect(assigned[0]).toMatchObject({ dealId: lead.dealId, actorId: anna.id, payload: { managerId: anna.id, reason: 'taken from queue' } });

    // Out of the queue, into Anna's lists.
    expect(await queueIds(boris.token)).not.toContain(lead.dealId);
    expect((await hub.request({ url: `/api/deals/${lead.dealId}`, token: anna.token })).status).toBe(200);
    expect((await hub.request({ url: '/api/tasks', token: anna.token })).body.map((t: any) => t.id)).toContain(lead.taskId);

    const second = await take(lead.dealId, boris.token);
    expectError(second, 409, 'conflict');
    const again = await take(lead.dealId, anna.token);
    expectError(again, 409, 'conflict');
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ owner_id: anna.id }]);
    expect((await timeline(lead.contactId)).filter((e: any) => e.kind === 'assigned')).toHaveLength(1);
  });

  it('two simultaneous takers: exactly one wins, the other gets 409', async () => {
    await onlyAvailable(hub, managers, null);
    const lead = await postLead(hub, { name: 'Race', phone: nextPhone().typed });
    const [a, b] = await Promise.all([take(lead.dealId, anna.token), take(lead.dealId, boris.token)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? anna.id : boris.id;
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ owner_id: winner }]);
    expect((await timeline(lead.contactId)).filter((e: any) => e.kind === 'assigned')).toHaveLength(1);
  });

  it('answers 404 for an unknown or closed deal and 400 for a non-uuid id', async () => {
    await onlyAvailable(hub, managers, null);
    expectError(await take(MISSING_ID, anna.token), 404, 'not_found');
    expectError(await take('nope', anna.token), 400, 'invalid');

    const lead = await postLead(hub, { name: 'Closed Before Taken', phone: nextPhone().typed });
    const lost = await hub.request({ method: 'PATCH', url: `/api/deals/${lead.dealId}`, token: admin, body: { stage: 'lost', lostReason: 'spam' } });
    expect(lost.status).toBe(200);
    expect(await queueIds(anna.token)).not.toContain(lead.dealId);
    expectError(await take(lead.dealId, anna.token), 404, 'not_found');
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ owner_id: null }]);
  });

  it('lists the queue oldest first', async () => {
    await onlyAvailable(hub, managers, null);
    const before = await queueIds(admin);
    const first = await postLead(hub, { name: 'Queue One', phone: nextPhone().typed });
    const second = await postLead(hub, { name: 'Queue Two', phone: nextPhone().typed });
    expect(await queueIds(admin)).toEqual([...before, first.dealId, second.dealId]);
  });

  it('drains the queue to a paused manager as soon as they become available', async () => {
    await onlyAvailable(hub, managers, null);
    const a = await postLead(hub, { name: 'Drain A', phone: nextPhone().typed });
    const b = await postLead(hub, { name: 'Drain B', phone: nextPhone().typed });
    const queued = await queueIds(admin);
    expect(queued).toEqual(expect.arrayContaining([a.dealId, b.dealId]));

    const res = await hub.request({ method: 'PATCH', url: `/api/managers/${boris.id}`, token: admin, body: { available: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: boris.id, available: true, openDeals: expect.any(Number) });

    expect(await queueIds(admin)).toEqual([]);
    const rows = await hub.query(`SELECT id, owner_id FROM deal WHERE id = ANY($1::uuid[])`, [queued]);
    expect(rows).toHaveLength(queued.length);
    for (const r of rows) expect(r.owner_id).toBe(boris.id);
    const tasks = await hub.query(`SELECT assignee_id FROM task WHERE deal_id = ANY($1::uuid[]) AND status = 'open'`, [queued]);
    expect(tasks.length).toBe(queued.length);
    for (const t of tasks) expect(t.assignee_id).toBe(boris.id);
    expect((await hub.request({ url: `/api/managers/${boris.id}`, token: admin })).body.openDeals).toBeGreaterThanOrEqual(queued.length);

    const [{ contact_id: contactId }] = await hub.query(`SELECT contact_id FROM deal WHERE id = $1`, [queued[0]]);
    const assigned = (await timeline(contactId)).find((e: any) => e.kind === 'assigned');
    expect(assigned).toMatchObject({ dealId: queued[0], payload: { managerId: boris.id, reason: expect.stringMatching(/^from the unassigned queue/) } });
    expect((await hub.request({ url: '/api/deals', token: boris.token })).body.items.map((d: any) => d.id)).toEqual(expect.arrayContaining(queued));
  });
});
