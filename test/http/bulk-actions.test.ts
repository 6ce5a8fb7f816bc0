import { expectError, nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from './http-helpers';
import { TestHub } from '../support/test-hub';

jest.setTimeout(60_000);

/**
 * POST /api/deals/bulk and /api/contacts/bulk: one request, the single actions' rules per id, and an
 * answer that says for every id whether it was done or refused and why.
 */
describe('bulk actions in the lists', () => {
  let hub: TestHub;
  let admin: string;
  let mira: { id: string; token: string };
  let boris: { id: string; token: string };
  const miras: Lead[] = [];
  let borisLead: Lead;

  beforeAll(async () => {
    hub = await TestHub.start();
    await raiseFormRateLimit(hub);
    admin = await hub.adminToken();
    mira = await hub.createManager({ name: 'Mira Bulk' });
    boris = await hub.createManager({ name: 'Boris Bulk' });
    await onlyAvailable(hub, [mira.id, boris.id], mira.id);
    for (let i = 0; i < 3; i++) miras.push(await postLead(hub, { name: `Mira client ${i}`, phone: nextPhone().typed }));
    await onlyAvailable(hub, [mira.id, boris.id], boris.id);
    borisLead = await postLead(hub, { name: 'Boris client', phone: nextPhone().typed });
  });
  afterAll(() => hub?.close());

  const bulk = (what: 'deals' | 'contacts', token: string, body: unknown) => hub.request({ method: 'POST', url: `/api/${what}/bulk`, token, body });
  const outcome = (res: { body: { results: Array<{ id: string; status: string; error?: string }> } }, id: string) => res.body.results.find((r) => r.id === id);

  it('a lost stage without a reason is refused for every deal, and nothing moves', async () => {
    const res = await bulk('deals', mira.token, { ids: [miras[0].dealId, miras[1].dealId], action: { type: 'stage', stage: 'lost' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ done: 0, refused: 2 });
    expect(outcome(res, miras[0].dealId)).toMatchObject({ status: 'refused', error: 'invalid' });
    expect(res.body.results[0].message).toContain('reason');
    expect(await hub.query(`SELECT count(*)::int AS n FROM deal WHERE closed_at IS NOT NULL`)).toEqual([{ n: 0 }]);
  });

  it('moves the manager’s own deals, each with its own timeline entry; another manager’s deal is refused as not found; the audit log sees the request', async () => {
    const auditBefore = (await hub.query(`SELECT count(*)::int AS n FROM audit_log`))[0].n;
    const ids = [miras[0].dealId, miras[1].dealId, borisLead.dealId];
    const res = await bulk('deals', mira.token, { ids, action: { type: 'stage', stage: 'lost', lostReason: 'Too expensive' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ done: 2, refused: 1 });
    expect(outcome(res, borisLead.dealId)).toMatchObject({ status: 'refused', error: 'not_found' });
    const rows = await hub.query(`SELECT d.id, d.lost_reason, s.kind FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id = ANY($1) ORDER BY d.id`, [ids]);
    expect(rows.filter((r: { kind: string }) => r.kind === 'lost').map((r: { id: string }) => r.id).sort()).toEqual([miras[0].dealId, miras[1].dealId].sort());
    for (const id of [miras[0].dealId, miras[1].dealId]) {
      expect(await hub.query(`SELECT count(*)::int AS n FROM activity WHERE kind = 'stage_changed' AND deal_id = $1`, [id])).toEqual([{ n: 1 }]);
    }
    expect(await hub.query(`SELECT count(*)::int AS n FROM activity WHERE kind = 'stage_changed' AND deal_id = $1`, [borisLead.dealId])).toEqual([{ n: 0 }]);
    expect((await hub.query(`SELECT count(*)::int AS n FROM audit_log`))[0].n).toBeGreaterThan(auditBefore);

    // Reopening a lost deal needs the same confirmation as one at a time.
    const reopen = await bulk('deals', mira.token, { ids: [miras[0].dealId], action: { type: 'stage', stage: 'new' } });
    expect(outcome(reopen, miras[0].dealId)).toMatchObject({ status: 'refused', error: 'conflict' });
    const confirmed = await bulk('deals', mira.token, { ids: [miras[0].dealId], action: { type: 'stage', stage: 'new', reopen: true } });
    expect(confirmed.body).toMatchObject({ done: 1, refused: 0 });
  });

  it('assigning is for admins: a manager is refused per id; an admin moves contacts with their open deals', async () => {
    const byManager = await bulk('deals', mira.token, { ids: [miras[2].dealId], action: { type: 'assign', managerId: boris.id } });
    expect(byManager.body).toMatchObject({ done: 0, refused: 1, results: [{ status: 'refused', error: 'forbidden' }] });
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [miras[2].dealId])).toEqual([{ owner_id: mira.id }]);

    const byAdmin = await bulk('contacts', admin, { ids: [miras[2].contactId, borisLead.contactId], action: { type: 'assign', managerId: mira.id } });
    expect(byAdmin.body).toMatchObject({ done: 2, refused: 0 });
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = ANY($1)`, [[miras[2].dealId, borisLead.dealId]])).toEqual([{ owner_id: mira.id }, { owner_id: mira.id }]);

    const toNobody = await bulk('deals', admin, { ids: [miras[2].dealId], action: { type: 'assign', managerId: '00000000-0000-4000-8000-000000000000' } });
    expect(toNobody.body).toMatchObject({ done: 0, refused: 1, results: [{ status: 'refused', error: 'invalid' }] });
  });

  it('tags contacts the viewer sees, once each; an unseen one is refused', async () => {
    await onlyAvailable(hub, [mira.id, boris.id], boris.id);
    const other = await postLead(hub, { name: 'Unseen', phone: nextPhone().typed });
    const res = await bulk('contacts', mira.token, { ids: [miras[0].contactId, miras[1].contactId, other.contactId], action: { type: 'tag', tag: ' vip ' } });
    expect(res.body).toMatchObject({ done: 2, refused: 1 });
    expect(outcome(res, other.contactId)).toMatchObject({ status: 'refused', error: 'not_found' });
    const again = await bulk('deals', mira.token, { ids: [miras[0].dealId], action: { type: 'tag', tag: 'vip' } });
    expect(again.body.done).toBe(1);
    expect(await hub.query(`SELECT tags FROM contact WHERE id = $1`, [miras[0].contactId])).toEqual([{ tags: ['vip'] }]);
    expect(await hub.query(`SELECT tags FROM contact WHERE id = $1`, [other.contactId])).toEqual([{ tags: [] }]);
  });

  it('answers 400 naming the field for no ids, too many, a bad id, an unknown action or an empty tag', async () => {
    expectError(await bulk('deals', admin, { ids: [], action: { type: 'tag', tag: 'x' } }), 400, 'invalid');
    expectError(await bulk('deals', admin, { ids: Array.from({ length: 201 }, () => miras[0].dealId), action: { type: 'tag', tag: 'x' } }), 400, 'invalid');
    expectError(await bulk('deals', admin, { ids: ['nope'], action: { type: 'tag', tag: 'x' } }), 400, 'invalid');
    expectError(await bulk('deals', admin, { ids: [miras[0].dealId], action: { type: 'delete' } }), 400, 'invalid');
    expectError(await bulk('contacts', admin, { ids: [miras[0].contactId], action: { type: 'stage', stage: 'won' } }), 400, 'invalid');
    const empty = await bulk('contacts', admin, { ids: [miras[0].contactId], action: { type: 'tag', tag: '   ' } });
    expectError(empty, 400, 'invalid');
  });
});
