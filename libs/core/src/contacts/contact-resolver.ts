import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { identityKeyString, type IdentityKey } from '../identity/identity-kind';
import { TimelineService } from '../timeline/timeline.service';

export interface ResolvedContact {
  contactId: string;
  created: boolean;
  ownerId: string | null;
  /** Other contacts that matched some identity of the lead (recorded as a conflict, never dropped). */
  conflicts: string[];
}

interface Match {
  contact_id: string;
  kind: string;
  value: string;
  owner_id: string | null;
  created_at: Date;
}

/**
 * Finds the person behind a lead by its identities, creating the contact when nobody matches.
 * Must run inside the intake transaction.
 */
@Injectable()
export class ContactResolver {
  constructor(private readonly timeline: TimelineService) {}

  async resolve(
    em: EntityManager,
    identities: Array<IdentityKey & { details?: Record<string, unknown> }>,
    name: string | null,
    occurredAt: Date,
    channel: string,
  ): Promise<ResolvedContact> {
    // Serialise concurrent leads of the same person (per identity, sorted: no deadlocks).
    const keys = [...new Set(identities.map(identityKeyString))].sort();
    for (const key of keys) {
      await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [key]);
    }
    const matches: Match[] = identities.length
      ? await em.query(
          `SELECT ci.contact_id, ci.kind, ci.value, c.owner_id, c.created_at
             FROM contact_identity ci JOIN contact c ON c.id = ci.contact_id
            WHERE (ci.kind, ci.value) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
          [identities.map((i) => i.kind), identities.map((i) => i.value)],
        )
      : [];

    let contactId: string;
    let ownerId: string | null = null;
    let created = false;
    const contactIds = [...new Set(matches.map((m) => m.contact_id))];
    if (contactIds.length === 0) {
      const [row] = await em.query(`INSERT INTO contact (name, last_activity_at) VALUES ($1, $2) RETURNING id`, [name, occurredAt]);
      contactId = row.id;
      created = true;
    } else {
      // A phone is the strongest signal for a sales team that calls; then the oldest contact.
      const primary = [...matches].sort(
        (a, b) => rank(a.kind) - rank(b.kind) || new Date(a.created_at).getTime() - new Date(b.created_at).getTime(),
      )[0];
      contactId = primary.contact_id;
      ownerId = primary.owner_id;
      await em.query(`UPDATE contact SET name = COALESCE(name, $2), last_activity_at = GREATEST(last_activity_at, $3), updated_at = now() WHERE id = $1`, [
        contactId,
        name,
        occurredAt,
      ]);
    }

    const known = new Set(matches.map((m) => `${m.kind}:${m.value}`));
    const fresh = identities.filter((i) => !known.has(identityKeyString(i)));
    for (const identity of fresh) {
      await em.query(`INSERT INTO contact_identity (contact_id, kind, value, details) VALUES ($1, $2, $3, $4)`, [
        contactId,
        identity.kind,
        identity.value,
        JSON.stringify(identity.details ?? {}),
      ]);
    }
    if (!created && fresh.length > 0) {
      await this.timeline.record(em, {
        contactId,
        kind: 'identity_added',
        channel,
        occurredAt,
        payload: { identities: fresh.map(({ kind, value }) => ({ kind, value })) },
      });
    }

    const conflicts = contactIds.filter((id) => id !== contactId);
    for (const other of conflicts) {
      const theirs = matches.filter((m) => m.contact_id === other).map(({ kind, value }) => ({ kind, value }));
      const ours = matches.filter((m) => m.contact_id === contactId).map(({ kind, value }) => ({ kind, value }));
      const payload = { attachedToContactId: contactId, otherContactId: other, matchedHere: ours, matchedThere: theirs };
      await this.timeline.record(em, { contactId, kind: 'identity_conflict', channel, occurredAt, payload });
      await this.timeline.record(em, { contactId: other, kind: 'identity_conflict', channel, occurredAt, payload });
    }
    return { contactId, created, ownerId, conflicts };
  }
}

function rank(kind: string): number {
  return kind === 'phone' ? 0 : kind === 'telegram' ? 1 : 2;
}
