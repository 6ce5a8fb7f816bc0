import { IntakeService, ManagersService, isIngestFailure, type InboundEvent, type IngestResult } from '@leadline/core';
import { TestHub } from '../support/test-hub';

describe('assignment', () => {
  let hub: TestHub;
  let intake: IntakeService;
  let managers: ManagersService;
  let seq = 0;

  const lead = async (phone?: string): Promise<IngestResult> => {
    const n = ++seq;
    const e: InboundEvent = { channel: 'web_form', externalId: `assign-${n}`, contact: { phones: [phone ?? `+7916${String(1_000_000 + n).slice(-7)}`] } };
    const r = await intake.ingest(e, {});
    if (isIngestFailure(r)) throw new Error(r.error);
    return r;
  };
  /** Replaces the team: everyone before is deactivated. */
  const team = async (...specs: Array<{ name: string; available?: boolean; capacity?: number | null; weight?: number }>) => {
    await hub.query(`UPDATE manager SET active = false WHERE role = 'manager'`);
    const ids: Record<string, string> = {};
    for (const s of specs) {
      const m = await managers.create({ role: 'manager', email: `${s.name.toLowerCase()}.${seq++}@test.local`, ...s });
      ids[s.name] = m.id;
    }
    return ids;
  };
  const reasonOf = async (dealId: string) =>
    (await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind IN ('assigned', 'unassigned') ORDER BY created_at DESC LIMIT 1`, [dealId]))[0]?.payload;

  beforeAll(async () => {
    hub = await TestHub.start();
    intake = hub.app.get(IntakeService);
    managers = hub.app.get(ManagersService);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('explains round robin: who was eligible and why the others were not', async () => {
    const ids = await team({ name: 'A' }, { name: 'B', available: false }, { name: 'C', capacity: 0 }, { name: 'D' }, { name: 'E' });
    const r = await lead();
    expect([ids.A, ids.D, ids.E]).toContain(r.ownerId);
    expect(await reasonOf(r.dealId)).toMatchObject({ rule: 'round_robin', reason: 'round robin, 3 eligible of 5: B paused, C at capacity' });
    // The facts behind the sentence, for the UI to write it in the reader's language.
    expect((await reasonOf(r.dealId)).params).toEqual({ eligible: 3, total: 5, excluded: [{ name: 'B', why: 'paused' }, { name: 'C', why: 'at_capacity' }] });
  });

  it('rotates in turn and respects capacity as deals stay open', async () => {
    const ids = await team({ name: 'P', capacity: 2 }, { name: 'Q', capacity: 2 });
    const owners = [];
    for (let i = 0; i < 4; i++) owners.push((await lead()).ownerId);
    expect(owners.filter((o) => o === ids.P)).toHaveLength(2);
    expect(owners.filter((o) => o === ids.Q)).toHaveLength(2);
    // Both full now: the next lead waits in the queue and admins are told.
    const queued = await lead();
    expect(queued.ownerId).toBeNull();
    expect(await reasonOf(queued.dealId)).toMatchObject({ rule: 'queue', reason: expect.stringContaining('P at capacity, Q at capacity') });
    const [notice] = await hub.query(`SELECT payload FROM outbox WHERE kind = 'notify.admins' AND payload->>'dealId' = $1`, [queued.dealId]);
    expect(notice.payload).toMatchObject({ event: 'deal_unassigned' });
    const [task] = await hub.query(`SELECT assignee_id FROM task WHERE id = $1`, [queued.taskId]);
    expect(task.assignee_id).toBeNull();

    // Raising capacity drains the queue: the waiting deal and its task get an owner.
    await managers.update(ids.P, { capacity: 3 });
    const [deal] = await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [queued.dealId]);
    expect(deal.owner_id).toBe(ids.P);
    expect((await hub.query(`SELECT assignee_id FROM task WHERE id = $1`, [queued.taskId]))[0].assignee_id).toBe(ids.P);
    expect(await reasonOf(queued.dealId)).toMatchObject({ rule: 'round_robin', reason: expect.stringMatching(/^from the unassigned queue, round robin/), params: { fromQueue: true } });
  });

  it('gives leads in proportion to weight', async () => {
    const ids = await team({ name: 'Heavy', weight: 3 }, { name: 'Light', weight: 1 });
    const owners: Array<string | null> = [];
    for (let i = 0; i < 8; i++) owners.push((await lead()).ownerId);
    expect(owners.filter((o) => o === ids.Heavy)).toHaveLength(6);
    expect(owners.filter((o) => o === ids.Light)).toHaveLength(2);
  });

  it('sends a known contact back to their active owner; a paused owner keeps the contact but the new lead goes to someone who can call now; an inactive owner loses them', async () => {
    const ids = await team({ name: 'Sticky' }, { name: 'Other' });
    const phone = '+79169998877';
    let first = await lead(phone);
    if (first.ownerId !== ids.Sticky) {
      // Make sure the contact belongs to Sticky for the test.
      await hub.query(`UPDATE contact SET owner_id = $1 WHERE id = $2`, [ids.Sticky, first.contactId]);
      first = { ...first, ownerId: ids.Sticky };
    }
    await hub.query(`UPDATE deal SET stage = 'lost', closed_at = now() WHERE id = $1`, [first.dealId]);
    const back = await lead(phone);
    expect(back.dealId).not.toBe(first.dealId);
    expect(back.ownerId).toBe(ids.Sticky);
    expect(await reasonOf(back.dealId)).toMatchObject({ rule: 'sticky', reason: 'sticky owner' });

    await hub.query(`UPDATE deal SET stage = 'lost', closed_at = now() WHERE id = $1`, [back.dealId]);
    await managers.update(ids.Sticky, { available: false });
    const again = await lead(phone);
    expect(again.ownerId).toBe(ids.Other);
    expect(await reasonOf(again.dealId)).toMatchObject({ rule: 'round_robin', reason: 'sticky owner Sticky paused; round robin, 1 eligible of 2: Sticky paused' });
    expect((await reasonOf(again.dealId)).params).toMatchObject({ eligible: 1, total: 2, passedOwner: { name: 'Sticky', why: 'paused' } });
    // The contact stays Sticky's, and Sticky is told who took the lead.
    expect((await hub.query(`SELECT owner_id FROM contact WHERE id = $1`, [first.contactId]))[0].owner_id).toBe(ids.Sticky);
    const told = await hub.query(`SELECT payload FROM outbox WHERE payload->>'event' = 'contact_routed' AND payload->>'dealId' = $1`, [again.dealId]);
    expect(told.map((r) => r.payload)).toEqual([expect.objectContaining({ managerId: ids.Sticky, why: 'paused', toManagerId: ids.Other, toManagerName: 'Other' })]);

    await hub.query(`UPDATE deal SET stage = 'lost', closed_at = now() WHERE id = $1`, [again.dealId]);
    await managers.update(ids.Sticky, { active: false });
    const third = await lead(phone);
    expect(third.ownerId).toBe(ids.Other);
    expect(await reasonOf(third.dealId)).toMatchObject({ rule: 'round_robin' });
    const [contact] = await hub.query(`SELECT owner_id FROM contact WHERE id = $1`, [first.contactId]);
    expect(contact.owner_id).toBe(ids.Other);
  });

  it('leaves the deal unassigned with no active manager at all', async () => {
    await team();
    const r = await lead();
    expect(r.ownerId).toBeNull();
    expect(await reasonOf(r.dealId)).toMatchObject({ rule: 'queue', reason: 'no active managers: waiting in the unassigned queue', params: { eligible: 0, total: 0 } });
  });

  it('fills capacity under concurrency without deadlocks or overshoot: the rest waits in the queue', async () => {
    // Close what earlier tests left open, so a new manager does not start by draining the old queue.
    await hub.query(`UPDATE deal SET stage = 'lost', lost_reason = 'test reset', closed_at = now() WHERE closed_at IS NULL`);
    const specs = Array.from({ length: 10 }, (_, i) => ({ name: `Cap${i}`, capacity: 2 }));
    const ids = Object.values(await team(...specs));
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => intake.ingest({ channel: 'web_form', externalId: `cap-${i}`, contact: { phones: [`+7926${String(i).padStart(7, '0')}`] } }, {})),
    );
    expect(results.filter(isIngestFailure)).toEqual([]);
    const rows = await hub.query(`SELECT owner_id, count(*) AS n FROM deal WHERE owner_id = ANY($1::uuid[]) AND closed_at IS NULL GROUP BY owner_id`, [ids]);
    expect(rows.map((r) => Number(r.n))).toEqual(Array(10).fill(2));
    const queued = results.filter((r) => !isIngestFailure(r) && r.ownerId === null);
    expect(queued).toHaveLength(40);
  });

  it('is fair under concurrency: 1,000 simultaneous leads over 4 equal managers give each 250 (±1)', async () => {
    const ids = await team({ name: 'W' }, { name: 'X' }, { name: 'Y' }, { name: 'Z' });
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        intake.ingest({ channel: 'web_form', externalId: `fair-${i}`, contact: { phones: [`+7925${String(i).padStart(7, '0')}`] } }, {}),
      ),
    );
    const failures = results.filter(isIngestFailure);
    expect(failures).toEqual([]);
    const rows = await hub.query(`SELECT owner_id, count(*) AS n FROM deal d JOIN inbound_receipt r ON (r.result->>'dealId')::uuid = d.id
                                   WHERE r.external_id LIKE 'fair-%' GROUP BY owner_id`);
    const perManager = Object.fromEntries(rows.map((r) => [r.owner_id, Number(r.n)]));
    expect(Object.keys(perManager).sort()).toEqual(Object.values(ids).sort());
    for (const id of Object.values(ids)) {
      expect(perManager[id]).toBeGreaterThanOrEqual(249);
      expect(perManager[id]).toBeLessThanOrEqual(251);
    }
  });
});
