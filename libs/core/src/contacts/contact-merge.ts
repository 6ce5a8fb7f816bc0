import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../core-options';
import { returnedRows } from '../database/returned-rows';
import { TimelineService } from '../timeline/timeline.service';

export interface MergeOutcome {
  survivorId: string;
  mergedId: string;
  /** Rows moved per table.column that referenced the merged contact. */
  moved: Record<string, number>;
}

/**
 * Merges one contact into another when they turn out to be the same person (a Telegram client shares
 * the phone an earlier caller or form lead used). Everything that points at the merged contact —
 * identities, deals, tasks, activities, calls, and any table a channel adds with a foreign key to
 * contact — moves to the survivor; the merged row stays as a tombstone (merged_into_id) so old links
 * resolve. A 'merged' activity records what happened.
 */
@Injectable()
export class ContactMergeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly timeline: TimelineService,
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
    await em.query(
      `UPDATE contact s SET name = COALESCE(s.name, m.name), owner_id = COALESCE(s.owner_id, m.owner_id),
              last_activity_at = GREATEST(s.last_activity_at, m.last_activity_at), updated_at = now()
         FROM contact m WHERE s.id = $1 AND m.id = $2`,
      [survivorId, mergedId],
    );
    await em.query(`UPDATE contact SET merged_into_id = $1, updated_at = now() WHERE id = $2`, [survivorId, mergedId]);
    await this.timeline.record(em, {
      contactId: survivorId,
      kind: 'merged',
      channel: why.channel ?? null,
      actorId: why.actorId ?? null,
      occurredAt: this.clock.now(),
      payload: { mergedContactId: mergedId, mergedName: merged.name, identities, moved, reason: why.reason },
    });
    return { survivorId, mergedId, moved };
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
