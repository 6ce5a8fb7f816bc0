import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { ContactsService } from '../contacts/contacts.service';
import { DomainError } from '../errors/domain-error';
import type { InboundEvent } from '../intake/inbound-event';
import type { CallEvent, CallEventOutcome, CallView, InboundCallRoute, InboundCallStart } from './call-event';
import { CallEvents } from './call-events';
import { CallReconciliation } from './call-reconciliation';
import { toCallView, type CallRow } from './call-queries';
import { CallRouting } from './call-routing';
import { MissedCallTasks } from './missed-call-tasks';
import { sanitizeForDatabase, toDatabaseText } from '../text/database-text';
import { OutboundCalls, type OutboundCallPlan } from './outbound-calls';
import { queryRow } from '../database/query-rows';

export type { OutboundCallPlan } from './outbound-calls';

const UUID = /^[0-9a-f-]{36}$/i;

/**
 * The call log behind every telephony provider — the one door channels use. The work lives in small
 * modules: routing of incoming calls (call-routing), outbound planning (outbound-calls), the call-event
 * state machine (call-events + call-outcome + call-reconciliation), missed-call tasks and notices
 * (missed-call-tasks) and recordings (recording-attachments).
 */
@Injectable()
export class CallLogService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsService,
    private readonly routing: CallRouting,
    private readonly outbound: OutboundCalls,
    private readonly events: CallEvents,
  ) {}

  /** An incoming call: the caller becomes an inbound lead and the call is logged with the managers to ring. */
  startInbound(start: InboundCallStart): Promise<InboundCallRoute> {
    // Provider text enters the core here and is storable from now on; the raw payload is kept as sent.
    return this.routing.startInbound({ ...sanitizeForDatabase(start), raw: start.raw });
  }

  /** The lead an incoming call is (also what a failed receipt of it is replayed as). */
  inboundEvent(start: InboundCallStart, at?: Date): InboundEvent {
    return this.routing.inboundEvent(start, at);
  }

  /** Plans a click-to-call: the viewer's phone rings first, then the contact. Throws 404/400 for what cannot be called. */
  prepareOutbound(viewer: Viewer, contactId: string, provider: string, account: string | null, companyNumber: string | null): Promise<OutboundCallPlan> {
    return this.outbound.prepare(viewer, contactId, provider, account, companyNumber);
  }

  /** The provider accepted the outbound call: an attempt, not yet a callback. */
  outboundPlaced(callId: string, providerCallId: string, status: string): Promise<void> {
    return this.outbound.placed(callId, providerCallId, status);
  }

  /** The provider refused the outbound call: logged as a failed outgoing call. */
  outboundFailed(callId: string, error: string): Promise<void> {
    return this.outbound.failed(callId, error);
  }

  /** Logs a call a PBX reports without asking us to route it (its outbound calls). */
  reportOutbound(event: CallEvent): Promise<'applied' | 'duplicate'> {
    return this.outbound.report(sanitizeForDatabase(event));
  }

  /** Applies one provider event to its call, once; the outcome is derived again from all the call's events. */
  apply(event: CallEvent): Promise<CallEventOutcome> {
    return this.events.apply(sanitizeForDatabase(event));
  }

  async findByProviderId(provider: string, providerCallId: string): Promise<CallView | null> {
    const row = await queryRow<CallRow>(this.db, `SELECT * FROM call WHERE provider = $1 AND provider_call_id = $2`, [toDatabaseText(provider), toDatabaseText(providerCallId)]);
    return row ? toCallView(row) : null;
  }

  async findById(id: string): Promise<CallView | null> {
    if (!UUID.test(id)) return null;
    const row = await queryRow<CallRow>(this.db, `SELECT * FROM call WHERE id = $1`, [id]);
    return row ? toCallView(row) : null;
  }

  /** A call the viewer may see (admins: all; managers: calls of contacts they may see). 404 otherwise. */
  async getForViewer(viewer: Viewer, id: string): Promise<CallView> {
    const call = await this.findById(id);
    if (!call) throw DomainError.notFound('call');
    if (!isAdmin(viewer)) {
      if (!call.contactId) throw DomainError.notFound('call');
      await this.contacts.get(viewer, call.contactId).catch(() => {
        throw DomainError.notFound('call');
      });
    }
    return call;
  }
}

/** Everything the call log needs besides the core services: provide these wherever CallLogService is provided. */
export const CALL_LOG_PROVIDERS = [CallLogService, CallRouting, OutboundCalls, CallEvents, CallReconciliation, MissedCallTasks];
