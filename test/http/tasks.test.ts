import { TestHub } from '../support/test-hub';
import { expectError, MISSING_ID, nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from './http-helpers';

const MINUTE = 60_000;

describe('tasks (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let t1: Lead;
  let t2: Lead;
  let t3: Lead;
  let b1: Lead;
  let t2Phone: string;
  let base: number;
  const at = (minutes: number) => new Date(base + minutes * MINUTE);

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Tasks' });
    boris = await hub.createManager({ name: 'Boris Tasks' });
    await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    t1 = await postLead(hub, { name: 'Task One', phone: nextPhone().typed });
    t2Phone = nextPhone().typed;
    t2 = await postLead(hub, { name: 'Task Two', phone: t2Phone });
    t3 = await postLead(hub, { name: 'Task Three', phone: nextPhone().typed });
    await onlyAvailable(hub, [anna.id, boris.id], boris.id);
    b1 = await postLead(hub, { name: 'Task Boris', phone: nextPhone().typed });
    // Fixed due times, not in creation order: t2 first, then t3, t1, b1.
    base = Math.ceil(Date.now() / MINUTE) * MINUTE + 60 * MINUTE;
    const due: Array<[string, number]> = [
      [t1.taskId, 30],
      [t2.taskId, 10],
      [t3.taskId, 20],
      [b1.taskId, 40],
    ];
    for (const [id, minutes] of due) await hub.query(`UPDATE task SET due_at = $2 WHERE id = $1`, [id, at(minutes)]);
  });
  afterEach(() => hub.clock.useRealTime());
  afterAll(async () => {
    await hub?.close();
  });

  const tasks = async (query: string, token: string) => {
    const res = await hub.request({ url: `/api/tasks${query}`, token });
    expect({ query, status: res.status }).toEqual({ query, status: 200 });
    return res.body as any[];
  };
  const ids = async (query: string, token: string) => (await tasks(query, token)).map((t) => t.id);
  const complete = (id: string, token: string) => hub.request({ method: 'POST', url: `/api/tasks/${id}/complete`, token });

  it('gives every new lead a callback task due after the SLA', async () => {
    const before = Date.now();
    const lead = await postLead(hub, { name: 'SLA Check', phone: nextPhone().typed });
    const after = Date.now();
    const [task] = await hub.query(`SELECT kind, status, assignee_id, due_at FROM task WHERE id = $1`, [lead.taskId]);
    expect(task).toMatchObject({ kind: 'callback', status: 'open', assignee_id: boris.id });
    const sla = hub.config.CALLBACK_SLA_MINUTES * MINUTE;
    expect(new Date(task.due_at).getTime()).toBeGreaterThanOrEqual(before + sla - 1000);
    expect(new Date(task.due_at).getTime()).toBeLessThanOrEqual(after + sla + 1000);
    // Not part of the rest of this file.
    expect((await hub.request({ method: 'PATCH', url: `/api/deals/${lead.dealId}`, token: admin, body: { stage: 'lost', lostReason: 'test setup' } })).status).toBe(200);
  });

  it('lists a manager’s own open tasks, due soonest first', async () => {
    const mine = await tasks('', anna.token);
    expect(mine.map((t) => t.id)).toEqual([t2.taskId, t3.taskId, t1.taskId]);
    expect(mine[0]).toEqual({
      id: t2.taskId,
      dealId: t2.dealId,
      contactId: t2.contactId,
      contactName: 'Task Two',
      assigneeId: anna.id,
      kind: 'callback',
      title: 'Call back Task Two',
      dueAt: at(10).toISOString(),
      status: 'open',
      overdue: false,
      missedCalls: 0,
      callAttempts: 0,
      completedAt: null,
      result: null,
      createdAt: expect.any(String),
    });
    expect(await ids('', boris.token)).toEqual([b1.taskId]);
    expect(await ids('', admin)).toEqual([t2.taskId, t3.taskId, t1.taskId, b1.taskId]);
    expect(await ids(`?assigneeId=${boris.id}`, admin)).toEqual([b1.taskId]);
    expect(await ids('?mine=true', admin)).toEqual([]);
    expect(await ids('?limit=2', anna.token)).toEqual([t2.taskId, t3.taskId]);
  });

  it('?overdue=true lists open tasks past due by the domain clock', async () => {
    expect(await ids('?overdue=true', anna.token)).toEqual([]);

    hub.clock.set(at(15));
    expect(await ids('?overdue=true', anna.token)).toEqual([t2.taskId]);
    const all = await tasks('', anna.token);
    expect(all.map((t) => [t.id, t.overdue])).toEqual([
      [t2.taskId, true],
      [t3.taskId, false],
      [t1.taskId, false],
    ]);
    expect(await ids('?overdue=false', anna.token)).toEqual([t2.taskId, t3.taskId, t1.taskId]);

    hub.clock.set(at(25));
    expect(await ids('?overdue=true', anna.token)).toEqual([t2.taskId, t3.taskId]);
    expect(await ids('?overdue=1', anna.token)).toEqual([t2.taskId, t3.taskId]);
    expect(await ids('?overdue=true', boris.token)).toEqual([]);

    hub.clock.set(at(45));
    expect(await ids('?overdue=true', admin)).toEqual([t2.taskId, t3.taskId, t1.taskId, b1.taskId]);
    expect((await tasks('?overdue=true', admin)).every((t) => t.overdue === true)).toBe(true);
  });

  it('completing a task marks it done, writes task_done and sets the deal’s first response time; again → 409', async () => {
    hub.clock.set(at(5));
    const res = await complete(t2.taskId, anna.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: t2.taskId, status: 'done', completedAt: at(5).toISOString(), overdue: false, assigneeId: anna.id });

    const [row] = await hub.query(`SELECT status, completed_at, completed_by_id FROM task WHERE id = $1`, [t2.taskId]);
    expect(row).toMatchObject({ status: 'done', completed_by_id: anna.id });
    expect(new Date(row.completed_at).toISOString()).toBe(at(5).toISOString());

    const timeline = await hub.request({ url: `/api/contacts/${t2.contactId}/timeline`, token: anna.token });
    const done = timeline.body.items.filter((e: any) => e.kind === 'task_done');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ dealId: t2.dealId, actorId: anna.id, occurredAt: at(5).toISOString(), payload: { taskId: t2.taskId, kind: 'callback', late: false } });
    expect(timeline.body.items[0].kind).toBe('task_done');

    const deal = await hub.request({ url: `/api/deals/${t2.dealId}`, token: anna.token });
    expect(deal.status).toBe(200);
    expect(deal.body.firstResponseAt).toBe(at(5).toISOString());

    hub.clock.set(at(6));
    const again = await complete(t2.taskId, anna.token);
    expectError(again, 409, 'conflict');
    expect(new Date((await hub.query(`SELECT completed_at FROM task WHERE id = $1`, [t2.taskId]))[0].completed_at).toISOString()).toBe(at(5).toISOString());
    expect(await hub.query(`SELECT 1 FROM activity WHERE deal_id = $1 AND kind = 'task_done'`, [t2.dealId])).toHaveLength(1);
    expectError(await complete(t2.taskId, admin), 409, 'conflict');

    // Done tasks leave the open list and show under status=done.
    expect(await ids('', anna.token)).toEqual([t3.taskId, t1.taskId]);
    expect(await ids('?status=done', anna.token)).toEqual([t2.taskId]);
  });

  it('a late completion is marked late; a later callback does not move the first response time', async () => {
    hub.clock.set(at(35));
    const res = await complete(t1.taskId, anna.token);
    expect(res.status).toBe(200);
    const [late] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'task_done'`, [t1.dealId]);
    expect(late.payload).toMatchObject({ taskId: t1.taskId, late: true });

    // The same client writes again: a new callback task on the same (open) deal.
    hub.clock.useRealTime();
    const repeat = await hub.postForm({ name: 'Task Two', phone: t2Phone, message: 'me again' });
    expect(repeat.status).toBe(201);
    expect(repeat.body.dealId).toBe(t2.dealId);
    expect(repeat.body.taskId).not.toBe(t2.taskId);
    hub.clock.set(at(50));
    expect((await complete(repeat.body.taskId, anna.token)).status).toBe(200);
    expect((await hub.request({ url: `/api/deals/${t2.dealId}`, token: admin })).body.firstResponseAt).toBe(at(5).toISOString());
  });

  it('answers 404 for another manager’s or an unknown task, 400 for a non-uuid id; nothing changes', async () => {
    expectError(await complete(b1.taskId, anna.token), 404, 'not_found');
    expectError(await complete(t3.taskId, boris.token), 404, 'not_found');
    expectError(await complete(MISSING_ID, anna.token), 404, 'not_found');
    expectError(await complete('first-task', anna.token), 400, 'invalid');
    expect(await hub.query(`SELECT status FROM task WHERE id = ANY($1::uuid[]) ORDER BY status`, [[b1.taskId, t3.taskId]])).toEqual([{ status: 'open' }, { status: 'open' }]);
    expect(await hub.query(`SELECT first_response_at FROM deal WHERE id = ANY($1::uuid[])`, [[b1.dealId, t3.dealId]])).toEqual([{ first_response_at: null }, { first_response_at: null }]);
  });

  it('rejects bad list parameters with 400 naming the field', async () => {
    expectError(await hub.request({ url: '/api/tasks?overdue=maybe', token: anna.token }), 400, 'invalid', ['overdue']);
    expectError(await hub.request({ url: '/api/tasks?status=closed', token: anna.token }), 400, 'invalid', ['status']);
    expectError(await hub.request({ url: '/api/tasks?assigneeId=boris', token: admin }), 400, 'invalid', ['assigneeId']);
    expectError(await hub.request({ url: '/api/tasks?limit=0', token: anna.token }), 400, 'invalid', ['limit']);
    expectError(await hub.request({ url: '/api/tasks?mine=perhaps', token: anna.token }), 400, 'invalid', ['mine']);
  });
});
