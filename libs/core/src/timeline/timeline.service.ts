import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { ACTIVITY_COLUMNS, insertFromJson } from '../database/json-rows';
import type { ActivityKind } from '../entities';

export interface NewActivity {
  /** Made here when not given, so a caller can point at the entry before it is written. */
  id?: string;
  contactId: string;
  dealId?: string | null;
  kind: ActivityKind;
  channel?: string | null;
  actorId?: string | null;
  occurredAt: Date;
  payload?: Record<string, unknown>;
}

/** Row shape of `activity` for insertFromJson. */
export function activityRow(a: NewActivity): Record<string, unknown> {
  return {
    id: a.id ?? randomUUID(),
    contact_id: a.contactId,
    deal_id: a.dealId ?? null,
    kind: a.kind,
    channel: a.channel ?? null,
    actor_id: a.actorId ?? null,
    occurred_at: a.occurredAt.toISOString(),
    payload: a.payload ?? {},
  };
}

/** Writes timeline entries. Always inside the caller's transaction so the entry commits with its cause. */
@Injectable()
export class TimelineService {
  async record(em: EntityManager, ...activities: NewActivity[]): Promise<void> {
    if (activities.length === 0) return;
    await em.query(insertFromJson('activity', ACTIVITY_COLUMNS, 1), [JSON.stringify(activities.map(activityRow))]);
  }
}
