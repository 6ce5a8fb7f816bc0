import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../core-options';
import { isOnShift } from '../managers/shift-schedule';
import { OutboxKind, OutboxService, type NewOutboxMessage } from '../outbox/outbox.service';
import { TimelineService, type NewActivity } from '../timeline/timeline.service';
import { pickByCounter } from './round-robin.strategy';

export type AssignmentRule = 'sticky' | 'round_robin' | 'queue' | 'taken' | 'manual';

/** Why a manager cannot take a lead now, as a code the UI renders in the reader's language. */
export type Unavailability = 'not_recipient' | 'paused' | 'off_shift' | 'at_capacity' | 'escalated_from';

/** The English words of each code, for the `reason` sentence kept for API consumers and old readers. */
const UNAVAILABILITY_TEXT: Record<Unavailability, string> = {
  not_recipient: 'not a lead recipient',
  paused: 'paused',
  off_shift: 'off shift',
  at_capacity: 'at capacity',
  escalated_from: 'escalated from',
};

/**
 * The facts behind `reason`, stored on the timeline entry so the UI writes the sentence in the
 * reader's language ("next in turn, 3 of 5 could take it: B paused" / "по очереди, могли взять 3 из 5: B — на паузе").
 */
export interface AssignmentParams {
  /** Round robin: how many could take it, of how many lead recipients (0 of 0: no active managers). */
  eligible?: number;
  total?: number;
  excluded?: Array<{ name: string; why: Unavailability }>;
  /** The contact's owner, passed over. */
  passedOwner?: { name: string; why: Unavailability };
  /** Drained from the unassigned queue. */
  fromQueue?: boolean;
  /** Escalated away from a late manager (sla.service). */
  escalated?: { fromName: string | null; minutes: number; taskKind: string; title: string };
  /** An escalation made on a false premise, undone (call-reconciliation). */
  escalationUndone?: { from: string | null; answeredAt: string; managerName: string };
}

export interface AssignmentDecision {
  managerId: string | null;
  managerName: string | null;
  rule: AssignmentRule;
  /** Human sentence for the timeline: why this manager (or nobody) got the lead. */
  reason: string;
  /** The facts of `reason`, for the reader's language. */
  params?: AssignmentParams;
  /** The contact's owner, passed over because paused or off shift: told who got their contact's lead. */
  passedOwner?: { id: string; name: string; why: string; whyCode: Unavailability };
}

/** The contact's owner as the sticky rule needs it (read with the contact, only while active). */
export interface StickyOwner {
  id: string;
  name: string;
  available: boolean;
  /** Marked as a lead recipient (admins are not, unless an admin marks them). */
  receivesLeads: boolean;
  shift: string | null;
  timezone: string;
}

interface ManagerRow {
  id: string;
  name: string;
  available: boolean;
  shift: string | null;
  timezone: string;
  capacity: number | null;
  weight: number;
  /** Open deals held against the capacity; kept by the database only while `capacity` is set. */
  capacity_used: number;
  turn: string;
}

