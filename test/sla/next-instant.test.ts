import { SlaService } from '@leadline/core';
import { TestHub } from '../support/test-hub';

/**
 * The SLA scheduler sleeps until SlaService.nextInstant(): the earliest reminder, due time or escalation
 * of an open task whose step has not been taken yet. A wrong answer makes every reminder late by up to a
 * whole tick (or early wake-ups for steps already done), which no other test would notice.
 */
describe('SLA next instant', () => {
  let hub: TestHub;
  let sla: SlaService;

  beforeAll(async () => {
    hub = await TestHub.start();
    sla = hub.app.get(SlaService);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('is the earliest step still to take, of open tasks only', async () => {
    await hub.query(`UPDATE task SET status = 'done', completed_at = now() WHERE status = 'open'`);
    expect(await sla.nextInstant()).toBeNull();

    const lead = await hub.postForm({ name: 'Timed Client', phone: '+79165550101' });
    expect(lead.status).toBe(201);
    const [task] = await hub.query(`SELECT id, remind_at, due_at, escalate_at FROM task WHERE deal_id = $1`, [lead.body.dealId]);
    const at = (iso: string) => new Date(iso);
    const set = (sql: string, ...values: unknown[]) => hub.query(`UPDATE task SET ${sql} WHERE id = $1`, [task.id, ...values]);

    await set(`remind_at = $2, due_at = $3, escalate_at = $4`, at('2030-01-01T10:00:00Z'), at('2030-01-01T10:05:00Z'), at('2030-01-01T09:59:00Z'));
    expect(await sla.nextInstant()).toEqual(at('2030-01-01T09:59:00Z'));
    // A step taken no longer counts: the next one is.
    await set(`escalated_at = now()`);
    expect(await sla.nextInstant()).toEqual(at('2030-01-01T10:00:00Z'));
    await set(`reminded_at = now()`);
    expect(await sla.nextInstant()).toEqual(at('2030-01-01T10:05:00Z'));
    // An earlier step of a closed task is not waited for.
    const other = await hub.postForm({ name: 'Closed Client', phone: '+79165550102' });
    await hub.query(`UPDATE task SET remind_at = $2, status = 'done', completed_at = now() WHERE deal_id = $1`, [other.body.dealId, at('2029-01-01T00:00:00Z')]);
    expect(await sla.nextInstant()).toEqual(at('2030-01-01T10:05:00Z'));
    await set(`overdue_at = now()`);
    expect(await sla.nextInstant()).toBeNull();
  });
});
