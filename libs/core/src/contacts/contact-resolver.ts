import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { identityKeyString, type IdentityKey } from '../identity/identity-kind';
import type { StickyOwner } from '../assignment/assignment.service';
import type { LeadWrites } from '../intake/lead-writes';

export type LeadIdentity = IdentityKey & { details?: Record<string, unknown> };

export interface ResolvedContact {
  contactId: string;
  created: boolean;
  /** The contact's owner while that manager is active (for the sticky-owner rule). */
  activeOwner: StickyOwner | null;
  /** Other contacts that matched some identity of the lead (recorded as a conflict, never dropped). */
  conflicts: string[];
}

/** A contact owning one of the lead's identities. */
export interface IdentityMatch {
  contact_id: string;
  kind: string;
  value: string;
  created_at: Date | string;
}

/** The contacts owning any of the identities given as two parallel text arrays ($kinds, $values). */
export function identityMatchesSql(kinds: number, values: number): string {
  return `SELECT ci.contact_id, ci.kind, ci.value, c.created_at
            FROM contact_identity ci JOIN contact c ON c.id = ci.contact_id
           WHERE (ci.kind, ci.value) IN (SELECT * FROM unnest($${kinds}::text[], $${values}::text[]))`;
}

/** Advisory-lock keys that serialise concurrent leads of the same person. */
export function identityLockKeys(identities: LeadIdentity[]): string[] {
  return identities.map(identityKeyString);
}

/**
 * Finds the person behind a lead by its identities, or plans a new contact when nobody matches.
 * Runs inside the intake transaction after the identity locks are taken; writes go to `writes`.
 */
@Injectable()
export class ContactResolver {
  /**
   * `found`: the identity matches when the caller already read them (intake reads them in its receipt
   * claim statement, with identityMatchesSql, to save a round trip); otherwise they are read here.
   */
  async resolve(em: EntityManager, identities: LeadIdentity[], name: string | null, at: Date, channel: string, writes: LeadWrites, found?: IdentityMatch[]): Promise<ResolvedContact> {
    const matches: IdentityMatch[] =
      found ?? (identities.length ? await em.query(`SELECT * FROM (${identityMatchesSql(1, 2)}) AS m`, [identities.map((i) => i.kind), identities.map((i) => i.value)]) : []);

    if (matches.length === 0) {
      const contactId = randomUUID();
      writes.newContact = { id: contactId, name, ownerId: null, at };
      writes.identities.push(...identities.map((i) => ({ contactId, kind: i.kind, value: i.value, details: i.details ?? {} })));
      return { contactId, created: true, activeOwner: null, conflicts: [] };
    }

    // A phone is the strongest signal for a sales team that calls; then the oldest contact.
    const primary = [...matches].sort((a, b) => rank(a.kind) - rank(b.kind) || new Date(a.created_at).getTime() - new Date(b.created_at).getTime())[0];
    const contactId = primary.contact_id;
    // One intake at a time per contact decides "new deal or join the open one".
    const [row] = await em.query(
      `SELECT m.id AS owner_id, m.name AS owner_name, m.available AS owner_available, m.shift AS owner_shift, m.timezone AS owner_timezone,
              m.receives_leads AS owner_receives_leads FROM contact c LEFT JOIN manager m ON m.id = c.owner_id AND m.active
        WHERE c.id = $1 FOR UPDATE OF c`,
      [contactId],
    );
    writes.knownContact = { id: contactId, name, at, ownerId: null };

    const known = new Set(matches.map((m) => `${m.kind}:${m.value}`));
    const fresh = identities.filter((i) => !known.has(identityKeyString(i)));
    if (fresh.length > 0) {
      writes.identities.push(...fresh.map((i) => ({ contactId, kind: i.kind, value: i.value, details: i.details ?? {} })));
      writes.activities.push({ contactId, kind: 'identity_added', channel, occurredAt: at, payload: { identities: fresh.map(({ kind, value }) => ({ kind, value })) } });
    }

    const conflicts = [...new Set(matches.map((m) => m.contact_id))].filter((id) => id !== contactId);
    for (const other of conflicts) {
      const payload = {
        attachedToContactId: contactId,
        otherContactId: other,
        matchedHere: matches.filter((m) => m.contact_id === contactId).map(({ kind, value }) => ({ kind, value })),
        matchedThere: matches.filter((m) => m.contact_id === other).map(({ kind, value }) => ({ kind, value })),
      };
      writes.activities.push({ contactId, kind: 'identity_conflict', channel, occurredAt: at, payload });
      writes.activities.push({ contactId: other, kind: 'identity_conflict', channel, occurredAt: at, payload });
    }
    return { contactId, created: false, activeOwner: row?.owner_id
        ? { id: row.owner_id, name: row.owner_name, available: row.owner_available, shift: row.owner_shift, timezone: row.owner_timezone, receivesLeads: row.owner_receives_leads }
        : null,
      conflicts,
    };
  }
}

/** Phone first; a channel account (Telegram, VK id) before an email, which people share and forward most. */
function rank(kind: string): number {
  return kind === 'phone' ? 0 : kind === 'email' ? 2 : 1;
}