/**
 * Who gets a lead: (1) the contact's active owner while not paused and on shift, (2) weighted round
 * robin among active managers who are not paused, on shift (their weekly schedule, in their timezone,
 * at the domain clock's now) and under capacity, (3) nobody: the deal waits in the unassigned queue and
 * admins are told.
 *
 * A contact whose owner is paused or off shift is not held back for them: the new deal goes to someone
 * who can call now (or waits in the queue), the contact stays the owner's, and the owner gets a
 * `contact_routed` notice saying who took it. When the queue drains, the contact's owner is preferred
 * if they are back.
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

  /** `activeOwner`: the contact's owner when that manager is still active (the caller read it with the contact). */
  async decide(em: EntityManager, activeOwner: StickyOwner | null): Promise<AssignmentDecision> {
    if (!activeOwner) return this.roundRobin(em);
    const code = this.unavailability(activeOwner);
    if (!code) return { managerId: activeOwner.id, managerName: activeOwner.name, rule: 'sticky', reason: 'sticky owner', params: {} };
    const decision = await this.roundRobin(em);
    const why = UNAVAILABILITY_TEXT[code];
    return {
      ...decision,
      reason: `sticky owner ${activeOwner.name} ${why}; ${decision.reason}`,
      params: { ...decision.params, passedOwner: { name: activeOwner.name, why: code } },
      passedOwner: { id: activeOwner.id, name: activeOwner.name, why, whyCode: code },
    };
  }

  /** Why a manager cannot take a new lead right now ('not_recipient', 'paused', 'off_shift'), or null when they can. */
  unavailability(m: { available: boolean; shift: string | null; timezone: string; receivesLeads?: boolean }): Unavailability | null {
    if (m.receivesLeads === false) return 'not_recipient';
    if (!m.available) return 'paused';
    if (!isOnShift(m, this.clock.now())) return 'off_shift';
    return null;
  }

  /** The notice to a contact's owner who was passed over (paused, off shift): their contact came back and who took it. */
  passedOwnerNotice(deal: { id: string; contactId: string }, decision: AssignmentDecision, extra: Record<string, unknown> = {}): NewOutboxMessage | null {
    const owner = decision.passedOwner;
    if (!owner) return null;
    return {
      kind: OutboxKind.NotifyManager,
      payload: {
        event: 'contact_routed',
        managerId: owner.id,
        dealId: deal.id,
        contactId: deal.contactId,
        why: owner.why,
        whyCode: owner.whyCode,
        toManagerId: decision.managerId,
        toManagerName: decision.managerName,
        ...extra,
      },
    };
  }

  /** `exclude`: a manager who must not get the deal (the owner it is escalated away from). */
  async roundRobin(em: EntityManager, exclude?: { id: string; why: Unavailability }): Promise<AssignmentDecision> {
    // A limited manager's open deals are the database's running count (capacity_used, see the
    // ManagerCapacityUsed migration), so the listing costs the same however many deals are open. It is
    // a snapshot: claimCapacity re-reads it under the row lock. The turn is drawn in the same statement
    // (an InitPlan, once).
    const managers: ManagerRow[] = await em.query(
      `SELECT m.id, m.name, m.available, m.shift, m.timezone, m.capacity, m.weight, m.capacity_used,
              (SELECT nextval('assignment_turn_seq')) AS turn
         FROM manager m WHERE m.active AND m.receives_leads ORDER BY m.id`,
    );
    if (managers.length === 0) {
      return { managerId: null, managerName: null, rule: 'queue', reason: 'no active managers: waiting in the unassigned queue', params: { eligible: 0, total: 0, excluded: [] } };
    }
    const excluded = new Map<string, { name: string; why: Unavailability }>();
    for (const m of managers) {
      const away = this.unavailability(m);
      if (exclude && m.id === exclude.id) excluded.set(m.id, { name: m.name, why: exclude.why });
      else if (away) excluded.set(m.id, { name: m.name, why: away });
      else if (m.capacity !== null && m.capacity_used >= m.capacity) excluded.set(m.id, { name: m.name, why: 'at_capacity' });
    }
    let eligible = managers.filter((m) => !excluded.has(m.id));
    let turn: bigint = BigInt(managers[0].turn);
    while (eligible.length > 0) {
      const chosen = pickByCounter(eligible, turn)!;
      if (chosen.capacity === null || (await this.claimCapacity(em, chosen))) {
        return {
          managerId: chosen.id,
          managerName: chosen.name,
          rule: 'round_robin',
          reason: `round robin, ${eligible.length} eligible of ${managers.length}${explainExcluded(excluded)}`,
          params: { eligible: eligible.length, total: managers.length, excluded: sortedExcluded(excluded) },
        };
      }
      // Filled up by a concurrent lead since we looked.
      excluded.set(chosen.id, { name: chosen.name, why: 'at_capacity' });
      eligible = eligible.filter((m) => m.id !== chosen.id);
      turn = BigInt((await em.query(`SELECT nextval('assignment_turn_seq') AS turn`))[0].turn);
    }
    return {
      managerId: null,
      managerName: null,
      rule: 'queue',
      reason: `no eligible manager${explainExcluded(excluded)}; waiting in the unassigned queue`,
      params: { eligible: 0, total: managers.length, excluded: sortedExcluded(excluded) },
    };
  }

  /**
   * Locks the manager row until commit and reads its open deals: true when a slot is free. A locking
   * read returns the row as the transaction it waited for left it, and every deal written for a limited
   * manager moves capacity_used in the same transaction, so the last free slot goes to one lead only.
   */
  private async claimCapacity(em: EntityManager, m: ManagerRow): Promise<boolean> {
    // A full manager's lock is given back (rollback to the savepoint) before the next one is tried:
    // holding it while waiting for another manager's lock would deadlock with an intake that tried
    // the two in the other order. NO KEY UPDATE: rows that merely reference the manager stay insertable.
    await em.query(`SAVEPOINT claim_capacity`);
    const [row]: Array<{ capacity: number | null; capacity_used: number }> = await em.query(
      `SELECT capacity, capacity_used FROM manager WHERE id = $1 FOR NO KEY UPDATE`,
      [m.id],
    );
    // The limit as it is now (an admin may have changed it since the listing); no row: deleted meanwhile.
    const free = !!row && (row.capacity === null || row.capacity_used < row.capacity);
    // A free manager's savepoint is simply left to the commit (releasing it would be one more round trip).
    if (!free) await em.query(`ROLLBACK TO SAVEPOINT claim_capacity`);
    return free;
  }

  /**
   * What an assignment leaves behind besides the owner columns: the "why" on the timeline and a
   * notice (to the new owner, or to admins when the deal waits in the queue).
   */
  effects(
    deal: { id: string; contactId: string },
    decision: AssignmentDecision,
    actorId: string | null,
    extra: Record<string, unknown> = {},
  ): { activity: NewActivity; notice: NewOutboxMessage } {
    const occurredAt = this.clock.now();
    if (!decision.managerId) {
      return {
        activity: { contactId: deal.contactId, dealId: deal.id, kind: 'unassigned', occurredAt, actorId, payload: { rule: decision.rule, reason: decision.reason, ...(decision.params ? { params: decision.params } : {}) } },
        notice: { kind: OutboxKind.NotifyAdmins, payload: { event: 'deal_unassigned', dealId: deal.id, contactId: deal.contactId, reason: decision.reason, ...extra } },
      };
    }
    return {
      activity: {
        contactId: deal.contactId,
        dealId: deal.id,
        kind: 'assigned',
        occurredAt,
        actorId,
        payload: { managerId: decision.managerId, managerName: decision.managerName, rule: decision.rule, reason: decision.reason, ...(decision.params ? { params: decision.params } : {}) },
      },
      notice: { kind: OutboxKind.NotifyManager, payload: { event: 'lead_assigned', managerId: decision.managerId, dealId: deal.id, contactId: deal.contactId, ...extra } },
    };
  }

  /**
   * Gives an existing deal (and its open tasks, and an ownerless contact) to a manager and writes the
   * effects. With no manager, parks it in the queue and notifies admins.
   */
  async apply(
    em: EntityManager,
    deal: { id: string; contactId: string },
    decision: AssignmentDecision,
    actorId: string | null,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    // The owner it is taken from (escalation, an admin's reassignment) is told who has it now.
    const [before] = await em.query(`SELECT owner_id FROM deal WHERE id = $1`, [deal.id]);
    const previousOwnerId: string | null = before?.owner_id ?? null;
    await em.query(`UPDATE deal SET owner_id = $2, updated_at = now() WHERE id = $1`, [deal.id, decision.managerId]);
    if (decision.managerId) {
      // Open tasks follow the deal to its new owner (not those a stage rule gave to admins or a named manager).
      await em.query(`UPDATE task SET assignee_id = $2 WHERE deal_id = $1 AND status = 'open' AND follows_owner`, [deal.id, decision.managerId]);
      await em.query(
        `UPDATE contact SET owner_id = $2, updated_at = now() WHERE id = $1
            AND (owner_id IS NULL OR NOT EXISTS (SELECT 1 FROM manager m WHERE m.id = contact.owner_id AND m.active))`,
        [deal.contactId, decision.managerId],
      );
    }
    const { activity, notice } = this.effects(deal, decision, actorId, extra);
    await this.timeline.record(em, activity);
    await this.outbox.enqueue(em, notice);
    if (previousOwnerId && previousOwnerId !== decision.managerId) {
      await this.outbox.enqueue(em, {
        kind: OutboxKind.NotifyManager,
        payload: {
          event: 'deal_reassigned',
          managerId: previousOwnerId,
          dealId: deal.id,
          contactId: deal.contactId,
          toManagerId: decision.managerId,
          toManagerName: decision.managerName,
          rule: decision.rule,
          reason: decision.reason,
          ...extra,
        },
      });
    }
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
   * Hands queued deals, oldest first, to managers who can now take them (after a manager resumes, starts
   * a shift, is added or gets more capacity): the contact's own owner when they can take leads again,
   * else round robin. Stops when the queue is empty or nobody is eligible. Safe in several processes
   * (SKIP LOCKED). Returns how many deals got an owner.
   */
  async drainQueue(limit = 500): Promise<number> {
    let assigned = 0;
    for (; assigned < limit; assigned++) {
      const done = await this.db.transaction(async (em) => {
        const [deal] = await em.query(
          `SELECT d.id, d.contact_id, m.id AS owner_id, m.name AS owner_name, m.available AS owner_available, m.shift AS owner_shift, m.timezone AS owner_timezone,
                  m.receives_leads AS owner_receives_leads
             FROM (SELECT id, contact_id FROM deal WHERE owner_id IS NULL AND closed_at IS NULL ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) d
             JOIN contact c ON c.id = d.contact_id
             LEFT JOIN manager m ON m.id = c.owner_id AND m.active`,
        );
        if (!deal) return true;
        const owner = deal.owner_id
          ? { id: deal.owner_id, name: deal.owner_name, available: deal.owner_available, shift: deal.owner_shift, timezone: deal.owner_timezone, receivesLeads: deal.owner_receives_leads }
          : null;
        const decision = owner && !this.unavailability(owner)
          ? { managerId: owner.id, managerName: owner.name, rule: 'sticky' as const, reason: 'sticky owner', params: {} }
          : await this.roundRobin(em);
        if (!decision.managerId) return true;
        const [task] = await em.query(`SELECT id FROM task WHERE deal_id = $1 AND status = 'open' ORDER BY due_at LIMIT 1`, [deal.id]);
        await this.apply(em, { id: deal.id, contactId: deal.contact_id }, { ...decision, reason: `from the unassigned queue, ${decision.reason}`, params: { ...decision.params, fromQueue: true } }, null, {
          taskId: task?.id ?? null,
        });
        return false;
      });
      if (done) break;
    }
    return assigned;
  }

  /** Cheap check (partial index) before a drain: is any open deal waiting without an owner? */
  async queueWaiting(): Promise<boolean> {
    const [row] = await this.db.query(`SELECT EXISTS (SELECT 1 FROM deal WHERE owner_id IS NULL AND closed_at IS NULL) AS waiting`);
    return !!row.waiting;
  }
}

/** "B paused, C at capacity", in name order so the sentence reads the same every time. */
function explainExcluded(excluded: Map<string, { name: string; why: Unavailability }>): string {
  const parts = sortedExcluded(excluded).map((e) => `${e.name} ${UNAVAILABILITY_TEXT[e.why]}`);
  return parts.length ? `: ${parts.join(', ')}` : '';
}

function sortedExcluded(excluded: Map<string, { name: string; why: Unavailability }>): Array<{ name: string; why: Unavailability }> {
  return [...excluded.values()].sort((a, b) => `${a.name} ${UNAVAILABILITY_TEXT[a.why]}`.localeCompare(`${b.name} ${UNAVAILABILITY_TEXT[b.why]}`));
}
