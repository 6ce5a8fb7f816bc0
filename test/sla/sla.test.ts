import { SlaService, TasksService, slaClaimSql, type SlaStep } from '@leadline/core';
import { TestHub } from '../support/test-hub';

/** Reminder, overdue, escalation (reassign), once per task, and the outbound contact that closes the loop. 24/7 hours. */
describe('SLA scheduler', () => {
  let hub: TestHub;
  let sla: SlaService;
  let anna: { id: string };
  let boris: { id: string };
  let seq = 0;
  const T0 = new Date('2026-11-23T10:00:00Z');
  const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

  const lead = async (when: Date) => {
    hub.clock.set(when);
    const n = ++seq;
    const res = await hub.postForm({ name: `Client ${n}`, phone: `+7916${String(2_000_000 + n).slice(-7)}` });
    expect(res.status).toBe(201);
    const [deal] = await hub.query(`SELECT contact_id, owner_id FROM deal WHERE id = $1`, [res.body.dealId]);
    return { taskId: res.body.taskId as string, dealId: res.body.dealId as string, contactId: deal.contact_id as string, ownerId: deal.owner_id as string | null };
  };
  const tickAt = async (when: Date) => {
    hub.clock.set(when);
    return sla.tick();
  };
  const task = async (id: string) => (await hub.query(`SELECT * FROM task WHERE id = $1`, [id]))[0];
  const notices = async (taskId: string, event?: string) =>
    hub.query<{ kind: string; payload: any }>(
      `SELECT kind, payload FROM outbox WHERE payload->>'taskId' = $1 AND ($2::text IS NULL OR payload->>'event' = $2) ORDER BY created_at, kind`,
      [taskId, event ?? null],
    );
  const activities = async (dealId: string, kind: string) =>
    hub.query<{ payload: any; occurred_at: Date }>(`SELECT payload, occurred_at FROM activity WHERE deal_id = $1 AND kind = $2 ORDER BY created_at`, [dealId, kind]);

  beforeAll(async () => {
    hub = await TestHub.start({ CALLBACK_SLA_MINUTES: '15' });
    sla = hub.app.get(SlaService);
    // Anna alone first, so the leads below are hers; Boris joins before anything escalates.
    anna = await hub.createManager({ name: 'Anna' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('precomputes the SLA instants when the task is created', async () => {
    const r = await lead(T0);
    const t = await task(r.taskId);
    expect(new Date(t.due_at)).toEqual(at(15));
    expect(new Date(t.remind_at)).toEqual(at(10));
    expect(new Date(t.escalate_at)).toEqual(at(25));
  });

  it('reminds the assignee 5 minutes before due, once', async () => {
    const r = await lead(T0);
    expect(r.ownerId).toBe(anna.id);
    await tickAt(at(9.9));
    expect(await notices(r.taskId, 'task_reminder')).toHaveLength(0);
    await tickAt(at(10));
    await tickAt(at(10.5));
    const sent = await notices(r.taskId, 'task_reminder');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'notify.manager', payload: { event: 'task_reminder', managerId: anna.id, dealId: r.dealId, minutesLeft: 5 } });
    expect(new Date((await task(r.taskId)).reminded_at)).toEqual(at(10));
  });

  it('at due time marks the task overdue, writes the timeline and notifies the assignee and the admins, once', async () => {
    const r = await lead(T0);
    await tickAt(at(14.9));
    expect((await task(r.taskId)).overdue_at).toBeNull();
    await tickAt(at(15));
    await tickAt(at(15));
    await tickAt(at(16));
    expect(new Date((await task(r.taskId)).overdue_at)).toEqual(at(15));
    const acts = await activities(r.dealId, 'task_overdue');
    expect(acts).toHaveLength(1);
    expect(acts[0].payload).toMatchObject({ taskId: r.taskId, assigneeId: anna.id, assigneeName: 'Anna', dueAt: at(15).toISOString() });
    const sent = await notices(r.taskId, 'task_overdue');
    expect(sent.map((n) => n.kind).sort()).toEqual(['notify.admins', 'notify.manager']);
    expect(sent.find((n) => n.kind === 'notify.manager')!.payload).toMatchObject({ managerId: anna.id, dealId: r.dealId });
    // The task list shows it as overdue too.
    const list = await hub.request({ url: '/api/tasks?overdue=true', token: await hub.adminToken() });
    expect(list.body.items ?? list.body).toEqual(expect.arrayContaining([expect.objectContaining({ id: r.taskId, overdue: true })]));
  });

  it('escalation (reassign) moves the deal and its open tasks to the next manager and says why, once', async () => {
    const r = await lead(T0);
    boris = await hub.createManager({ name: 'Boris' });
    await hub.query(
      `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at)
       VALUES ($1, $2, $3, 'follow_up', 'Send the price list', $4, $4, $4)`,
      [r.dealId, r.contactId, anna.id, at(600)],
    );
    await tickAt(at(24.9));
    expect((await task(r.taskId)).escalated_at).toBeNull();
    await tickAt(at(25));
    await tickAt(at(26));
    expect(new Date((await task(r.taskId)).escalated_at)).toEqual(at(25));
    expect((await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [r.dealId]))[0].owner_id).toBe(boris.id);
    const open = await hub.query(`SELECT assignee_id FROM task WHERE deal_id = $1 AND status = 'open'`, [r.dealId]);
    expect(open).toHaveLength(2);
    expect(open.every((t) => t.assignee_id === boris.id)).toBe(true);
    expect((await hub.query(`SELECT owner_id FROM contact WHERE id = $1`, [r.contactId]))[0].owner_id).toBe(boris.id);
    const assigned = await activities(r.dealId, 'assigned');
    expect(assigned).toHaveLength(2);
    expect(assigned[1].payload).toMatchObject({
      managerId: boris.id,
      rule: 'round_robin',
      reason: 'escalated: Anna did not call back within 10 min; round robin, 1 eligible of 2: Anna escalated from',
      params: { eligible: 1, total: 2, excluded: [{ name: 'Anna', why: 'escalated_from' }], escalated: { fromName: 'Anna', minutes: 10, taskKind: 'callback' } },
    });
    expect(await activities(r.dealId, 'task_escalated')).toHaveLength(1);
    const toBoris = await notices(r.taskId, 'lead_assigned');
    expect(toBoris.filter((n) => n.payload.managerId === boris.id)).toHaveLength(1);
    expect(toBoris.find((n) => n.payload.managerId === boris.id)!.payload).toMatchObject({ escalatedFrom: anna.id });
  });

  it('escalation with nobody else eligible notifies the admins and leaves the owner', async () => {
    await hub.query(`UPDATE manager SET available = false WHERE id = $1`, [boris.id]);
    try {
      const r = await lead(T0);
      expect(r.ownerId).toBe(anna.id);
      await tickAt(at(25));
      expect((await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [r.dealId]))[0].owner_id).toBe(anna.id);
      const sent = await notices(r.taskId, 'task_escalated');
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ kind: 'notify.admins', payload: { assigneeId: anna.id, reason: expect.stringContaining('nobody else eligible') } });
    } finally {
      await hub.query(`UPDATE manager SET available = true WHERE id = $1`, [boris.id]);
    }
  });

  it('an outbound call completes the callback task: "called back after 7 min", first response time, no overdue later', async () => {
    const r = await lead(T0);
    const tasks = hub.app.get(TasksService);
    const result = await tasks.recordOutboundContact(undefined, { contactId: r.contactId, channel: 'phone', at: at(7), actorId: r.ownerId });
    expect(result).toEqual({ dealId: r.dealId, taskId: r.taskId, afterMinutes: 7 });
    const t = await task(r.taskId);
    expect(t.status).toBe('done');
    expect(new Date(t.completed_at)).toEqual(at(7));
    const done = await activities(r.dealId, 'task_done');
    expect(done).toHaveLength(1);
    expect(done[0].payload).toMatchObject({ taskId: r.taskId, afterMinutes: 7, via: 'phone', text: 'called back after 7 min', late: false });
    expect(new Date((await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [r.dealId]))[0].first_response_at)).toEqual(at(7));
    await tickAt(at(30));
    expect(await notices(r.taskId, 'task_overdue')).toHaveLength(0);
    expect(await notices(r.taskId, 'task_reminder')).toHaveLength(0);
    expect(await activities(r.dealId, 'task_overdue')).toHaveLength(0);
  });

  it('an outbound message completes it too; a second contact keeps the first response time', async () => {
    const r = await lead(T0);
    const tasks = hub.app.get(TasksService);
    hub.clock.set(at(3));
    expect(await tasks.recordOutboundContact(undefined, { contactId: r.contactId, channel: 'telegram' })).toMatchObject({ taskId: r.taskId, afterMinutes: 3 });
    expect((await activities(r.dealId, 'task_done'))[0].payload).toMatchObject({ via: 'telegram', afterMinutes: 3 });
    expect(await tasks.recordOutboundContact(undefined, { contactId: r.contactId, channel: 'email', at: at(9) })).toEqual({ dealId: r.dealId, taskId: null, afterMinutes: null });
    expect(new Date((await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [r.dealId]))[0].first_response_at)).toEqual(at(3));
  });

  it('marking the task done by hand takes the same path (timeline, first response time)', async () => {
    const r = await lead(T0);
    hub.clock.set(at(12));
    const admin = await hub.adminToken();
    const res = await hub.request({ method: 'POST', url: `/api/tasks/${r.taskId}/complete`, token: admin });
    expect(res.status).toBeLessThan(300);
    expect((await activities(r.dealId, 'task_done'))[0].payload).toMatchObject({ taskId: r.taskId, afterMinutes: 12 });
    expect(new Date((await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [r.dealId]))[0].first_response_at)).toEqual(at(12));
  });

  it('due-task queries use the partial indexes', async () => {
    const expected: Record<SlaStep, string> = { remind: 'ix_task_sla_remind', overdue: 'ix_task_sla_overdue', escalate: 'ix_task_sla_escalate' };
    await hub.dataSource.transaction(async (em) => {
      // The test table is tiny; forbid sequential scans to see which index the planner can use.
      await em.query(`SET LOCAL enable_seqscan = off`);
      for (const step of Object.keys(expected) as SlaStep[]) {
        const plan = (await em.query(`EXPLAIN ${slaClaimSql(step)}`, [new Date(), 500])).map((r: any) => r['QUERY PLAN']).join('\n');
        expect(plan).toContain(expected[step]);
      }
    });
  });

  it('concurrent ticks give exactly one reminder, one overdue notice pair and one activity per task', async () => {
    const r = await lead(at(1000));
    // Due before the lead's own callback task (due at 1015, escalating at 1025): only the bulk tasks are overdue.
    const due = at(1010);
    await hub.query(
      `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at)
       SELECT $1, $2, $3, 'follow_up', 'bulk ' || g, $4, $5, $6 FROM generate_series(1, 300) g`,
      [r.dealId, r.contactId, r.ownerId, due, at(1005), at(5000)],
    );
    hub.clock.set(at(1012));
    await Promise.all([sla.tick(), sla.tick(), sla.tick(), sla.tick()]);
    await Promise.all([sla.tick(), sla.tick()]);
    const [counts] = await hub.query(
      `SELECT (SELECT count(*) FROM task WHERE deal_id = $1::uuid AND kind = 'follow_up' AND overdue_at IS NOT NULL AND reminded_at IS NOT NULL)::int AS stamped,
              (SELECT count(*) FROM activity WHERE deal_id = $1::uuid AND kind = 'task_overdue')::int AS acts,
              (SELECT count(*) FROM outbox WHERE payload->>'dealId' = $1::text AND payload->>'event' = 'task_overdue' AND kind = 'notify.manager')::int AS to_manager,
              (SELECT count(*) FROM outbox WHERE payload->>'dealId' = $1::text AND payload->>'event' = 'task_overdue' AND kind = 'notify.admins')::int AS to_admins,
              (SELECT count(DISTINCT payload->>'taskId') FROM outbox WHERE payload->>'dealId' = $1::text AND payload->>'event' = 'task_overdue')::int AS distinct_tasks`,
      [r.dealId],
    );
    expect(counts).toEqual({ stamped: 300, acts: 300, to_manager: 300, to_admins: 300, distinct_tasks: 300 });
  });
});
