import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ActivityKind } from '../entities';

export interface NewActivity {
  contactId: string;
  dealId?: string | null;
  kind: ActivityKind;
  channel?: string | null;
  actorId?: string | null;
  occurredAt: Date;
  payload?: Record<string, unknown>;
}

/** Writes timeline entries. Always inside the caller's transaction so the entry commits with its cause. */
@Injectable()
export class TimelineService {
  async record(em: EntityManager, a: NewActivity): Promise<string> {
    const [row] = await em.query(
      `INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [a.contactId, a.dealId ?? null, a.kind, a.channel ?? null, a.actorId ?? null, a.occurredAt, JSON.stringify(a.payload ?? {})],
    );
    return row.id;
  }
}
