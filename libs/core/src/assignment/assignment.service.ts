import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../core-options';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { TimelineService } from '../timeline/timeline.service';
import { pickByCounter } from './round-robin.strategy';

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
  /** Counted only for managers with a capacity limit. */
  open_deals: string | number;
}

/**
 * Who gets a lead: (1) the contact's active owner, (2) weighted round robin among active, available
 * managers under capacity, (3) nobody: the deal waits in the unassigned queue and admins are told.
 *
 * Round robin draws its turn from a database sequence (see round-robin.strategy.ts), so concurrent
 * intakes never wait for each other. Only a manager with a capacity limit is locked (its row, until
 * commit) to re-check the limit: two simultaneous leads cannot both take their last free slot.
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
      `SELECT m.id, m.name, m.available, m.capacity, m.weight,
              CASE WHEN m.capacity IS NULL THEN 0
                   ELSE (SELECT count(*) FROM deal d WHERE d.owner_id = m.id AND d.closed_at IS NULL) END AS open_deals
         FROM manager m WHERE m.active AND m.role = 'manager' ORDER BY m.id`,
    );
    if (managers.length === 0) {
      return { managerId: null, managerName: null, rule: 'queue', reason: 'no active managers: waiting in the unassigned queue' };
    }
    const excluded = new Map<string, string>();
    for (const m of managers) {
      if (!m.available) excluded.set(m.id, `${m.name} paused`);
      else if (m.capacity !== null && Number(m.open_deals) >= m.capacity) excluded.set(m.id, `${m.name} at capacity`);
    }
    let eligible = managers.filter((m) => !excluded.has(m.id));
    while (eligible.length > 0) {
      const [{ turn }] = await em.query(`SELECT nextval('assignment_turn_seq') AS turn`);
      const chosen = pickByCounter(eligible, BigInt(turn))!;
      if (chosen.capacity === null || (await this.claimCapacity(em, chosen))) {
        const why = explainExcluded(excluded);
        return {
          managerId: chosen.id,
          managerName: chosen.name,
          rule: 'round_robin',
          reason: `round robin, ${eligible.length} eligible of ${managers.length}${why}`,
        };
      }
      // Filled up by a concurrent lead since we looked.
      excluded.set(chosen.id, `${chosen.name} at capacity`);
      eligible = eligible.filter((m) => m.id !== chosen.id);
    }
    const why = explainExcluded(excluded);
    return { managerId: null, managerName: null, rule: 'queue', reason: `no eligible manager${why}; waiting in the unassigned queue` };
  }

  /** Locks the manager row (until commit) and re-counts open deals: true when a slot is free. */
  private async claimCapacity(em: EntityManager, m: ManagerRow): Promise<boolean> {
    await em.query(`SELECT id FROM manager WHERE id = $1 FOR UPDATE`, [m.id]);
    const [{ n }] = await em.query(`SELECT count(*) AS n FROM deal WHERE owner_id = $1 AND closed_at IS NULL`, [m.id]);
    return Number(n) < (m.capacity ?? Infinity);
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

/** "B paused, C at capacity", in name order so the sentence reads the same every time. */
function explainExcluded(excluded: Map<string, string>): string {
  return excluded.size ? `: ${[...excluded.values()].sort((a, b) => a.localeCompare(b)).join(', ')}` : '';
}
