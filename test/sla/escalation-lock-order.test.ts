import { SlaService } from '@leadline/core';
import { nextPhone, onlyAvailable, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';

const DEALS = 50;

/**
 * Two hub processes escalating two tasks of the same deal at once. Reassignment writes the deal and
 * all its open tasks; if each process held one task of the deal (claimed) and then wanted the deal,
 * they would deadlock. The claim locks deals first, then their tasks, so they never cross.
 *
 * Needs PostgreSQL: two hubs (two connection pools) on one database. PGlite is embedded in one
 * process with one connection, so there is no second process to race.
 */
const title = 'escalation of two tasks of one deal in two processes';
if (usingPostgres()) describe(title, twoProcesses);
else {
  describe(`${title} (needs PostgreSQL)`, () => {
    it('is not run on PGlite: it is embedded in one process with one connection, so two hubs cannot race on it; set DATABASE_URL to run it', () => {
      expect(usingPostgres()).toBe(false);
    });
  });
}

function twoProcesses(): void {
  let a: TestHub;
  let b: TestHub;
  let managers: string[];
  const T0 = new Date('2026-11-23T10:00:00Z');
  const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

  beforeAll(async () => {
    a = await TestHub.start({ CALLBACK_SLA_MINUTES: '15', ESCALATION_MINUTES: '10', ESCALATION_POLICY: 'reassign' });
    b = await TestHub.start({ DATABASE_URL: a.config.DATABASE_URL!, CALLBACK_SLA_MINUTES: '15', ESCALATION_MINUTES: '10', ESCALATION_POLICY: 'reassign' });
    await raiseFormRateLimit(a);
    managers = [];
    for (const name of ['Lock Anna', 'Lock Boris', 'Lock Clara']) managers.push((await a.createManager({ name })).id);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it.each([1, 2, 3])('round %i: no deadlock, each task escalated once, each deal reassigned once', async (round) => {
    const start = at(round * 1000);
    a.clock.set(start);
    b.clock.set(start);
    await onlyAvailable(a, managers, managers[0]);
    const deals: Array<{ dealId: string; contactId: string }> = [];
    for (let i = 0; i < DEALS; i++) deals.push(await postLead(a, { name: `Lock ${round}-${i}`, phone: nextPhone().typed }));
    await onlyAvailable(a, managers, null);
    for (const id of managers) await a.query(`UPDATE manager SET available = true WHERE id = $1`, [id]);

    // A second open task per deal escalating just after all the callback tasks: a batch of 50 holds every
    // callback task, so the other process's batch holds every follow-up, one task of each deal per process.
    const escalateAt = new Date(start.getTime() + 25 * 60_000);
    await a.query(
      `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at, reminded_at, overdue_at, created_at)
       SELECT d.id, d.contact_id, d.owner_id, 'follow_up', 'Send the price list', $2::timestamptz, $2::timestamptz, $3::timestamptz, $2::timestamptz, $2::timestamptz, $4::timestamptz
         FROM deal d WHERE d.id = ANY($1::uuid[])`,
      [deals.map((d) => d.dealId), new Date(escalateAt.getTime() - 10 * 60_000 + 1000), new Date(escalateAt.getTime() + 1000), start],
    );
    await a.query(`UPDATE task SET reminded_at = $2, overdue_at = $2 WHERE deal_id = ANY($1::uuid[]) AND kind = 'callback'`, [deals.map((d) => d.dealId), start]);

    const when = new Date(escalateAt.getTime() + 2000);
    a.clock.set(when);
    b.clock.set(when);
    const results = await Promise.allSettled([a.app.get(SlaService).tick(), b.app.get(SlaService).tick()]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const escalated = results.reduce((n, r) => n + (r as PromiseFulfilledResult<{ escalated: number }>).value.escalated, 0);
    expect(escalated).toBe(DEALS * 2);

    const ids = deals.map((d) => d.dealId);
    const [counts] = await a.query(
      `SELECT (SELECT count(*) FROM task WHERE deal_id = ANY($1::uuid[]) AND escalated_at IS NOT NULL)::int AS tasks_escalated,
              (SELECT count(*) FROM activity WHERE deal_id = ANY($1::uuid[]) AND kind = 'task_escalated')::int AS escalation_entries,
              (SELECT count(*) FROM activity WHERE deal_id = ANY($1::uuid[]) AND kind = 'assigned' AND payload->>'reason' LIKE 'escalated:%')::int AS reassignments,
              (SELECT count(DISTINCT deal_id) FROM activity WHERE deal_id = ANY($1::uuid[]) AND kind = 'assigned' AND payload->>'reason' LIKE 'escalated:%')::int AS deals_reassigned,
              (SELECT count(*) FROM deal d WHERE d.id = ANY($1::uuid[]) AND d.owner_id <> $2
                  AND NOT EXISTS (SELECT 1 FROM task t WHERE t.deal_id = d.id AND t.status = 'open' AND t.assignee_id <> d.owner_id))::int AS moved_with_tasks`,
      [ids, managers[0]],
    );
    expect(counts).toEqual({ tasks_escalated: DEALS * 2, escalation_entries: DEALS * 2, reassignments: DEALS, deals_reassigned: DEALS, moved_with_tasks: DEALS });

    await a.query(`UPDATE task SET status = 'cancelled' WHERE deal_id = ANY($1::uuid[]) AND status = 'open'`, [ids]);
    await a.query(`UPDATE deal SET stage = 'lost', lost_reason = 'test reset', closed_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  });
}
