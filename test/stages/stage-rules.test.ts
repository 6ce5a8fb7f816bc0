import { SlaService } from '@leadline/core';
import { expectError, MISSING_ID, nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

/**
 * Stage rules with business hours Mon-Fri 09:00-19:00 Moscow (UTC+3): tasks due in business time,
 * driven by the SLA engine like callback tasks, cancelled when the deal leaves their stage.
 */
describe('stage rules (HTTP)', () => {
  let hub: TestHub;
  let sla: SlaService;
  let admin: string;
  let adminId: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let stages: Record<string, any>;
  let proposalRule: any;
  const msk = (local: string) => new Date(`${local}+03:00`);

  const req = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, token = admin) => hub.request({ method, url, body, token });
  const leadAt = async (when: Date, name: string): Promise<Lead> => {
    hub.clock.set(when);
    return postLead(hub, { name, phone: nextPhone().typed });
  };
  const move = async (dealId: string, stage: string, when: Date, token = anna.token, extra: Record<string, unknown> = {}) => {
    hub.clock.set(when);
    const res = await req('PATCH', `/api/deals/${dealId}`, { stage, ...extra }, token);
    expect({ stage, status: res.status }).toEqual({ stage, status: 200 });
    return res.body;
  };
  const ruleTasks = (dealId: string) =>
    hub.query(`SELECT * FROM task WHERE deal_id = $1 AND stage_rule_id IS NOT NULL ORDER BY created_at, title`, [dealId]);
  const activities = (dealId: string, kind: string) => hub.query(`SELECT actor_id, payload, occurred_at FROM activity WHERE deal_id = $1 AND kind = $2 ORDER BY created_at`, [dealId, kind]);
  const notices = (taskId: string, event: string) => hub.query(`SELECT kind, payload FROM outbox WHERE payload->>'taskId' = $1 AND payload->>'event' = $2`, [taskId, event]);
  const tickAt = async (when: Date) => {
    hub.clock.set(when);
    return sla.tick();
  };

  beforeAll(async () => {
    hub = await TestHub.start({
      BUSINESS_HOURS: 'Mon-Fri 09:00-19:00',
      BUSINESS_TIMEZONE: 'Europe/Moscow',
      CALLBACK_SLA_MINUTES: '15',
      // Callback tasks escalate during these tests; the deals must keep their owners.
      ESCALATION_POLICY: 'notify',
    });
    sla = hub.app.get(SlaService);
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Rules' });
    boris = await hub.createManager({ name: 'Boris Rules' });
    await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    adminId = (await req('GET', '/api/managers')).body.find((m: any) => m.role === 'admin').id;
    const [sales] = (await req('GET', '/api/pipelines')).body;
    stages = Object.fromEntries(sales.stages.map((s: any) => [s.key, s]));
  });
  afterAll(async () => {
    hub.clock.useRealTime();
    await hub?.close();
  });

  describe('rules API', () => {
    it('creates, lists, updates and deletes a stage’s rules', async () => {
      const created = await req('POST', `/api/stages/${stages.first_contact.id}/rules`, { title: '  Book a demo ', dueIn: 1, dueUnit: 'hours' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ stageId: stages.first_contact.id, title: 'Book a demo', assignTo: 'owner', managerId: null, dueIn: 1, dueUnit: 'hours', active: true });
      expect((await req('GET', `/api/stages/${stages.first_contact.id}/rules`, undefined, anna.token)).body).toEqual([created.body]);
      const [sales] = (await req('GET', '/api/pipelines')).body;
      expect(sales.stages.find((s: any) => s.key === 'first_contact').rules).toEqual([created.body]);

      const toBoris = await req('PATCH', `/api/stage-rules/${created.body.id}`, { assignTo: 'manager', managerId: boris.id, dueIn: 45, dueUnit: 'minutes' });
      expect(toBoris.status).toBe(200);
      expect(toBoris.body).toMatchObject({ assignTo: 'manager', managerId: boris.id, managerName: 'Boris Rules', dueIn: 45, dueUnit: 'minutes', title: 'Book a demo' });
      const toOwner = await req('PATCH', `/api/stage-rules/${created.body.id}`, { assignTo: 'owner' });
      expect(toOwner.body).toMatchObject({ assignTo: 'owner', managerId: null });
      expect((await req('PATCH', `/api/stage-rules/${created.body.id}`, { active: false })).body).toMatchObject({ active: false, dueIn: 45 });

      expect((await req('DELETE', `/api/stage-rules/${created.body.id}`)).status).toBe(204);
      expect((await req('GET', `/api/stages/${stages.first_contact.id}/rules`)).body).toEqual([]);
      expectError(await req('DELETE', `/api/stage-rules/${created.body.id}`), 404, 'not_found');
    });

    it.each([
      ['an empty title', { title: ' ', dueIn: 1, dueUnit: 'hours' }, ['title']],
      ['a zero due time', { title: 'T', dueIn: 0, dueUnit: 'hours' }, ['dueIn']],
      ['a due time over the limit', { title: 'T', dueIn: 2001, dueUnit: 'hours' }, ['dueIn']],
      ['an unknown unit', { title: 'T', dueIn: 1, dueUnit: 'days' }, ['dueUnit']],
      ['an unknown target', { title: 'T', dueIn: 1, dueUnit: 'hours', assignTo: 'everyone' }, ['assignTo']],
      ['assignTo manager without managerId', { title: 'T', dueIn: 1, dueUnit: 'hours', assignTo: 'manager' }, ['managerId']],
      ['an unknown manager', { title: 'T', dueIn: 1, dueUnit: 'hours', assignTo: 'manager', managerId: MISSING_ID }, ['managerId']],
      ['a managerId for the owner', { title: 'T', dueIn: 1, dueUnit: 'hours', assignTo: 'owner', managerId: MISSING_ID }, ['managerId']],
    ])('answers 400 for %s and creates nothing', async (_what, body, fields) => {
      expectError(await req('POST', `/api/stages/${stages.proposal.id}/rules`, body), 400, 'invalid', fields);
      expect(await hub.query(`SELECT id FROM stage_rule`)).toEqual([]);
    });

    it('answers 404 for an unknown stage and 403 to managers', async () => {
      expectError(await req('POST', `/api/stages/${MISSING_ID}/rules`, { title: 'T', dueIn: 1, dueUnit: 'hours' }), 404, 'not_found');
      expectError(await req('GET', `/api/stages/${MISSING_ID}/rules`), 404, 'not_found');
      expectError(await req('POST', `/api/stages/${stages.proposal.id}/rules`, { title: 'T', dueIn: 1, dueUnit: 'hours' }, anna.token), 403, 'forbidden');
      expectError(await req('PATCH', `/api/stage-rules/${MISSING_ID}`, { title: 'T' }), 404, 'not_found');
    });
  });

  describe('automation', () => {
    let x: Lead;
    let y: Lead;

    beforeAll(async () => {
      const rule = await req('POST', `/api/stages/${stages.qualified.id}/rules`, { title: 'Send proposal', dueIn: 2, dueUnit: 'hours' });
      expect(rule.status).toBe(201);
      x = await leadAt(msk('2026-11-23T17:00:00'), 'Client X');
      y = await leadAt(msk('2026-11-23T17:00:00'), 'Client Y');
    });

    it('a deal entering qualified gets "Send proposal" for its owner, due in 2 business hours (over the night)', async () => {
      await move(x.dealId, 'first_contact', msk('2026-11-23T17:30:00'));
      expect(await ruleTasks(x.dealId)).toEqual([]);
      await move(x.dealId, 'qualified', msk('2026-11-23T18:00:00'));
      await move(y.dealId, 'qualified', msk('2026-11-23T18:00:00'));
      for (const lead of [x, y]) {
        const tasks = await ruleTasks(lead.dealId);
        expect(tasks).toHaveLength(1);
        const [t] = tasks;
        // One business hour on Monday (18:00-19:00) and one on Tuesday (09:00-10:00).
        expect(t).toMatchObject({ title: 'Send proposal', kind: 'follow_up', status: 'open', assignee_id: anna.id, stage_id: stages.qualified.id, follows_owner: true });
        expect(new Date(t.due_at)).toEqual(msk('2026-11-24T10:00:00'));
        expect(new Date(t.remind_at)).toEqual(msk('2026-11-24T09:55:00'));
        expect(new Date(t.escalate_at)).toEqual(msk('2026-11-24T10:10:00'));
        const created = (await activities(lead.dealId, 'task_created')).filter((a: any) => a.payload.taskId === t.id);
        expect(created).toHaveLength(1);
        expect(created[0].payload).toMatchObject({ kind: 'follow_up', title: 'Send proposal', assignTo: 'owner', stage: 'qualified', dueAt: msk('2026-11-24T10:00:00').toISOString() });
        expect(created[0].actor_id).toBe(anna.id);
      }
      const mine = (await req('GET', '/api/tasks', undefined, anna.token)).body;
      expect(mine.filter((t: any) => t.title === 'Send proposal').map((t: any) => t.dealId).sort()).toEqual([x.dealId, y.dealId].sort());
      // Every move is one stage_changed entry.
      expect((await activities(x.dealId, 'stage_changed')).map((a: any) => a.payload)).toEqual([
        { from: 'new', to: 'first_contact' },
        { from: 'first_contact', to: 'qualified' },
      ]);
    });

    it('leaving the stage cancels its open task with a timeline entry; the SLA tick then reports only the other deal', async () => {
      const [xt] = await ruleTasks(x.dealId);
      const [yt] = await ruleTasks(y.dealId);
      await move(x.dealId, 'proposal', msk('2026-11-24T09:30:00'));
      const [after] = await hub.query(`SELECT status, completed_at, completed_by_id FROM task WHERE id = $1`, [xt.id]);
      expect(after).toMatchObject({ status: 'cancelled', completed_by_id: anna.id });
      expect(new Date(after.completed_at)).toEqual(msk('2026-11-24T09:30:00'));
      const cancelled = await activities(x.dealId, 'task_cancelled');
      expect(cancelled).toHaveLength(1);
      expect(cancelled[0].payload).toMatchObject({ taskId: xt.id, title: 'Send proposal', reason: 'left_stage', fromStage: 'qualified', toStage: 'proposal' });
      expect(cancelled[0].payload.text).toMatch(/left stage "Qualified" for "Proposal"/);
      // The callback task is not a rule task of the stage: it stays open.
      expect(await hub.query(`SELECT status FROM task WHERE id = $1`, [x.taskId])).toEqual([{ status: 'open' }]);

      await tickAt(msk('2026-11-24T09:55:00'));
      expect(await notices(yt.id, 'task_reminder')).toHaveLength(1);
      expect(await notices(xt.id, 'task_reminder')).toHaveLength(0);
      await tickAt(msk('2026-11-24T10:00:00'));
      await tickAt(msk('2026-11-24T10:10:00'));
      expect((await hub.query(`SELECT overdue_at, escalated_at FROM task WHERE id = $1`, [yt.id]))[0]).toEqual({
        overdue_at: msk('2026-11-24T10:00:00'),
        escalated_at: msk('2026-11-24T10:10:00'),
      });
      expect(await notices(yt.id, 'task_overdue')).toHaveLength(2);
      expect(await hub.query(`SELECT overdue_at, escalated_at FROM task WHERE id = $1`, [xt.id])).toEqual([{ overdue_at: null, escalated_at: null }]);
      expect(await notices(xt.id, 'task_overdue')).toEqual([]);
      expect(await notices(xt.id, 'task_escalated')).toEqual([]);
      expect((await activities(x.dealId, 'task_overdue')).filter((a: any) => a.payload.taskId === xt.id)).toEqual([]);
      expect((await req('GET', '/api/tasks?overdue=true', undefined, anna.token)).body.map((t: any) => t.id)).not.toContain(xt.id);
    });

    it('a completed rule task stays done when the deal leaves the stage; coming back creates a new one', async () => {
      const [yt] = await ruleTasks(y.dealId);
      hub.clock.set(msk('2026-11-24T11:00:00'));
      expect((await req('POST', `/api/tasks/${yt.id}/complete`, undefined, anna.token)).status).toBe(200);
      await move(y.dealId, 'proposal', msk('2026-11-24T11:05:00'));
      expect(await hub.query(`SELECT status FROM task WHERE id = $1`, [yt.id])).toEqual([{ status: 'done' }]);
      expect(await activities(y.dealId, 'task_cancelled')).toEqual([]);

      await move(y.dealId, 'qualified', msk('2026-11-24T11:10:00'));
      const tasks = await ruleTasks(y.dealId);
      expect(tasks.map((t: any) => t.status)).toEqual(['done', 'open']);
      expect(new Date(tasks[1].due_at)).toEqual(msk('2026-11-24T13:10:00'));
      // Closing the deal cancels it too (with the other open tasks).
      await move(y.dealId, 'lost', msk('2026-11-24T11:20:00'), anna.token, { lostReason: 'no budget' });
      expect((await hub.query(`SELECT status FROM task WHERE id = $1`, [tasks[1].id]))[0].status).toBe('cancelled');
    });

    it('targets: admins (the least busy active admin) and a named manager; both stay put when the deal changes hands', async () => {
      const forAdmins = await req('POST', `/api/stages/${stages.proposal.id}/rules`, { title: 'Approve discount', dueIn: 30, dueUnit: 'minutes', assignTo: 'admins' });
      const forBoris = await req('POST', `/api/stages/${stages.proposal.id}/rules`, { title: 'Prepare contract', dueIn: 4, dueUnit: 'hours', assignTo: 'manager', managerId: boris.id });
      const forOwner = await req('POST', `/api/stages/${stages.proposal.id}/rules`, { title: 'Follow up on proposal', dueIn: 1, dueUnit: 'hours' });
      proposalRule = forOwner.body;
      expect([forAdmins.status, forBoris.status, forOwner.status]).toEqual([201, 201, 201]);
      const inactive = await req('POST', `/api/stages/${stages.proposal.id}/rules`, { title: 'Never', dueIn: 1, dueUnit: 'hours', active: false });
      expect(inactive.body.active).toBe(false);

      // Nobody available: the deal waits in the queue, without an owner.
      await onlyAvailable(hub, [anna.id, boris.id], null);
      const q = await leadAt(msk('2026-11-25T10:00:00'), 'Queued client');
      expect((await req('GET', `/api/deals/${q.dealId}`)).body.ownerId).toBeNull();
      await move(q.dealId, 'proposal', msk('2026-11-25T10:00:00'), admin);

      const byTitle = async () => Object.fromEntries((await ruleTasks(q.dealId)).map((t: any) => [t.title, t]));
      let tasks = await byTitle();
      expect(Object.keys(tasks).sort()).toEqual(['Approve discount', 'Follow up on proposal', 'Prepare contract']);
      expect(tasks['Approve discount']).toMatchObject({ assignee_id: adminId, follows_owner: false, stage_rule_id: forAdmins.body.id });
      expect(new Date(tasks['Approve discount'].due_at)).toEqual(msk('2026-11-25T10:30:00'));
      expect(tasks['Prepare contract']).toMatchObject({ assignee_id: boris.id, follows_owner: false });
      expect(new Date(tasks['Prepare contract'].due_at)).toEqual(msk('2026-11-25T14:00:00'));
      expect(tasks['Follow up on proposal']).toMatchObject({ assignee_id: null, follows_owner: true });
      // Boris is told about his task; the admin moved the deal and made their own, so no notice to them.
      expect(await notices(tasks['Prepare contract'].id, 'task_created')).toEqual([
        { kind: 'notify.manager', payload: expect.objectContaining({ managerId: boris.id, dealId: q.dealId, title: 'Prepare contract' }) },
      ]);
      expect(await notices(tasks['Approve discount'].id, 'task_created')).toEqual([]);

      // Anna takes the deal: the owner's task follows her, the others stay.
      expect((await req('POST', `/api/queue/${q.dealId}/take`, undefined, anna.token)).status).toBe(200);
      tasks = await byTitle();
      expect(tasks['Follow up on proposal'].assignee_id).toBe(anna.id);
      expect(tasks['Approve discount'].assignee_id).toBe(adminId);
      expect(tasks['Prepare contract'].assignee_id).toBe(boris.id);

      // The SLA engine drives the admins' task like any other: overdue at due, to the admin.
      await tickAt(msk('2026-11-25T10:30:00'));
      expect(await notices(tasks['Approve discount'].id, 'task_overdue')).toEqual(
        expect.arrayContaining([{ kind: 'notify.manager', payload: expect.objectContaining({ managerId: adminId }) }]),
      );
      await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    });

    it('rules of the stage new leads enter apply at intake', async () => {
      const welcome = await req('POST', `/api/stages/${stages.new.id}/rules`, { title: 'Send a welcome message', dueIn: 90, dueUnit: 'minutes' });
      expect(welcome.status).toBe(201);
      const lead = await leadAt(msk('2026-11-27T18:00:00'), 'Friday evening');
      const [t] = await ruleTasks(lead.dealId);
      expect(t).toMatchObject({ title: 'Send a welcome message', assignee_id: anna.id, stage_id: stages.new.id, status: 'open' });
      // Friday 18:00 + 90 business minutes: 60 on Friday, 30 on Monday.
      expect(new Date(t.due_at)).toEqual(msk('2026-11-30T09:30:00'));
      expect(await notices(t.id, 'task_created')).toHaveLength(1);
      // The callback task is there as always.
      expect(await hub.query(`SELECT kind FROM task WHERE deal_id = $1 ORDER BY kind`, [lead.dealId])).toEqual([{ kind: 'callback' }, { kind: 'follow_up' }]);
      expect((await req('DELETE', `/api/stage-rules/${welcome.body.id}`)).status).toBe(204);
      // Leaving "new" cancels it.
      await move(lead.dealId, 'first_contact', msk('2026-11-30T09:00:00'));
      expect((await hub.query(`SELECT status FROM task WHERE id = $1`, [t.id]))[0].status).toBe('cancelled');
    });

    it('a rule’s later edits apply to the next deals, not to tasks already made', async () => {
      const d = await leadAt(msk('2026-12-01T10:00:00'), 'Edit check');
      await move(d.dealId, 'proposal', msk('2026-12-01T10:00:00'));
      const before = (await ruleTasks(d.dealId)).find((t: any) => t.stage_rule_id === proposalRule.id);
      expect(new Date(before.due_at)).toEqual(msk('2026-12-01T11:00:00'));
      expect((await req('PATCH', `/api/stage-rules/${proposalRule.id}`, { dueIn: 3 })).status).toBe(200);
      expect((await ruleTasks(d.dealId)).find((t: any) => t.id === before.id).due_at).toEqual(before.due_at);
      const e = await leadAt(msk('2026-12-01T10:00:00'), 'Edit check 2');
      await move(e.dealId, 'proposal', msk('2026-12-01T10:00:00'));
      const next = (await ruleTasks(e.dealId)).find((t: any) => t.stage_rule_id === proposalRule.id);
      expect(new Date(next.due_at)).toEqual(msk('2026-12-01T13:00:00'));
    });

    it('a rule for a deactivated manager gives the task to the deal’s owner and says so', async () => {
      expect((await req('PATCH', `/api/managers/${boris.id}`, { active: false })).status).toBe(200);
      const d = await leadAt(msk('2026-12-02T10:00:00'), 'Boris left');
      await move(d.dealId, 'proposal', msk('2026-12-02T10:00:00'));
      const task = (await ruleTasks(d.dealId)).find((t: any) => t.title === 'Prepare contract');
      expect(task).toMatchObject({ assignee_id: anna.id, follows_owner: true });
      const [created] = (await activities(d.dealId, 'task_created')).filter((a: any) => a.payload.taskId === task.id);
      expect(created.payload.note).toMatch(/deactivated/);
      // Pointing a rule at a deactivated manager is refused.
      const rule = (await req('GET', `/api/stages/${stages.proposal.id}/rules`)).body.find((r: any) => r.title === 'Prepare contract');
      expectError(await req('PATCH', `/api/stage-rules/${rule.id}`, { managerId: boris.id }), 400, 'invalid', ['managerId']);
    });
  });
});
