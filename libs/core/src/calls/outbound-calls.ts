import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Viewer } from '../access/viewer';
import { ContactsService } from '../contacts/contacts.service';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { DomainError } from '../errors/domain-error';
import { normalizePhone } from '../identity/phone';
import type { CallEvent } from './call-event';
import { resolveCallManager } from './call-managers';
import { CallReconciliation } from './call-reconciliation';
import { lockCall } from './call-queries';
import { execute, mutateRows, queryRow, queryRows } from '../database/query-rows';

/** An outbound call prepared for the provider: who to ring first and whom to connect them to. */
export interface OutboundCallPlan {
  callId: string;
  contactId: string;
  managerPhone: string;
  contactPhone: string;
}

/**
 * Outbound calls: click-to-call planning (the manager's phone first, then the contact) and calls a PBX
 * reports on its own. Placing a call is only an attempt; the callback task is completed when the call
 * connects (CallReconciliation), never when the provider merely accepts the request.
 */
@Injectable()
export class OutboundCalls {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly contacts: ContactsService,
    private readonly reconciliation: CallReconciliation,
  ) {}

  /** Plans a click-to-call. Throws 404/400 for what cannot be called. */
  async prepare(viewer: Viewer, contactId: string, provider: string, account: string | null, companyNumber: string | null): Promise<OutboundCallPlan> {
    await this.contacts.get(viewer, contactId);
    const manager = await queryRow<{ phone: string | null }>(this.db, `SELECT phone FROM manager WHERE id = $1`, [viewer.id]);
    if (!manager?.phone) throw DomainError.invalid('your profile has no phone number: the call rings you first', { phone: 'set your phone number in your profile' });
    const identity = await queryRow<{ value: string }>(
      this.db,
      `SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'phone' ORDER BY created_at DESC LIMIT 1`,
      [contactId],
    );
    if (!identity) throw DomainError.invalid('this contact has no phone number', { contactId: 'the contact has no phone number' });
    const deal = await queryRow<{ id: string }>(this.db, `SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1`, [contactId]);
    const [row] = await queryRows<{ id: string }>(
      this.db,
      `INSERT INTO call (provider, provider_account, direction, from_number, to_number, contact_id, deal_id, manager_id, placed_by_id, status, started_at)
       VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $7, 'initiating', $8) RETURNING id`,
      [provider, account, companyNumber, identity.value, contactId, deal?.id ?? null, viewer.id, this.clock.now()],
    );
    return { callId: row.id, contactId, managerPhone: manager.phone, contactPhone: identity.value };
  }

  /** The provider accepted the call: an attempt under way. Whether it connects, its events will tell. */
  async placed(callId: string, providerCallId: string, status: string): Promise<void> {
    await execute(this.db, `UPDATE call SET provider_call_id = $2, status = $3, updated_at = now() WHERE id = $1 AND ended_at IS NULL`, [callId, providerCallId, status]);
  }

  /** The provider refused the call: logged as a failed outgoing call (an attempt on the callback task). */
  async failed(callId: string, error: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const call = await lockCall(em, { id: callId });
      if (!call || call.ended_at) return;
      call.error = error.slice(0, 1000);
      await execute(em, `UPDATE call SET error = $2 WHERE id = $1`, [callId, call.error]);
      const now = this.clock.now();
      await this.reconciliation.finish(em, call, { status: 'failed', ended: true, endedAt: now, answered: false, answeredAt: null, managerId: null, durationSeconds: 0, lastSequence: -1 });
    });
  }

  /**
   * Logs a call a PBX reports without asking us to route it: the contact is found by number. Only the
   * row is written here; its events (answered, completed) decide whether it was the callback.
   */
  async report(event: CallEvent): Promise<'applied' | 'duplicate'> {
    const at = event.occurredAt ?? this.clock.now();
    const to = normalizePhone(event.to, this.options.defaultPhoneRegion);
    return this.db.transaction(async (em) => {
      const identity = to ? await queryRow<{ contact_id: string }>(em, `SELECT contact_id FROM contact_identity WHERE kind = 'phone' AND value = $1`, [to]) : null;
      const contactId = identity?.contact_id ?? null;
      const deal = contactId ? await queryRow<{ id: string }>(em, `SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1`, [contactId]) : null;
      const managerId = await resolveCallManager(em, event.manager, this.options.defaultPhoneRegion);
      const rows = await mutateRows<{ id: string }>(
        em,
        `INSERT INTO call (provider, provider_call_id, direction, from_number, to_number, contact_id, deal_id, manager_id, placed_by_id, status, started_at)
         VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $7, $8, $9) ON CONFLICT (provider, provider_call_id) DO NOTHING RETURNING id`,
        [event.provider, event.providerCallId, event.from ?? null, to ?? event.to ?? null, contactId, deal?.id ?? null, managerId, event.status ?? 'initiated', at],
      );
      return rows.length ? 'applied' : 'duplicate';
    });
  }
}
