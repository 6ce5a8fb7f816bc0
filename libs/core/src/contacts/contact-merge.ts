import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../core-options';
import { returnedRows } from '../database/returned-rows';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { TimelineService, type NewActivity } from '../timeline/timeline.service';

export interface MergeOutcome {
  survivorId: string;
  mergedId: string;
  /** Rows moved per table.column that referenced the merged contact. */
  moved: Record<string, number>;
  /** The person's one open deal after the merge (null when neither had one). */
  openDealId: string | null;
  /** Open deals closed as merged into `openDealId`. */
  closedDealIds: string[];
  /** Duplicate open callback tasks cancelled. */
  cancelledTaskIds: string[];
}

interface OpenDeal {
  id: string;
  owner_id: string | null;
  title: string | null;
  first_response_at: Date | null;
}

interface OpenTask {
  id: string;
  deal_id: string;
  kind: string;
  title: string;
  due_at: Date;
  assignee_id: string | null;
  stage_rule_id: string | null;
  follows_owner: boolean;
}

/**
 * Merges one contact into another when they turn out to be the same person (a Telegram client shares
 * the phone an earlier caller or form lead used). Everything that points at the merged contact —
 * identities, deals, tasks, activities, calls, and any table a channel adds with a foreign key to
 * contact — moves to the survivor; the merged row stays as a tombstone (merged_into_id) so old links
 * resolve, and its name stays searchable as an alias.
 *
 * One person has one open deal and one callback task: when both contacts had an open deal, the oldest
 * stays open and the others are closed as merged into it (their history stays on them, a
 * `deal_merged` entry on both says so); of the open callback tasks the one due first stays (moved to
 * the open deal if it was on a closed one) and the others are cancelled with the reason.
 */
