import { TestHub } from '../support/test-hub';
import { expectError, nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from './http-helpers';

/** Notes on a contact and snoozing a task: what the admin UI's composer and task list call. */
describe('notes and snooze (HTTP)', () => {
  let hub: TestHub;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let annaLead: Lead;
  let borisLead: Lead;

  beforeAll(async () => {
    hub = await TestHub.start();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Day' });
    boris = await hub.createManager({ name: 'Boris Day' });
    await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    annaLead = await postLead(hub, { name: 'Note Client', phone: nextPhone().typed });
    await onlyAvailable(hub, [anna.id, boris.id], boris.id);
    borisLead = await postLead(hub, { name: 'Other Client', phone: nextPhone().typed });
  });
  afterAll(async () => {
    await hub?.close();
  });

  describe('POST /api/contacts/:id/notes', () => {
    it('writes a note by the manager on the contact’s open deal, newest on the timeline', async () => {
      hub.clock.set(new Date(Date.now() + 60_000));
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${annaLead.contactId}/notes`, token: anna.token, body: { text: '  Prefers <b>evening</b> calls  ' } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'note', actorId: anna.id, dealId: annaLead.dealId, payload: { text: 'Prefers <b>evening</b> calls' } });
      const timeline = await hub.request({ url: `/api/contacts/${annaLead.contactId}/timeline`, token: anna.token });
      expect(timeline.body.items[0]).toMatchObject({ id: res.body.id, kind: 'note' });
      const [contact] = await hub.query(`SELECT last_activity_at FROM contact WHERE id = $1`, [annaLead.contactId]);
      expect(new Date(contact.last_activity_at).toISOString()).toBe(res.body.occurredAt);
      hub.clock.useRealTime();
    });

    it('answers 404 for another manager’s contact and 400 for an empty text, writing nothing', async () => {
      expectError(await hub.request({ method: 'POST', url: `/api/contacts/${borisLead.contactId}/notes`, token: anna.token, body: { text: 'sneaky' } }), 404, 'not_found');
      expectError(await hub.request({ method: 'POST', url: `/api/contacts/${annaLead.contactId}/notes`, token: anna.token, body: { text: '   ' } }), 400, 'invalid', ['text']);
      expect(await hub.query(`SELECT 1 FROM activity WHERE kind = 'note' AND payload->>'text' IN ('sneaky', '')`)).toEqual([]);
    });
  });

  describe('POST /api/tasks/:id/snooze', () => {
    it('moves the due time and restarts the SLA clocks', async () => {
      await hub.query(`UPDATE task SET reminded_at = now() WHERE id = $1`, [annaLead.taskId]);
      const until = new Date(Date.now() + 3 * 3_600_000);
      const res = await hub.request({ method: 'POST', url: `/api/tasks/${annaLead.taskId}/snooze`, token: anna.token, body: { until: until.toISOString() } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: annaLead.taskId, dueAt: until.toISOString() });
      const [task] = await hub.query(`SELECT due_at, remind_at, escalate_at, reminded_at, status FROM task WHERE id = $1`, [annaLead.taskId]);
      expect(new Date(task.due_at).toISOString()).toBe(until.toISOString());
      expect(task.reminded_at).toBeNull();
      // Tests run 24/7 business hours: reminder 5 min before, escalation 10 min after (defaults).
      expect(new Date(task.remind_at).getTime()).toBe(until.getTime() - 5 * 60_000);
      expect(new Date(task.escalate_at).getTime()).toBe(until.getTime() + 10 * 60_000);
      expect(task.status).toBe('open');
    });

    it('refuses a past time (400), another manager’s task (404) and a done task (409)', async () => {
      expectError(
        await hub.request({ method: 'POST', url: `/api/tasks/${annaLead.taskId}/snooze`, token: anna.token, body: { until: new Date(Date.now() - 60_000).toISOString() } }),
        400,
        'invalid',
        ['until'],
      );
      expectError(await hub.request({ method: 'POST', url: `/api/tasks/${annaLead.taskId}/snooze`, token: anna.token, body: { until: 'tomorrow' } }), 400, 'invalid', ['until']);
      const later = new Date(Date.now() + 3_600_000).toISOString();
      expectError(await hub.request({ method: 'POST', url: `/api/tasks/${borisLead.taskId}/snooze`, token: anna.token, body: { until: later } }), 404, 'not_found');
      expect((await hub.request({ method: 'POST', url: `/api/tasks/${borisLead.taskId}/complete`, token: boris.token })).status).toBe(200);
      expectError(await hub.request({ method: 'POST', url: `/api/tasks/${borisLead.taskId}/snooze`, token: boris.token, body: { until: later } }), 409, 'conflict');
    });
  });

  describe('POST /api/contacts/:id/tasks', () => {
    it('adds a follow-up task for the manager on the open deal, on the timeline, reminded but never escalated', async () => {
      const dueAt = new Date(Date.now() + 24 * 3_600_000);
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${annaLead.contactId}/tasks`, token: anna.token, body: { title: 'Send the price list', dueAt: dueAt.toISOString() } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'follow_up', title: 'Send the price list', dueAt: dueAt.toISOString(), assigneeId: anna.id, dealId: annaLead.dealId, status: 'open', overdue: false });
      const [row] = await hub.query(`SELECT remind_at, escalate_at FROM task WHERE id = $1`, [res.body.id]);
      expect(new Date(row.remind_at).getTime()).toBe(dueAt.getTime() - 5 * 60_000);
      expect(row.escalate_at).toBeNull();
      const timeline = await hub.request({ url: `/api/contacts/${annaLead.contactId}/timeline`, token: anna.token });
      expect(timeline.body.items.find((e: any) => e.payload.taskId === res.body.id)).toMatchObject({
        kind: 'task_created',
        actorId: anna.id,
        dealId: annaLead.dealId,
        payload: { title: 'Send the price list', dueAt: dueAt.toISOString() },
      });
      const mine = await hub.request({ url: '/api/tasks', token: anna.token });
      // One task view (core's toTaskView), whether the task was just made or listed.
      expect(mine.body.find((t: any) => t.id === res.body.id)).toEqual(res.body);
      expect(res.body).toMatchObject({ missedCalls: 0, callAttempts: 0, result: null, completedAt: null, contactName: 'Note Client' });
    });

    it('a snoozed follow-up stays without an escalation (the one snooze rule)', async () => {
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${annaLead.contactId}/tasks`, token: anna.token, body: { title: 'Call about delivery', dueAt: new Date(Date.now() + 3_600_000).toISOString() } });
      expect(res.status).toBe(201);
      const until = new Date(Date.now() + 5 * 3_600_000);
      expect((await hub.request({ method: 'POST', url: `/api/tasks/${res.body.id}/snooze`, token: anna.token, body: { until: until.toISOString() } })).status).toBe(200);
      const [row] = await hub.query(`SELECT due_at, remind_at, escalate_at FROM task WHERE id = $1`, [res.body.id]);
      expect(new Date(row.due_at).toISOString()).toBe(until.toISOString());
      expect(new Date(row.remind_at).getTime()).toBe(until.getTime() - 5 * 60_000);
      expect(row.escalate_at).toBeNull();
    });

    it('refuses another manager’s contact (404), a past due time and a missing title (400)', async () => {
      const later = new Date(Date.now() + 3_600_000).toISOString();
      expectError(await hub.request({ method: 'POST', url: `/api/contacts/${borisLead.contactId}/tasks`, token: anna.token, body: { title: 'x', dueAt: later } }), 404, 'not_found');
      expectError(
        await hub.request({ method: 'POST', url: `/api/contacts/${annaLead.contactId}/tasks`, token: anna.token, body: { title: 'x', dueAt: new Date(Date.now() - 1000).toISOString() } }),
        400,
        'invalid',
        ['dueAt'],
      );
      expectError(await hub.request({ method: 'POST', url: `/api/contacts/${annaLead.contactId}/tasks`, token: anna.token, body: { dueAt: later } }), 400, 'invalid', ['title']);
    });
  });

  describe('POST /api/contacts/:id/owner', () => {
    it('lets an admin hand a contact with its open deal and tasks to another manager, saying why', async () => {
      const lead = await postLead(hub, { name: 'Handed Over', phone: nextPhone().typed });
      const admin = await hub.adminToken();
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${lead.contactId}/owner`, token: admin, body: { managerId: anna.id } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: lead.contactId, ownerId: anna.id });
      expect(await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ owner_id: anna.id }]);
      expect(await hub.query(`SELECT assignee_id FROM task WHERE id = $1`, [lead.taskId])).toEqual([{ assignee_id: anna.id }]);
      const timeline = await hub.request({ url: `/api/contacts/${lead.contactId}/timeline`, token: anna.token });
      expect(timeline.status).toBe(200);
      expect(timeline.body.items[0]).toMatchObject({ kind: 'assigned', payload: { managerId: anna.id, rule: 'manual', reason: 'reassigned by Admin' } });
      // Boris no longer sees it.
      expectError(await hub.request({ url: `/api/contacts/${lead.contactId}`, token: boris.token }), 404, 'not_found');
    });

    it('is for admins only, and only to an active manager', async () => {
      expectError(await hub.request({ method: 'POST', url: `/api/contacts/${annaLead.contactId}/owner`, token: anna.token, body: { managerId: boris.id } }), 403, 'forbidden');
      const admin = await hub.adminToken();
      const gone = await hub.createManager({ name: 'Gone Manager' });
      await hub.request({ method: 'DELETE', url: `/api/managers/${gone.id}`, token: admin });
      expectError(await hub.request({ method: 'POST', url: `/api/contacts/${annaLead.contactId}/owner`, token: admin, body: { managerId: gone.id } }), 400, 'invalid', ['managerId']);
      expect(await hub.query(`SELECT owner_id FROM contact WHERE id = $1`, [annaLead.contactId])).toEqual([{ owner_id: anna.id }]);
    });
  });
});
