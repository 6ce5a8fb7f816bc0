import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../core-options';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { TimelineService } from '../timeline/timeline.service';
import { pickSmoothWeighted } from './round-robin.strategy';

export type AssignmentRule = 'sticky' | 'round_robin' | 'queue' | 'taken' | 'manual';

export interface AssignmentDecision {
  managerId: string | null;
  managerName: string | null;
  rule: AssignmentRule;
  /** Human sentence for the timeline: why this manager (or nobody) got the lead. */
  reason: string;
}

interface ManagerRow {
  id: string;
  name: string;
  available: boolean;
  capacity: number | null;
  weight: number;
  rr_score: number;
}

/**
 * Who gets a lead: (1) the contact's active owner, (2) weighted round robin among active, available
 * managers under capacity, (3) nobody: the deal waits in the unassigned queue and admins are told.
 *
 * Round robin locks every active manager row (in id order, so concurrent intakes cannot deadlock)
 * for the rest of the transaction; this serialises picks and keeps them fair under concurrency.
 */
@Injectable()
export class AssignmentService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly timeline: TimelineService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  async decide(em: EntityManager, contactOwnerId: string | null): Promise<AssignmentDecision> {
    if (contactOwnerId) {
      const [owner] = await em.query(`SELECT id, name FROM manager WHERE id = $1 AND active`, [contactOwnerId]);
      if (owner) return { managerId: owner.id, managerName: owner.name, rule: 'sticky', reason: 'sticky owner' };
    }
    return this.roundRobin(em);
  }

  async roundRobin(em: EntityManager): Promise<AssignmentDecision> {
    const managers: ManagerRow[] = await em.query(
      `SELECT id, name, available, capacity, weight, rr_score FROM manager
        WHERE active AND role = 'manager' ORDER BY id FOR UPDATE`,
    );
    if (managers.length === 0) {
      return { managerId: null, managerName: null, rule: 'queue', reason: 'no active managers: waiting in the unassigned queue' };
    }
    const counts = new Map<string, number>();
    const limited = managers.filter((m) => m.capacity !== null).map((m) => m.id);
    if (limited.length > 0) {
      const rows: Array<{ owner_id: string; open: string }> = await em.query(
        `SELECT owner_id, count(*) AS open FROM deal WHERE closed_at IS NULL AND owner_id = ANY($1::uuid[]) GROUP BY owner_id`,
        [limited],
      );
      for (const r of rows) counts.set(r.owner_id, Number(r.open));
    }
    const excluded: string[] = [];
    const eligible = managers.filter((m) => {
      if (!m.available) {
        excluded.push(`${m.name} paused`);
        return false;
      }
      if (m.capacity !== null && (counts.get(m.id) ?? 0) >= m.capacity) {
        excluded.push(`${m.name} at capacity`);
        return false;
      }
      return true;
    });
    const why = excluded.length ? `: ${excluded.join(', ')}` : '';
    const pick = pickSmoothWeighted(eligible.map((m) => ({ id: m.id, weight: m.weight, current: m.rr_score })));
    if (!pick) {
      return { managerId: null, managerName: null, rule: 'queue', reason: `no eligible manager${why}; waiting in the unassigned queue` };
    }
    // Managers out of the rotation restart from zero, so a returning manager is not owed a burst of leads.
    const ids = managers.map((m) => m.id);
    const scores = managers.map((m) => pick.scores.get(m.id) ?? 0);
    await em.query(
      `UPDATE manager SET rr_score = s.score FROM unnest($1::uuid[], $2::int[]) AS s(id, score) WHERE manager.id = s.id`,
      [ids, scores],
    );
    const chosen = eligible.find((m) => m.id === pick.chosenId)!;
    return {
      managerId: chosen.id,
      managerName: chosen.name,
      rule: 'round_robin',
      reason: `round robin, ${eligible.length} eligible of ${managers.length}${why}`,
    };
  }

  /**
   * Gives a deal (and its open unassigned tasks, and an ownerless contact) to a manager and writes
   * the "why" to the timeline. With no manager, parks it in the queue and notifies admins.
   */
  async apply(
    em: EntityManager,
    deal: { id: string; contactId: string },
    decision: AssignmentDecision,
    actorId: string | null,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const now = this.clock.now();
    if (!decision.managerId) {
      await em.query(`UPDATE deal SET owner_id = NULL, updated_at = now() WHERE id = $1`, [deal.id]);
      await this.timeline.record(em, {
        contactId: deal.contactId,
        dealId: deal.id,
        kind: 'unassigned',
        occurredAt: now,
        actorId,
        payload: { rule: decision.rule, reason: decision.reason },
      });
      await this.outbox.enqueue(em, OutboxKind.NotifyAdmins, { event: 'deal_unassigned', dealId: deal.id, contactId: deal.contactId, reason: decision.reason });
      return;
    }
    await em.query(`UPDATE deal SET owner_id = $2, updated_at = now() WHERE id = $1`, [deal.id, decision.managerId]);
    // Open tasks follow the deal to its new owner.
    await em.query(`UPDATE task SET assignee_id = $2 WHERE deal_id = $1 AND status = 'open'`, [deal.id, decision.managerId]);
    await em.query(
      `UPDATE contact SET owner_id = $2, updated_at = now() WHERE id = $1
          AND (owner_id IS NULL OR owner_id = $2 OR NOT EXISTS (SELECT 1 FROM manager m WHERE m.id = contact.owner_id AND m.active))`,
      [deal.contactId, decision.managerId],
    );
    await this.timeline.record(em, {
      contactId: deal.contactId,
      dealId: deal.id,
      kind: 'assigned',
      occurredAt: now,
      actorId,
      payload: { managerId: decision.managerId, managerName: decision.managerName, rule: decision.rule, reason: decision.reason },
    });
    await this.outbox.enqueue(em, OutboxKind.NotifyManager, {
      event: 'lead_assigned',
      managerId: decision.managerId,
      dealId: deal.id,
      contactId: deal.contactId,
      ...extra,
    });
  }

  /** A manager takes a deal from the unassigned queue; the first taker wins. */
  async takeFromQueue(dealId: string, manager: { id: string; name: string }): Promise<'taken' | 'already_taken' | 'not_found'> {
    return this.db.transaction(async (em) => {
      const [deal] = await em.query(`SELECT id, contact_id, owner_id, closed_at FROM deal WHERE id = $1 FOR UPDATE`, [dealId]);
      if (!deal || deal.closed_at) return 'not_found';
      if (deal.owner_id) return 'already_taken';
      await this.apply(em, { id: deal.id, contactId: deal.contact_id }, { managerId: manager.id, managerName: manager.name, rule: 'taken', reason: 'taken from queue' }, manager.id);
      return 'taken';
    });
  }

  /**
   * Hands queued deals, oldest first, to managers who can now take them (after a manager resumes,
   * is added or gets more capacity). Stops when the queue is empty or nobody is eligible.
   */
  async drainQueue(limit = 500): Promise<number> {
    let assigned = 0;
    for (; assigned < limit; assigned++) {
      const done = await this.db.transaction(async (em) => {
        const [deal] = await em.query(
          `SELECT id, contact_id FROM deal WHERE owner_id IS NULL AND closed_at IS NULL ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        );
        if (!deal) return true;
        const decision = await this.roundRobin(em);
        if (!decision.managerId) return true;
        const [task] = await em.query(`SELECT id FROM task WHERE deal_id = $1 AND status = 'open' ORDER BY due_at LIMIT 1`, [deal.id]);
        await this.apply(em, { id: deal.id, contactId: deal.contact_id }, { ...decision, reason: `from the unassigned queue, ${decision.reason}` }, null, {
          taskId: task?.id ?? null,
        });
        return false;
      });
      if (done) break;
    }
    return assigned;
  }
}
