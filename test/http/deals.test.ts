import { TestHub } from '../support/test-hub';
import { expectError, MISSING_ID, nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from './http-helpers';

describe('deals (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let a1: Lead;
  let a2: Lead;
  let b1: Lead;

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Deals' });
    boris = await hub.createManager({ name: 'Boris Deals' });
    await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    a1 = await postLead(hub, { name: 'Deal A1', phone: nextPhone().typed });
    a2 = await postLead(hub, { name: 'Deal A2', phone: nextPhone().typed });
    await onlyAvailable(hub, [anna.id, boris.id], boris.id);
    b1 = await postLead(hub, { name: 'Deal B1', phone: nextPhone().typed });
  });
  afterAll(async () => {
    hub.clock.useRealTime();
    await hub?.close();
  });

  const list = async (query: string, token = admin) => {
    const res = await hub.request({ url: `/api/deals${query}`, token });
    expect({ query, status: res.status }).toEqual({ query, status: 200 });
    return res.body.items.map((d: any) => d.id);
  };
  const patch = (id: string, body: unknown, token = admin) => hub.request({ method: 'PATCH', url: `/api/deals/${id}`, token, body });
  const dealRow = async (id: string) => (await hub.query(`SELECT stage, owner_id, lost_reason, closed_at FROM deal WHERE id = $1`, [id]))[0];
  const activities = (dealId: string, kind: string) =>
    hub.query(`SELECT actor_id, payload, occurred_at FROM activity WHERE deal_id = $1 AND kind = $2 ORDER BY occurred_at, created_at`, [dealId, kind]);

  it('lists deals newest first and shows one deal in full', async () => {
    expect(await list('')).toEqual([b1.dealId, a2.dealId, a1.dealId]);
    const res = await hub.request({ url: `/api/deals/${a1.dealId}`, token: anna.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: a1.dealId,
      contactId: a1.contactId,
      contactName: 'Deal A1',
      ownerId: anna.id,
      stage: 'new',
      sourceChannel: 'web_form',
      lostReason: null,
      firstResponseAt: null,
      closedAt: null,
    });
  });

  it('filters by owner (admin), stage and status; rejects bad filters with 400', async () => {
    expect(await list(`?ownerId=${anna.id}`)).toEqual([a2.dealId, a1.dealId]);
    expect(await list(`?ownerId=${boris.id}`)).toEqual([b1.dealId]);
    expect(await list(`?ownerId=${MISSING_ID}`)).toEqual([]);
    expect(await list('?stage=new')).toEqual([b1.dealId, a2.dealId, a1.dealId]);
    expect(await list('?stage=won')).toEqual([]);
    expect(await list('?status=open')).toEqual([b1.dealId, a2.dealId, a1.dealId]);
    expect(await list('?status=closed')).toEqual([]);

    expectError(await hub.request({ url: '/api/deals?stage=archived', token: admin }), 400, 'invalid', ['stage']);
    expectError(await hub.request({ url: '/api/deals?status=maybe', token: admin }), 400, 'invalid', ['status']);
    expectError(await hub.request({ url: '/api/deals?ownerId=anna', token: admin }), 400, 'invalid', ['ownerId']);
    expectError(await hub.request({ url: '/api/deals?limit=0', token: admin }), 400, 'invalid', ['limit']);
    expectError(await hub.request({ url: '/api/deals?cursor=nonsense', token: admin }), 400, 'invalid', ['cursor']);
  });

  it('PATCH {stage} moves the deal and writes a stage_changed activity {from, to}', async () => {
    const at = new Date(Date.now() + 60_000);
    hub.clock.set(at);
    try {
      const res = await patch(a1.dealId, { stage: 'first_contact' }, anna.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: a1.dealId, stage: 'first_contact', closedAt: null, ownerId: anna.id });
      expect(await dealRow(a1.dealId)).toMatchObject({ stage: 'first_contact', closed_at: null });
      const changes = await activities(a1.dealId, 'stage_changed');
      expect(changes).toHaveLength(1);
      expect(changes[0].actor_id).toBe(anna.id);
      expect(changes[0].payload).toEqual({ from: 'new', to: 'first_contact' });
      expect(new Date(changes[0].occurred_at).toISOString()).toBe(at.toISOString());

      // The same stage again is a no-op: no second activity.
      expect((await patch(a1.dealId, { stage: 'first_contact' }, anna.token)).status).toBe(200);
      expect(await activities(a1.dealId, 'stage_changed')).toHaveLength(1);
    } finally {
      hub.clock.useRealTime();
    }
  });

  it.each([
    ['lost without lostReason', { stage: 'lost' }, ['lostReason']],
    ['lost with a blank lostReason', { stage: 'lost', lostReason: '   ' }, ['lostReason']],
    ['lost with a null lostReason', { stage: 'lost', lostReason: null }, ['lostReason']],
    ['an unknown stage', { stage: 'archived' }, ['stage']],
    ['no stage', {}, ['stage']],
    ['a number as stage', { stage: 3 }, ['stage']],
    ['a too long lostReason', { stage: 'lost', lostReason: 'x'.repeat(1001) }, ['lostReason']],
  ])('PATCH answers 400 naming the field for %s and changes nothing', async (_what, body, fields) => {
    const before = await dealRow(a1.dealId);
    const activitiesBefore = await hub.query(`SELECT count(*)::int AS n FROM activity WHERE deal_id = $1`, [a1.dealId]);
    expectError(await patch(a1.dealId, body, anna.token), 400, 'invalid', fields);
    expect(await dealRow(a1.dealId)).toEqual(before);
    expect(await hub.query(`SELECT count(*)::int AS n FROM activity WHERE deal_id = $1`, [a1.dealId])).toEqual(activitiesBefore);
    expect(await hub.query(`SELECT status FROM task WHERE id = $1`, [a1.taskId])).toEqual([{ status: 'open' }]);
  });

  it('won sets closedAt and cancels the open tasks', async () => {
    const at = new Date(Date.now() + 120_000);
    hub.clock.set(at);
    try {
      const res = await patch(a1.dealId, { stage: 'won' }, anna.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ stage: 'won', closedAt: at.toISOString(), lostReason: null });
      expect(await dealRow(a1.dealId)).toMatchObject({ stage: 'won', lost_reason: null });
      expect(new Date((await dealRow(a1.dealId)).closed_at).toISOString()).toBe(at.toISOString());
      const [task] = await hub.query(`SELECT status, completed_at, completed_by_id FROM task WHERE id = $1`, [a1.taskId]);
      expect(task).toMatchObject({ status: 'cancelled', completed_by_id: anna.id });
      expect(new Date(task.completed_at).toISOString()).toBe(at.toISOString());
      expect((await activities(a1.dealId, 'stage_changed')).map((a: any) => a.payload)).toEqual([
        { from: 'new', to: 'first_contact' },
        { from: 'first_contact', to: 'won' },
      ]);
      expect((await hub.request({ url: '/api/tasks', token: anna.token })).body.map((t: any) => t.id)).not.toContain(a1.taskId);
    } finally {
      hub.clock.useRealTime();
    }
  });

  it('lost with a reason sets lostReason and closedAt and cancels the open tasks', async () => {
    const res = await patch(a2.dealId, { stage: 'lost', lostReason: '  too expensive ' }, anna.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stage: 'lost', lostReason: 'too expensive', closedAt: expect.any(String) });
    expect(await dealRow(a2.dealId)).toMatchObject({ stage: 'lost', lost_reason: 'too expensive', closed_at: expect.any(Date) });
    expect(await hub.query(`SELECT status FROM task WHERE id = $1`, [a2.taskId])).toEqual([{ status: 'cancelled' }]);
    expect((await activities(a2.dealId, 'stage_changed')).map((a: any) => a.payload)).toEqual([{ from: 'new', to: 'lost', lostReason: 'too expensive' }]);
  });

  it('status and stage filters follow the closed deals, for the admin and for the owner', async () => {
    expect(await list('?status=open')).toEqual([b1.dealId]);
    expect(await list('?status=closed')).toEqual([a2.dealId, a1.dealId]);
    expect(await list('?stage=won')).toEqual([a1.dealId]);
    expect(await list('?stage=lost')).toEqual([a2.dealId]);
    expect(await list(`?status=closed&ownerId=${boris.id}`)).toEqual([]);
    expect(await list('?status=open', anna.token)).toEqual([]);
    expect(await list('?status=closed', anna.token)).toEqual([a2.dealId, a1.dealId]);
    expect(await list('?status=closed', boris.token)).toEqual([]);
    expect(await list('?stage=new', boris.token)).toEqual([b1.dealId]);
  });

  it('reopening a closed deal needs a confirmation, then clears closedAt and lostReason with a timeline entry', async () => {
    expectError(await patch(a2.dealId, { stage: 'qualified' }, anna.token), 409, 'conflict');
    const res = await patch(a2.dealId, { stage: 'qualified', reopen: true }, anna.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stage: 'qualified', closedAt: null, lostReason: null });
    expect(await dealRow(a2.dealId)).toEqual({ stage: 'qualified', owner_id: anna.id, lost_reason: null, closed_at: null });
    expect(await list('?status=open')).toEqual([b1.dealId, a2.dealId]);
    const [entry] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'stage_changed' ORDER BY occurred_at DESC LIMIT 1`, [a2.dealId]);
    expect(entry.payload).toMatchObject({ to: 'qualified', reopened: true });
  });

  it('answers 404 for an unknown deal and 400 for a non-uuid id', async () => {
    expectError(await hub.request({ url: `/api/deals/${MISSING_ID}`, token: admin }), 404, 'not_found');
    expectError(await patch(MISSING_ID, { stage: 'won' }), 404, 'not_found');
    expectError(await hub.request({ url: '/api/deals/7', token: admin }), 400, 'invalid');
    expectError(await patch('7', { stage: 'won' }), 400, 'invalid');
  });

  it('pages through every deal exactly once, even when deals were created within the same millisecond', async () => {
    const extra = [];
    for (let i = 0; i < 4; i++) extra.push(await postLead(hub, { name: `Paged ${i}`, phone: nextPhone().typed }));
    // Several deals in one millisecond (a burst of leads): microsecond timestamps that share their millisecond.
    const ids = [a1.dealId, a2.dealId, b1.dealId, ...extra.map((l) => l.dealId)];
    await hub.query(
      `UPDATE deal SET created_at = timestamptz '2026-03-01 10:00:00.123000+00' + make_interval(secs => s.n / 1000000.0)
         FROM unnest($1::uuid[], $2::int[]) AS s(id, n) WHERE deal.id = s.id`,
      [ids, [100, 250, 400, 550, 700, 850, 999]],
    );
    const full = await list('?limit=100');
    expect(full.sort()).toEqual([...ids].sort());
    const ordered = await list('?limit=100');
    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await hub.request({ url: `/api/deals?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, token: admin });
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((d: any) => d.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      expect({ limit, seen }).toEqual({ limit, seen: ordered });
    }
  });
});