@Injectable()
export class ContactMergeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly timeline: TimelineService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  async merge(em: EntityManager | undefined, survivorId: string, mergedId: string, why: { reason: string; actorId?: string | null; channel?: string | null }): Promise<MergeOutcome | null> {
    if (!em) return this.db.transaction((tx) => this.merge(tx, survivorId, mergedId, why));
    if (survivorId === mergedId) return null;
    // Both rows, always in id order: two merges of the same pair in opposite directions cannot deadlock.
    const locked: Array<{ id: string; name: string | null; owner_id: string | null; merged_into_id: string | null }> = await em.query(
      `SELECT id, name, owner_id, merged_into_id FROM contact WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [[survivorId, mergedId]],
    );
    const survivor = locked.find((c) => c.id === survivorId);
    const merged = locked.find((c) => c.id === mergedId);
    if (!survivor || !merged || merged.merged_into_id || survivor.merged_into_id) return null;

    const identities: Array<{ kind: string; value: string }> = await em.query(`SELECT kind, value FROM contact_identity WHERE contact_id = $1 ORDER BY kind, value`, [mergedId]);
    const moved: Record<string, number> = {};
    for (const ref of await this.references(em)) {
      const rows = returnedRows(await em.query(`UPDATE "${ref.table}" SET "${ref.column}" = $1 WHERE "${ref.column}" = $2 RETURNING 1`, [survivorId, mergedId]));
      const count = rows.length;
      if (count) moved[`${ref.table}.${ref.column}`] = count;
    }
    // The absorbed contact's names stay searchable (the Telegram name after a shared-phone merge).
    await em.query(
      `UPDATE contact s SET name = COALESCE(s.name, m.name), owner_id = COALESCE(s.owner_id, m.owner_id),
              aliases = ARRAY(SELECT DISTINCT a FROM unnest(s.aliases || m.aliases || ARRAY[m.name, s.name]) AS a
                               WHERE a IS NOT NULL AND a <> COALESCE(s.name, m.name) ORDER BY a),
              last_activity_at = GREATEST(s.last_activity_at, m.last_activity_at), updated_at = now()
         FROM contact m WHERE s.id = $1 AND m.id = $2`,
      [survivorId, mergedId],
    );
    await em.query(`UPDATE contact SET merged_into_id = $1, updated_at = now() WHERE id = $2`, [survivorId, mergedId]);
    const at = this.clock.now();
    await this.timeline.record(em, {
      contactId: survivorId,
      kind: 'merged',
      channel: why.channel ?? null,
      actorId: why.actorId ?? null,
      occurredAt: at,
      payload: { mergedContactId: mergedId, mergedName: merged.name, identities, moved, reason: why.reason },
    });
    const deals = await this.oneOpenDeal(em, survivorId, at, why);
    return { survivorId, mergedId, moved, ...deals };
  }

  /** Leaves the person with one open deal and one open callback task (see the class comment). */
  private async oneOpenDeal(
    em: EntityManager,
    contactId: string,
    at: Date,
    why: { reason: string; actorId?: string | null; channel?: string | null },
  ): Promise<Pick<MergeOutcome, 'openDealId' | 'closedDealIds' | 'cancelledTaskIds'>> {
    // Deals before tasks: the lock order of every writer of both.
    const open: OpenDeal[] = await em.query(
      `SELECT id, owner_id, title, first_response_at FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at, id FOR NO KEY UPDATE`,
      [contactId],
    );
    if (open.length <= 1) return { openDealId: open[0]?.id ?? null, closedDealIds: [], cancelledTaskIds: [] };
    const [keep, ...others] = open;
    const otherIds = others.map((d) => d.id);
    const tasks: OpenTask[] = await em.query(
      `SELECT id, deal_id, kind, title, due_at, assignee_id, stage_rule_id, follows_owner FROM task
        WHERE deal_id = ANY($1::uuid[]) AND status = 'open' ORDER BY due_at, created_at, id FOR UPDATE`,
      [open.map((d) => d.id)],
    );
    const activities: NewActivity[] = [];
    const cancel = async (t: OpenTask, reason: string) => {
      await em.query(`UPDATE task SET status = 'cancelled', completed_at = $2, completed_by_id = $3 WHERE id = $1`, [t.id, at, why.actorId ?? null]);
      activities.push({
        contactId,
        dealId: t.deal_id,
        kind: 'task_cancelled',
        actorId: why.actorId ?? null,
        occurredAt: at,
        payload: { taskId: t.id, kind: t.kind, title: t.title, dueAt: new Date(t.due_at).toISOString(), reason, text: `"${t.title}" cancelled: ${reason}` },
      });
    };

    // The callback promised first is the one the client is waiting on.
    const callbacks = tasks.filter((t) => t.kind === 'callback');
    const keptCallback = callbacks[0] ?? null;
    const cancelledTaskIds: string[] = [];
    for (const t of callbacks.slice(1)) {
      await cancel(t, `duplicate callback after merging contacts (${why.reason}); the one due first stays`);
      cancelledTaskIds.push(t.id);
    }
    if (keptCallback && keptCallback.deal_id !== keep.id) {
      await em.query(`UPDATE task SET deal_id = $2, assignee_id = CASE WHEN follows_owner THEN $3::uuid ELSE assignee_id END WHERE id = $1`, [keptCallback.id, keep.id, keep.owner_id]);
    }
    // Other open tasks: a stage rule's belong to the closed deal's stage and end with it; tasks people made move along.
    for (const t of tasks.filter((x) => x.kind !== 'callback' && x.deal_id !== keep.id)) {
      if (t.stage_rule_id) {
        await cancel(t, 'its deal was closed as merged into another deal of the same person');
        cancelledTaskIds.push(t.id);
      } else {
        await em.query(`UPDATE task SET deal_id = $2, assignee_id = CASE WHEN follows_owner THEN $3::uuid ELSE assignee_id END WHERE id = $1`, [t.id, keep.id, keep.owner_id]);
      }
    }

    const firstResponse = open.map((d) => d.first_response_at).filter((x): x is Date => !!x).sort((a, b) => new Date(a).getTime() - new Date(b).getTime())[0] ?? null;
    await em.query(`UPDATE deal SET closed_at = $2, merged_into_deal_id = $3, updated_at = now() WHERE id = ANY($1::uuid[])`, [otherIds, at, keep.id]);
    await em.query(`UPDATE deal SET first_response_at = COALESCE(LEAST(first_response_at, $2::timestamptz), $2::timestamptz), updated_at = now() WHERE id = $1`, [keep.id, firstResponse]);
    for (const d of others) {
      const payload = { mergedDealId: d.id, intoDealId: keep.id, mergedTitle: d.title, intoTitle: keep.title, reason: why.reason };
      activities.push({ contactId, dealId: d.id, kind: 'deal_merged', channel: why.channel ?? null, actorId: why.actorId ?? null, occurredAt: at, payload });
      activities.push({ contactId, dealId: keep.id, kind: 'deal_merged', channel: why.channel ?? null, actorId: why.actorId ?? null, occurredAt: at, payload });
    }
    await this.timeline.record(em, ...activities);
    // The owner of a closed deal hears where the person went (unless it is their own deal that stays).
    const told = new Set<string>();
    for (const d of others) {
      if (!d.owner_id || d.owner_id === keep.owner_id || told.has(d.owner_id)) continue;
      told.add(d.owner_id);
      await this.outbox.enqueue(em, {
        kind: OutboxKind.NotifyManager,
        payload: { event: 'deal_merged', managerId: d.owner_id, dealId: keep.id, contactId, mergedDealId: d.id, toManagerId: keep.owner_id, reason: why.reason },
      });
    }
    return { openDealId: keep.id, closedDealIds: otherIds, cancelledTaskIds };
  }

  /** Every single-column foreign key to contact(id), except the tombstone pointer itself. */
  private async references(em: EntityManager): Promise<Array<{ table: string; column: string }>> {
    const rows: Array<{ table: string; column: string }> = await em.query(
      `SELECT c.conrelid::regclass::text AS "table", a.attname AS "column"
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confrelid = 'contact'::regclass AND array_length(c.conkey, 1) = 1
        ORDER BY 1, 2`,
    );
    return rows.filter((r) => !(r.table === 'contact' && r.column === 'merged_into_id')).map((r) => ({ table: r.table.replace(/"/g, ''), column: r.column }));
  }
}
