import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import type { CallEvent, CallEventOutcome } from './call-event';
import { resolveCallManager } from './call-managers';
import { deriveCallOutcome, type CallFact } from './call-outcome';
import { CallReconciliation } from './call-reconciliation';
import { lockCall } from './call-queries';
import { attachRecording } from './recording-attachments';
import { queryRows, mutateRows } from '../database/query-rows';

/**
 * The call-event state machine: every provider event is stored once (its key is the idempotency key)
 * with its normalised fact; the call's outcome is derived again from ALL its stored facts, whatever
 * order they arrived in, and the call's traces are reconciled with it. A late "answered" therefore
 * turns a missed call into an answered one instead of being dropped as stale.
 */
@Injectable()
export class CallEvents {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly reconciliation: CallReconciliation,
  ) {}

  async apply(event: CallEvent): Promise<CallEventOutcome> {
    return this.db.transaction(async (em) => {
      const call = await lockCall(em, { provider: event.provider, providerCallId: event.providerCallId });
      if (!call) return 'unknown_call';
      const names = event.type === 'answered' || (event.type === 'completed' && event.answered);
      const fact: CallFact = {
        key: event.eventKey,
        type: event.type,
        sequence: event.sequence ?? null,
        occurredAt: (event.occurredAt ?? this.clock.now()).toISOString(),
        providerAt: event.providerAt?.toISOString() ?? null,
        status: event.status ?? null,
        durationSeconds: event.durationSeconds ?? null,
        answered: event.answered ?? null,
        managerId: names && call.direction === 'inbound' ? await resolveCallManager(em, event.manager, this.options.defaultPhoneRegion) : null,
        legId: event.legId ?? null,
      };
      const inserted = await mutateRows<{ id: string }>(
        em,
        `INSERT INTO call_event (call_id, event_key, type, sequence, payload, fact) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (call_id, event_key) DO NOTHING RETURNING id`,
        [call.id, event.eventKey, event.type, event.sequence ?? null, JSON.stringify(event.raw ?? {}), JSON.stringify(fact)],
      );
      if (inserted.length === 0) return 'duplicate';
      // A recording may come on its own or along with `completed` (a PBX that reports both at once).
      if (event.recording) await attachRecording(em, call, event.recording);
      if (event.type === 'recording') return 'applied';
      const facts = (await queryRows<{ fact: CallFact }>(em, `SELECT fact FROM call_event WHERE call_id = $1 AND fact IS NOT NULL`, [call.id])).map((r) => r.fact);
      const changed = await this.reconciliation.reconcile(em, call, deriveCallOutcome(facts, call.status));
      return changed || event.recording ? 'applied' : 'stale';
    });
  }
}
