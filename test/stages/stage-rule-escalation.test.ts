import { SlaService } from '@leadline/core';
import { nextPhone, onlyAvailable, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

/** ESCALATION_POLICY=reassign with stage rule tasks (24/7 hours): only the owner's own tasks move the deal. */
describe('stage rule tasks under the reassign escalation policy', () => {
  let hub: TestHub;
  let sla: SlaService;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let qualifiedId: string;
  const T0 = new Date('2026-11-23T10:00:00Z');
  const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

  const tickAt = async (when: Date) => {
    hub.clock.set(when);
    return sla.tick();
  };
  const owner = async (dealId: string) => (await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [dealId]))[0].owner_id;
  const ruleTask = async (dealId: string) => (await hub.query(`SELECT * FROM task WHERE deal_id = $1 AND stage_rule_id IS NOT NULL`, [dealId]))[0];

  /** A lead of Anna's whose callback is done at once, moved to qualified at T0. */
  const qualifiedLead = async (name: string) => {
    hub.clock.set(T0);
    await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    const lead = await postLead(hub, { name, phone: nextPhone().typed });
    expect((await hub.request({ method: 'POST', url: `/api/tasks/${lead.taskId}/complete`, token: anna.token })).status).toBe(200);
    expect((await hub.request({ method: 'PATCH', url: `/api/deals/${lead.dealId}`, token: anna.token, body: { stage: 'qualified' } })).status).toBe(200);
    return lead;
  };

  beforeAll(async () => {
    hub = await TestHub.start({ ESCALATION_POLICY: 'reassign', ESCALATION_MINUTES: '10' });
    sla = hub.app.get(SlaService);
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Escalation' });
    boris = await hub.createManager({ name: 'Boris Escalation' });
    qualifiedId = (await hub.request({ url: '/api/pipelines', token: admin })).body[0].stages.find((s: any) => s.key === 'qualified').id;
  });
  afterAll(async () => {
    hub.clock.useRealTime();
    await hub?.close();
  });

  it('a late owner task reassigns the deal to the next manager, like a late callback', async () => {
    const rule = await hub.request({ method: 'POST', url: `/api/stages/${qualifiedId}/rules`, token: admin, body: { title: 'Send proposal', dueIn: 30, dueUnit: 'minutes' } });
    expect(rule.status).toBe(201);
    const lead = await qualifiedLead('Owner late');
    const task = await ruleTask(lead.dealId);
    expect(task.assignee_id).toBe(anna.id);
    await onlyAvailable(hub, [anna.id, boris.id], boris.id);
    await tickAt(at(30));
    await tickAt(at(40));
    expect(await owner(lead.dealId)).toBe(boris.id);
    expect((await ruleTask(lead.dealId)).assignee_id).toBe(boris.id);
    const [esc] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'task_escalated'`, [lead.dealId]);
    expect(esc.payload).toMatchObject({ taskId: task.id, outcome: 'reassigned', toManagerId: boris.id, reason: 'Anna Escalation did not finish "Send proposal" within 10 min of its due time' });
    expect((await hub.request({ method: 'DELETE', url: `/api/stage-rules/${rule.body.id}`, token: admin })).status).toBe(204);
  });

  it('a late task of a named manager only tells the admins: the deal stays with its owner', async () => {
    const rule = await hub.request({
      method: 'POST',
      url: `/api/stages/${qualifiedId}/rules`,
      token: admin,
      body: { title: 'Check the contract', dueIn: 30, dueUnit: 'minutes', assignTo: 'manager', managerId: boris.id },
    });
    expect(rule.status).toBe(201);
    const lead = await qualifiedLead('Named late');
    const task = await ruleTask(lead.dealId);
    expect(task).toMatchObject({ assignee_id: boris.id, follows_owner: false });
    await tickAt(at(30));
    await tickAt(at(40));
    expect(await owner(lead.dealId)).toBe(anna.id);
    expect((await ruleTask(lead.dealId)).assignee_id).toBe(boris.id);
    const [esc] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'task_escalated'`, [lead.dealId]);
    expect(esc.payload).toMatchObject({ taskId: task.id, policy: 'reassign', outcome: 'admins_notified', fromManagerId: boris.id });
    expect(await hub.query(`SELECT kind FROM outbox WHERE payload->>'taskId' = $1 AND payload->>'event' = 'task_escalated'`, [task.id])).toEqual([{ kind: 'notify.admins' }]);
  });
});
