import { randomUUID } from 'node:crypto';
import type { TestHub } from '../support/test-hub';

export interface SeedDeal {
  owner: string | null;
  channel: string;
  utm?: Record<string, string>;
  createdAt: string;
  /** Minutes from creation to the first response; absent = never answered. */
  respondedAfterMin?: number;
  stage: string;
  amount?: number;
  /** stage_changed moves as [from, to] pairs. */
  moves?: Array<[string, string]>;
  name?: string;
}

/** Writes a deal (with its contact and stage_changed activities) exactly as given; returns ids. */
export async function seedDeal(hub: TestHub, d: SeedDeal): Promise<{ dealId: string; contactId: string }> {
  const contactId = randomUUID();
  const dealId = randomUUID();
  const created = new Date(d.createdAt);
  await hub.query(`INSERT INTO contact (id, name, owner_id, created_at, last_activity_at) VALUES ($1, $2, $3, $4, $4)`, [contactId, d.name ?? `Seed ${dealId.slice(0, 6)}`, d.owner, created]);
  const responded = d.respondedAfterMin === undefined ? null : new Date(created.getTime() + d.respondedAfterMin * 60_000);
  const closed = d.stage === 'won' || d.stage === 'lost' ? new Date(created.getTime() + 3 * 3600_000) : null;
  await hub.query(
    `INSERT INTO deal (id, contact_id, owner_id, stage, source_channel, source, amount, first_response_at, closed_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [dealId, contactId, d.owner, d.stage, d.channel, JSON.stringify(d.utm ? { utm: d.utm } : {}), d.amount ?? null, responded, closed, created],
  );
  let i = 0;
  for (const [from, to] of d.moves ?? []) {
    i++;
    await activity(hub, { contactId, dealId, kind: 'stage_changed', actorId: d.owner, at: new Date(created.getTime() + i * 60_000).toISOString(), payload: { from, to } });
  }
  return { dealId, contactId };
}

export async function activity(
  hub: TestHub,
  a: { contactId: string; dealId: string | null; kind: string; actorId: string | null; at: string; payload: Record<string, unknown> },
): Promise<void> {
  await hub.query(`INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload) VALUES ($1, $2, $3, 'phone', $4, $5, $6)`, [
    a.contactId,
    a.dealId,
    a.kind,
    a.actorId,
    new Date(a.at),
    JSON.stringify(a.payload),
  ]);
}

export async function seedTask(hub: TestHub, t: { dealId: string; contactId: string; assigneeId: string; dueAt: string; status: 'open' | 'done' }): Promise<void> {
  await hub.query(
    `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, status, completed_at) VALUES ($1, $2, $3, 'follow_up', 'Follow up', $4, $5, $6)`,
    [t.dealId, t.contactId, t.assigneeId, new Date(t.dueAt), t.status, t.status === 'done' ? new Date(t.dueAt) : null],
  );
}

export const call = (direction: 'inbound' | 'outbound', answered: boolean, durationSeconds: number) => ({
  callId: randomUUID(),
  direction,
  status: answered ? 'completed' : 'no-answer',
  answered,
  durationSeconds,
  from: '+79120000001',
  to: '+79120000002',
});
