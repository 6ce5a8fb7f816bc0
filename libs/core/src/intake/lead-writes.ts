import { EntityManager } from 'typeorm';
import { contactTouchSet } from '../contacts/contact-activity';
import { ACTIVITY_COLUMNS, insertFromJson, type ColumnTypes } from '../database/json-rows';
import { insertOutboxSql, outboxRow, type NewOutboxMessage } from '../outbox/outbox.service';
import { RULE_TASK_COLUMNS, ruleTaskRow, type PlannedTask } from '../pipelines/stage-automation';
import { activityRow, type NewActivity } from '../timeline/timeline.service';

const IDENTITY_COLUMNS: ColumnTypes = { contact_id: 'uuid', kind: 'text', value: 'text', details: 'jsonb' };

/**
 * Everything one intake writes, gathered while it reads and decides, then written in ONE statement
 * (data-modifying CTEs; foreign keys are checked at the end of the statement). Ids are made here,
 * not by the database, so rows can point at each other before they exist. An intake is then a handful
 * of round trips instead of ~30 (see docs/BENCHMARKS.md).
 */
export class LeadWrites {
  newContact?: { id: string; name: string | null; ownerId: string | null; at: Date };
  /** A known contact: fill a missing name, move last activity, take an owner if it has none active. */
  knownContact?: { id: string; name: string | null; at: Date; ownerId: string | null };
  identities: Array<{ contactId: string; kind: string; value: string; details: Record<string, unknown> }> = [];
  /** pipelineId/stageId: the entry stage (the default pipeline's first open stage). */
  newDeal?: { id: string; contactId: string; ownerId: string | null; channel: string; source: unknown; title: string; pipelineId?: string; stageId?: string; stage?: string; createdAt?: Date };
  /** An existing open deal (from the queue, or whose owner left) gets an owner; its open tasks follow. */
  dealOwner?: { id: string; ownerId: string | null };
  newTask?: { id: string; dealId: string; contactId: string; assigneeId: string | null; title: string; dueAt: Date; remindAt: Date | null; escalateAt: Date; createdAt: Date };
  /** Tasks the entry stage's rules make for a new deal. */
  ruleTasks: PlannedTask[] = [];
  activities: NewActivity[] = [];
  outbox: NewOutboxMessage[] = [];
  receipt?: { id: string; result: unknown };

  async flush(em: EntityManager): Promise<void> {
    const parts: string[] = [];
    const params: unknown[] = [];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (this.newContact) {
      const c = this.newContact;
      parts.push(`INSERT INTO contact (id, name, owner_id, last_activity_at) VALUES (${p(c.id)}, ${p(c.name)}, ${p(c.ownerId)}, ${p(c.at)})`);
    }
    if (this.knownContact) {
      const c = this.knownContact;
      const owner = p(c.ownerId);
      parts.push(
        `UPDATE contact SET name = COALESCE(name, ${p(c.name)}), ${contactTouchSet(p(c.at))},
           owner_id = CASE WHEN ${owner}::uuid IS NOT NULL
                            AND (owner_id IS NULL OR NOT EXISTS (SELECT 1 FROM manager m WHERE m.id = contact.owner_id AND m.active))
                           THEN ${owner}::uuid ELSE owner_id END
         WHERE id = ${p(c.id)}`,
      );
    }
    if (this.identities.length) {
      params.push(JSON.stringify(this.identities.map((i) => ({ contact_id: i.contactId, kind: i.kind, value: i.value, details: i.details }))));
      parts.push(insertFromJson('contact_identity', IDENTITY_COLUMNS, params.length));
    }
    if (this.newDeal) {
      const d = this.newDeal;
      parts.push(
        `INSERT INTO deal (id, contact_id, owner_id, stage, pipeline_id, stage_id, source_channel, source, title, created_at)
         VALUES (${p(d.id)}, ${p(d.contactId)}, ${p(d.ownerId)}, ${p(d.stage ?? 'new')}, ${p(d.pipelineId ?? null)}, ${p(d.stageId ?? null)}, ${p(d.channel)}, ${p(JSON.stringify(d.source ?? {}))}, ${p(d.title)}, COALESCE(${p(d.createdAt ?? null)}::timestamptz, now()))`,
      );
    }
    if (this.dealOwner) {
      const d = this.dealOwner;
      parts.push(`UPDATE deal SET owner_id = ${p(d.ownerId)}, updated_at = now() WHERE id = ${p(d.id)}`);
      if (d.ownerId) parts.push(`UPDATE task SET assignee_id = ${p(d.ownerId)} WHERE deal_id = ${p(d.id)} AND status = 'open' AND follows_owner`);
    }
    if (this.newTask) {
      const t = this.newTask;
      parts.push(
        `INSERT INTO task (id, deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at, created_at)
         VALUES (${p(t.id)}, ${p(t.dealId)}, ${p(t.contactId)}, ${p(t.assigneeId)}, 'callback', ${p(t.title)}, ${p(t.dueAt)}, ${p(t.remindAt)}, ${p(t.escalateAt)}, ${p(t.createdAt)})`,
      );
    }
    if (this.ruleTasks.length) {
      params.push(JSON.stringify(this.ruleTasks.map(ruleTaskRow)));
      parts.push(insertFromJson('task', RULE_TASK_COLUMNS, params.length));
    }
    if (this.activities.length) {
      params.push(JSON.stringify(this.activities.map(activityRow)));
      parts.push(insertFromJson('activity', ACTIVITY_COLUMNS, params.length));
    }
    if (this.outbox.length) {
      params.push(JSON.stringify(this.outbox.map(outboxRow)));
      parts.push(insertOutboxSql(params.length));
    }
    if (this.receipt) {
      parts.push(`UPDATE inbound_receipt SET status = 'processed', result = ${p(JSON.stringify(this.receipt.result))}, error = NULL, processed_at = now() WHERE id = ${p(this.receipt.id)}`);
    }
    if (parts.length === 0) return;
    const sql = `WITH ${parts.map((part, i) => `w${i} AS (${part})`).join(',\n')} SELECT 1`;
    await em.query(sql, params);
  }
}
