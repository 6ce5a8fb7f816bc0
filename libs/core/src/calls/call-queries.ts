import type { EntityManager } from 'typeorm';
import type { CallDirection, CallTarget, CallView, RingStrategy } from './call-event';
import { queryRow } from '../database/query-rows';

/** A row of the `call` table as node-postgres / PGlite return it. */
export interface CallRow {
  id: string;
  provider: string;
  provider_account: string | null;
  provider_call_id: string | null;
  direction: CallDirection;
  from_number: string | null;
  to_number: string | null;
  contact_id: string | null;
  deal_id: string | null;
  manager_id: string | null;
  placed_by_id: string | null;
  status: string;
  answered: boolean;
  duration_seconds: number | null;
  targets: CallTarget[] | null;
  ring_strategy: RingStrategy;
  last_sequence: number;
  task_id: string | null;
  activity_id: string | null;
  error: string | null;
  started_at: Date | string;
  answered_at: Date | string | null;
  ended_at: Date | string | null;
  recording_sid: string | null;
  recording_url: string | null;
  recording_duration_seconds: number | null;
  recording_status: string | null;
}

/** The call, locked for the rest of the transaction (every writer of a call's outcome takes this lock first). */
export async function lockCall(em: EntityManager, where: { id: string } | { provider: string; providerCallId: string }): Promise<CallRow | null> {
  return 'id' in where
    ? queryRow<CallRow>(em, `SELECT * FROM call WHERE id = $1 FOR UPDATE`, [where.id])
    : queryRow<CallRow>(em, `SELECT * FROM call WHERE provider = $1 AND provider_call_id = $2 FOR UPDATE`, [where.provider, where.providerCallId]);
}

/** The timeline links the hub's stream, never the provider's URL (that one needs the account's credentials). */
export function recordingPayload(call: Pick<CallRow, 'id' | 'recording_duration_seconds'>): { durationSeconds: number | null; url: string } {
  return { durationSeconds: call.recording_duration_seconds ?? null, url: `/api/calls/${call.id}/recording` };
}

export function toCallView(r: CallRow): CallView {
  return {
    id: r.id,
    provider: r.provider,
    providerAccount: r.provider_account,
    providerCallId: r.provider_call_id,
    direction: r.direction,
    from: r.from_number,
    to: r.to_number,
    contactId: r.contact_id,
    dealId: r.deal_id,
    managerId: r.manager_id,
    status: r.status,
    answered: r.answered,
    durationSeconds: r.duration_seconds,
    targets: r.targets ?? [],
    ringStrategy: r.ring_strategy ?? 'sequential',
    startedAt: new Date(r.started_at).toISOString(),
    answeredAt: r.answered_at ? new Date(r.answered_at).toISOString() : null,
    endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
    recording: r.recording_url ? { sid: r.recording_sid, url: r.recording_url, durationSeconds: r.recording_duration_seconds } : null,
  };
}
