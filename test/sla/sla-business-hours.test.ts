import { SlaService } from '@leadline/core';
import { TestHub } from '../support/test-hub';

/**
 * SLA clocks stop outside business hours (Mon-Fri 09:00-19:00 Moscow, UTC+3, 2026-12-31 a holiday),
 * and ESCALATION_POLICY=notify only tells the admins again.
 */
describe('SLA in business hours, escalation policy notify', () => {
  let hub: TestHub;
  let sla: SlaService;
  let seq = 0;
  const msk = (local: string) => new Date(`${local}+03:00`);

  const lead = async (when: Date) => {
    hub.clock.set(when);
    const n = ++seq;
    const res = await hub.postForm({ name: `Client ${n}`, phone: `+7916${String(3_000_000 + n).slice(-7)}` });
    expect(res.status).toBe(201);
    return res.body as { taskId: string; dealId: string };
  };
  const tickAt = async (when: Date) => {
    hub.clock.set(when);
    return sla.tick();
  };
  const task = async (id: string) => (await hub.query(`SELECT * FROM task WHERE id = $1`, [id]))[0];
  const notices = (taskId: string, event: string) =>
    hub.query<{ kind: string; payload: any }>(`SELECT kind, payload FROM outbox WHERE payload->>'taskId' = $1 AND payload->>'event' = $2`, [taskId, event]);

  beforeAll(async () => {
    hub = await TestHub.start({
      BUSINESS_HOURS: 'Mon-Fri 09:00-19:00',
      BUSINESS_TIMEZONE: 'Europe/Moscow',
      BUSINESS_HOLIDAYS: '2026-12-31',
      CALLBACK_SLA_MINUTES: '15',
      ESCALATION_POLICY: 'notify',
    });
    sla = hub.app.get(SlaService);
    await hub.createManager({ name: 'Vera' });
    await hub.createManager({ name: 'Gleb' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('a task due at 18:55 (closing 19:00) escalates 5 minutes after the next opening, not at night', async () => {
    const r = await lead(msk('2026-11-23T18:40:00'));
    const t = await task(r.taskId);
    expect(new Date(t.due_at)).toEqual(msk('2026-11-23T18:55:00'));
    expect(new Date(t.escalate_at)).toEqual(msk('2026-11-24T09:05:00'));
    await tickAt(msk('2026-11-23T18:55:00'));
    expect(new Date((await task(r.taskId)).overdue_at)).toEqual(msk('2026-11-23T18:55:00'));
    for (const night of ['2026-11-23T19:05:00', '2026-11-23T23:59:00', '2026-11-24T09:04:59']) {
      await tickAt(msk(night));
      expect((await task(r.taskId)).escalated_at).toBeNull();
    }
    await tickAt(msk('2026-11-24T09:05:00'));
    expect(new Date((await task(r.taskId)).escalated_at)).toEqual(msk('2026-11-24T09:05:00'));
  });

  it('policy notify: the admins are told again, the deal keeps its owner', async () => {
    const r = await lead(msk('2026-11-25T10:00:00'));
    const owner = (await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [r.dealId]))[0].owner_id;
    await tickAt(msk('2026-11-25T10:15:00'));
    await tickAt(msk('2026-11-25T10:25:00'));
    await tickAt(msk('2026-11-25T10:30:00'));
    const sent = await notices(r.taskId, 'task_escalated');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'notify.admins', payload: { assigneeId: owner, reason: expect.stringMatching(/did not call back within 10 min$/) } });
    expect((await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [r.dealId]))[0].owner_id).toBe(owner);
    expect(await hub.query(`SELECT 1 FROM activity WHERE deal_id = $1 AND kind = 'assigned'`, [r.dealId])).toHaveLength(1);
    const [act] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'task_escalated'`, [r.dealId]);
    expect(act.payload).toMatchObject({ policy: 'notify', outcome: 'admins_notified', fromManagerId: owner });
  });

  it('a reminder 5 minutes before a task due 2 minutes after opening comes 3 minutes before the previous closing', async () => {
    const r = await lead(msk('2026-11-26T18:47:00'));
    const t = await task(r.taskId);
    expect(new Date(t.due_at)).toEqual(msk('2026-11-27T09:02:00'));
    expect(new Date(t.remind_at)).toEqual(msk('2026-11-26T18:57:00'));
    await tickAt(msk('2026-11-26T18:56:59'));
    expect(await notices(r.taskId, 'task_reminder')).toHaveLength(0);
    await tickAt(msk('2026-11-26T18:57:00'));
    const sent = await notices(r.taskId, 'task_reminder');
    expect(sent).toHaveLength(1);
    expect(sent[0].payload).toMatchObject({ minutesLeft: 5, dueAt: msk('2026-11-27T09:02:00').toISOString() });
    // Nothing more until the due time the next morning.
    await tickAt(msk('2026-11-27T09:01:59'));
    expect((await task(r.taskId)).overdue_at).toBeNull();
    await tickAt(msk('2026-11-27T09:02:00'));
    expect(new Date((await task(r.taskId)).overdue_at)).toEqual(msk('2026-11-27T09:02:00'));
  });

  it('holidays: no clock runs on a listed day', async () => {
    // Wednesday 18:50 → 10 min that evening, 5 more on Friday (Thursday 2026-12-31 is a holiday).
    const r = await lead(msk('2026-12-30T18:50:00'));
    const t = await task(r.taskId);
    expect(new Date(t.due_at)).toEqual(msk('2027-01-01T09:05:00'));
    expect(new Date(t.remind_at)).toEqual(msk('2027-01-01T09:00:00'));
    expect(new Date(t.escalate_at)).toEqual(msk('2027-01-01T09:15:00'));
    await tickAt(msk('2026-12-31T12:00:00'));
    const quiet = await task(r.taskId);
    expect([quiet.reminded_at, quiet.overdue_at, quiet.escalated_at]).toEqual([null, null, null]);
    await tickAt(msk('2027-01-01T09:05:00'));
    expect(new Date((await task(r.taskId)).overdue_at)).toEqual(msk('2027-01-01T09:05:00'));
    expect(await notices(r.taskId, 'task_overdue')).toHaveLength(2);
  });
});
