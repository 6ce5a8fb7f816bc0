import { OutboxWorker, SlaService } from '@leadline/core';
import { expectError, nextPhone, postLead, raiseFormRateLimit, type Lead } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

/**
 * Manager availability: a weekly shift in the manager's own timezone plus the pause switch decide who
 * gets new leads, who an escalation goes to, and when the unassigned queue drains.
 *
 * Anna: Mon-Fri 09:00-18:00 Europe/Moscow (UTC+3)  = 06:00-15:00 UTC
 * Bob:  Mon-Fri 09:00-18:00 America/New_York (UTC-5 in winter) = 14:00-23:00 UTC
 * 2026-11-23 and 2026-11-30 are Mondays.
 */
describe('manager shifts and the pause switch', () => {
  let hub: TestHub;
  let sla: SlaService;
  let admin: string;
  let anna: { id: string };
  let bob: { id: string };
  let leadSeq = 0;

  const utc = (iso: string) => new Date(`${iso}Z`);
  const patch = (id: string, body: unknown) => hub.request({ method: 'PATCH', url: `/api/managers/${id}`, token: admin, body });
  const leadAt = async (when: string, phone = nextPhone().typed): Promise<Lead & { ownerId: string | null }> => {
    hub.clock.set(utc(when));
    // A distinct message each time: identical submissions within the dedupe window count as one.
    const lead = await postLead(hub, { name: `Lead ${phone}`, phone, message: `at ${when} #${++leadSeq}` });
    return { ...lead, ownerId: (await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId]))[0].owner_id };
  };
  const tickAt = (when: string) => {
    hub.clock.set(utc(when));
    return sla.tick();
  };
  const lastAssignment = async (dealId: string) =>
    (await hub.query(`SELECT kind, payload FROM activity WHERE deal_id = $1 AND kind IN ('assigned', 'unassigned') ORDER BY created_at DESC LIMIT 1`, [dealId]))[0];
  const ownerOf = async (dealId: string) => (await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [dealId]))[0].owner_id;
  /** Closes every open deal, so one test's queue never drains into the next. */
  const closeAll = async () => {
    await hub.query(`UPDATE task SET status = 'cancelled' WHERE status = 'open'`);
    await hub.query(`UPDATE deal SET stage = 'lost', lost_reason = 'test reset', closed_at = now() WHERE closed_at IS NULL`);
  };

  beforeAll(async () => {
    hub = await TestHub.start({ CALLBACK_SLA_MINUTES: '15', TASK_REMINDER_MINUTES: '5', ESCALATION_MINUTES: '10', ESCALATION_POLICY: 'reassign' });
    sla = hub.app.get(SlaService);
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna', timezone: 'Europe/Moscow', shift: 'Mon-Fri 09:00-18:00' });
    bob = await hub.createManager({ name: 'Bob' });
    expect((await patch(bob.id, { timezone: 'America/New_York', shift: 'Mon-Fri 09:00-18:00' })).status).toBe(200);
  });
  beforeEach(async () => {
    await closeAll();
  });
  afterAll(async () => {
    await hub?.close();
  });

  describe('the managers API', () => {
    it('sets a shift in the manager\'s timezone and shows whether they are on shift at the clock\'s now', async () => {
      const res = await patch(bob.id, { timezone: 'America/New_York', shift: 'Mon-Fri 09:00-18:00' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ shift: 'Mon-Fri 09:00-18:00', timezone: 'America/New_York', available: true });
      expect((await hub.query(`SELECT shift FROM manager WHERE id = $1`, [bob.id]))[0].shift).toBe('Mon-Fri 09:00-18:00');

      hub.clock.set(utc('2026-11-23T07:00:00')); // 10:00 Moscow, 02:00 New York
      const morning = await hub.request({ url: '/api/managers', token: admin });
      const byId = (id: string) => morning.body.find((m: any) => m.id === id);
      expect(byId(anna.id)).toMatchObject({ onShift: true, receivingLeads: true });
      expect(byId(bob.id)).toMatchObject({ onShift: false, receivingLeads: false });

      hub.clock.set(utc('2026-11-23T16:00:00')); // 19:00 Moscow, 11:00 New York
      expect((await hub.request({ url: `/api/managers/${anna.id}`, token: admin })).body).toMatchObject({ onShift: false, receivingLeads: false });
      expect((await hub.request({ url: `/api/managers/${bob.id}`, token: admin })).body).toMatchObject({ onShift: true, receivingLeads: true });
    });

    it('takes per-day intervals and removes a schedule with null or ""', async () => {
      const carl = await hub.createManager({ name: 'Carl Split', shift: 'Mon-Thu 09:00-13:00,14:00-18:00; Fri 10:00-16:00', timezone: 'UTC' });
      hub.clock.set(utc('2026-11-23T13:30:00')); // Monday lunch break
      expect((await hub.request({ url: `/api/managers/${carl.id}`, token: admin })).body).toMatchObject({ onShift: false });
      hub.clock.set(utc('2026-11-27T15:30:00')); // Friday
      expect((await hub.request({ url: `/api/managers/${carl.id}`, token: admin })).body).toMatchObject({ onShift: true });
      expect((await patch(carl.id, { shift: '' })).body).toMatchObject({ shift: null, onShift: true });
      expect((await patch(carl.id, { shift: 'Sat 10:00-11:00' })).body).toMatchObject({ shift: 'Sat 10:00-11:00', onShift: false });
      expect((await patch(carl.id, { shift: null })).body).toMatchObject({ shift: null, onShift: true });
      await patch(carl.id, { active: false });
    });

    it('rejects a bad schedule with 400 naming the field, and changes nothing', async () => {
      for (const shift of ['Mon-Fry 09:00-18:00', 'Mon 18:00-09:00', 'weekdays', 'Mon 9-18']) {
        const res = await patch(anna.id, { shift });
        expectError(res, 400, 'invalid', ['shift']);
        expect(res.body.fields.shift).toMatch(/Mon-Fri 09:00-18:00/);
      }
      expectError(await patch(anna.id, { shift: 42 }), 400, 'invalid', ['shift']);
      expectError(await patch(anna.id, { shift: 'Mon-Fri 09:00-18:00', timezone: 'Mars/Olympus' }), 400, 'invalid', ['timezone']);
      const created = await hub.request({ method: 'POST', url: '/api/managers', token: admin, body: { name: 'Never', email: 'never@test.local', shift: 'Mon 25:00-26:00' } });
      expectError(created, 400, 'invalid', ['shift']);
      expect((await hub.query(`SELECT shift, timezone FROM manager WHERE id = $1`, [anna.id]))[0]).toEqual({ shift: 'Mon-Fri 09:00-18:00', timezone: 'Europe/Moscow' });
    });
  });

  describe('who gets a new lead', () => {
    it('round robin only among managers on shift, saying who was off shift', async () => {
      const morning = await leadAt('2026-11-23T07:00:00');
      expect(morning.ownerId).toBe(anna.id);
      expect((await lastAssignment(morning.dealId)).payload).toMatchObject({ rule: 'round_robin', reason: 'round robin, 1 eligible of 2: Bob off shift' });

      const evening = await leadAt('2026-11-23T16:00:00');
      expect(evening.ownerId).toBe(bob.id);
      expect((await lastAssignment(evening.dealId)).payload).toMatchObject({ reason: 'round robin, 1 eligible of 2: Anna off shift' });

      // Both on shift (17:30 Moscow, 09:30 New York): one each.
      const both = [await leadAt('2026-11-23T14:30:00'), await leadAt('2026-11-23T14:30:00')];
      expect(both.map((l) => l.ownerId).sort()).toEqual([anna.id, bob.id].sort());
    });

    it('paused or off shift: nobody gets it, the lead waits in the queue and the admins are told', async () => {
      expect((await patch(anna.id, { available: false })).status).toBe(200);
      try {
        const lead = await leadAt('2026-11-23T07:00:00');
        expect(lead.ownerId).toBeNull();
        expect(await lastAssignment(lead.dealId)).toMatchObject({
          kind: 'unassigned',
          payload: { rule: 'queue', reason: 'no eligible manager: Anna paused, Bob off shift; waiting in the unassigned queue' },
        });
        const [notice] = await hub.query(`SELECT kind, payload FROM outbox WHERE payload->>'dealId' = $1 AND payload->>'event' = 'deal_unassigned'`, [lead.dealId]);
        expect(notice.kind).toBe('notify.admins');
      } finally {
        hub.clock.set(utc('2026-11-23T03:00:00')); // nobody on shift: resuming drains nothing
        await patch(anna.id, { available: true });
      }
    });

    it('capacity still counts for a manager on shift', async () => {
      await patch(bob.id, { capacity: 0 });
      try {
        const lead = await leadAt('2026-11-23T14:30:00');
        expect(lead.ownerId).toBe(anna.id);
        expect((await lastAssignment(lead.dealId)).payload).toMatchObject({ reason: 'round robin, 1 eligible of 2: Bob at capacity' });
      } finally {
        hub.clock.set(utc('2026-11-23T03:00:00'));
        await patch(bob.id, { capacity: null });
      }
    });

    it('a returning contact whose owner is off shift: the new deal goes to someone on shift, the contact stays the owner\'s and the owner is told', async () => {
      const phone = nextPhone().typed;
      const first = await leadAt('2026-11-23T07:00:00', phone);
      expect(first.ownerId).toBe(anna.id);
      await closeAll();

      const back = await leadAt('2026-11-23T16:00:00', phone);
      expect(back.contactId).toBe(first.contactId);
      expect(back.ownerId).toBe(bob.id);
      expect((await lastAssignment(back.dealId)).payload).toMatchObject({
        rule: 'round_robin',
        reason: 'sticky owner Anna off shift; round robin, 1 eligible of 2: Anna off shift',
      });
      expect((await hub.query(`SELECT assignee_id FROM task WHERE id = $1`, [back.taskId]))[0].assignee_id).toBe(bob.id);
      expect((await hub.query(`SELECT owner_id FROM contact WHERE id = $1`, [first.contactId]))[0].owner_id).toBe(anna.id);

      // Anna's in-app notice says her contact came back and who took it.
      const worker = hub.app.get(OutboxWorker);
      for (let i = 0; i < 20 && (await worker.runOnce(50)).claimed > 0; i++);
      const [told] = await hub.query(`SELECT manager_id, payload FROM notification WHERE event = 'contact_routed' AND payload->>'dealId' = $1`, [back.dealId]);
      expect(told).toMatchObject({ manager_id: anna.id, payload: { why: 'off shift', toManagerId: bob.id, toManagerName: 'Bob', contactId: first.contactId } });

      // Back on shift the next day: the contact's next new deal is Anna's again.
      await closeAll();
      const nextDay = await leadAt('2026-11-24T07:00:00', phone);
      expect(nextDay.ownerId).toBe(anna.id);
      expect((await lastAssignment(nextDay.dealId)).payload).toMatchObject({ rule: 'sticky' });
    });
  });

  describe('the unassigned queue', () => {
    it('drains to a manager when their shift begins (the SLA tick), task and notice included', async () => {
      const night = await leadAt('2026-11-24T04:00:00'); // 07:00 Moscow, 23:00 New York
      expect(night.ownerId).toBeNull();
      expect((await tickAt('2026-11-24T05:59:00')).fromQueue).toBe(0);
      expect(await ownerOf(night.dealId)).toBeNull();

      expect((await tickAt('2026-11-24T06:00:00')).fromQueue).toBe(1);
      expect(await ownerOf(night.dealId)).toBe(anna.id);
      expect((await hub.query(`SELECT assignee_id FROM task WHERE id = $1`, [night.taskId]))[0].assignee_id).toBe(anna.id);
      expect((await lastAssignment(night.dealId)).payload).toMatchObject({ reason: 'from the unassigned queue, round robin, 1 eligible of 2: Bob off shift' });
      const [notice] = await hub.query(`SELECT payload FROM outbox WHERE payload->>'dealId' = $1 AND payload->>'event' = 'lead_assigned'`, [night.dealId]);
      expect(notice.payload).toMatchObject({ managerId: anna.id, taskId: night.taskId });
      expect((await tickAt('2026-11-24T06:01:00')).fromQueue).toBe(0);
    });

    it('a queued deal goes back to its contact\'s owner when they can take it, the rest by round robin', async () => {
      const leads = [];
      for (let i = 0; i < 5; i++) leads.push(await leadAt('2026-11-24T04:00:00'));
      expect(leads.every((l) => l.ownerId === null)).toBe(true);
      const owners = [anna.id, anna.id, bob.id, bob.id];
      for (let i = 0; i < owners.length; i++) await hub.query(`UPDATE contact SET owner_id = $2 WHERE id = $1`, [leads[i].contactId, owners[i]]);

      // 14:30 UTC: both on shift.
      expect((await tickAt('2026-11-24T14:30:00')).fromQueue).toBe(5);
      for (let i = 0; i < owners.length; i++) {
        expect(await ownerOf(leads[i].dealId)).toBe(owners[i]);
        expect((await lastAssignment(leads[i].dealId)).payload).toMatchObject({ rule: 'sticky', reason: 'from the unassigned queue, sticky owner' });
      }
      expect([anna.id, bob.id]).toContain(await ownerOf(leads[4].dealId));
      expect((await lastAssignment(leads[4].dealId)).payload).toMatchObject({ rule: 'round_robin' });
    });
  });

  describe('escalation', () => {
    it('goes to a manager on shift, and the task starts a fresh SLA clock for them: reminder and overdue come again', async () => {
      const carl = await hub.createManager({ name: 'Carl', timezone: 'Europe/Moscow', shift: 'Mon-Fri 09:00-21:00' });
      try {
        // 13:30 UTC Monday: Anna and Carl on shift, Bob (New York) not yet. Carl paused for a moment so the lead is Anna's.
        await hub.query(`UPDATE manager SET available = false WHERE id = $1`, [carl.id]);
        const lead = await leadAt('2026-11-30T13:30:00');
        await hub.query(`UPDATE manager SET available = true WHERE id = $1`, [carl.id]);
        expect(lead.ownerId).toBe(anna.id);
        const task = async () => (await hub.query(`SELECT * FROM task WHERE id = $1`, [lead.taskId]))[0];
        const noticesTo = async (managerId: string, event: string) =>
          hub.query(`SELECT payload FROM outbox WHERE kind = 'notify.manager' AND payload->>'taskId' = $1 AND payload->>'managerId' = $2 AND payload->>'event' = $3`, [
            lead.taskId,
            managerId,
            event,
          ]);

        await tickAt('2026-11-30T13:40:00');
        await tickAt('2026-11-30T13:45:00');
        expect(await noticesTo(anna.id, 'task_reminder')).toHaveLength(1);
        expect(await noticesTo(anna.id, 'task_overdue')).toHaveLength(1);

        // 13:55: escalation. Bob is off shift until 14:00 UTC, so Carl is the only one who can take it.
        expect((await tickAt('2026-11-30T13:55:00')).escalated).toBe(1);
        expect(await ownerOf(lead.dealId)).toBe(carl.id);
        expect((await lastAssignment(lead.dealId)).payload).toMatchObject({
          managerId: carl.id,
          reason: 'escalated: Anna did not call back within 10 min; round robin, 1 eligible of 3: Anna escalated from, Bob off shift',
        });
        const t = await task();
        expect(t.assignee_id).toBe(carl.id);
        expect(new Date(t.due_at)).toEqual(utc('2026-11-30T14:10:00'));
        expect(new Date(t.remind_at)).toEqual(utc('2026-11-30T14:05:00'));
        expect(new Date(t.escalate_at)).toEqual(utc('2026-11-30T14:20:00'));
        expect(t.reminded_at).toBeNull();
        expect(t.overdue_at).toBeNull();
        expect(new Date(t.escalated_at)).toEqual(utc('2026-11-30T13:55:00'));
        const [escalated] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'task_escalated'`, [lead.dealId]);
        expect(escalated.payload).toMatchObject({ outcome: 'reassigned', toManagerId: carl.id, newDueAt: '2026-11-30T14:10:00.000Z' });

        // Carl's own cycle: reminder at 14:05, overdue at 14:10, each once.
        await tickAt('2026-11-30T14:04:59');
        expect(await noticesTo(carl.id, 'task_reminder')).toHaveLength(0);
        await tickAt('2026-11-30T14:05:00');
        expect(await noticesTo(carl.id, 'task_reminder')).toEqual([{ payload: expect.objectContaining({ dueAt: '2026-11-30T14:10:00.000Z', minutesLeft: 5 }) }]);
        await tickAt('2026-11-30T14:10:00');
        await tickAt('2026-11-30T14:11:00');
        expect(await noticesTo(carl.id, 'task_overdue')).toHaveLength(1);
        const overdue = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'task_overdue' ORDER BY created_at`, [lead.dealId]);
        expect(overdue.map((a: any) => a.payload.assigneeId)).toEqual([anna.id, carl.id]);

        // Reassigned automatically once: later, the overdue notice (to Carl and the admins) is the signal.
        await tickAt('2026-11-30T14:30:00');
        expect(await ownerOf(lead.dealId)).toBe(carl.id);
        expect(await hub.query(`SELECT 1 FROM activity WHERE deal_id = $1 AND kind = 'task_escalated'`, [lead.dealId])).toHaveLength(1);
      } finally {
        await hub.query(`UPDATE manager SET active = false WHERE id = $1`, [carl.id]);
      }
    });

    it('with everyone else off shift the deal stays and the admins are told', async () => {
      // Tuesday 06:00 UTC: Anna's shift begins, so the lead is hers; it escalates at 06:25 when Bob (New York) is still off.
      const lead = await leadAt('2026-12-01T06:00:00');
      expect(lead.ownerId).toBe(anna.id);
      await tickAt('2026-12-01T06:25:00');
      expect(await ownerOf(lead.dealId)).toBe(anna.id);
      const [sent] = await hub.query(`SELECT kind, payload FROM outbox WHERE payload->>'taskId' = $1 AND payload->>'event' = 'task_escalated'`, [lead.taskId]);
      expect(sent).toMatchObject({ kind: 'notify.admins', payload: { reason: expect.stringContaining('nobody else eligible') } });
      expect(sent.payload.reason).toContain('Bob off shift');
    });
  });
});
