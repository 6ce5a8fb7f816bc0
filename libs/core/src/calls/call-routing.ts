import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isOpen } from '../business-hours/business-hours';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { normalizePhone } from '../identity/phone';
import type { InboundEvent } from '../intake/inbound-event';
import { isIngestFailure, IntakeService } from '../intake/intake.service';
import { isOnShift } from '../managers/shift-schedule';
import type { CallTarget, InboundCallRoute, InboundCallStart, RingStrategy } from './call-event';
import type { CallRow } from './call-queries';
import { queryRow, queryRows } from '../database/query-rows';

/** Most phones one ring-all rings at once (Twilio allows ten <Number>s in one <Dial>). */
export const MAX_SIMULTANEOUS_TARGETS = 10;

interface HuntRow {
  id: string;
  name: string;
  phone: string;
  shift: string | null;
  timezone: string;
}

/**
 * Routing of incoming calls: the caller becomes an inbound lead (contact, deal, owner, callback task)
 * and the call is logged with the managers to ring, owner first — in turn (sequential) or all at once
 * (simultaneous). A provider retry of the same call gets the same route.
 */
@Injectable()
export class CallRouting {
  private readonly log = new Logger('Calls');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly intake: IntakeService,
  ) {}

  async startInbound(start: InboundCallStart): Promise<InboundCallRoute> {
    const existing = await this.findRow(start.provider, start.providerCallId);
    if (existing) return this.routeOf(existing, true);
    const at = start.occurredAt ?? this.clock.now();
    const caller = normalizePhone(start.from, this.options.defaultPhoneRegion);
    const result = await this.intake.ingest(this.inboundEvent(start, at), start.raw);
    let contactId: string | null = null;
    let dealId: string | null = null;
    let ownerId: string | null = null;
    let taskId: string | null = null;
    if (isIngestFailure(result)) {
      // The caller still gets through to a manager; the payload waits as a failed receipt for replay.
      this.log.error({ msg: 'incoming call intake failed, ringing managers without a contact', providerCallId: start.providerCallId, receiptId: result.receiptId });
    } else {
      ({ contactId, dealId, ownerId, taskId } = result);
    }
    const strategy: RingStrategy = start.ringStrategy ?? 'sequential';
    // Ring-all rings everybody available (up to what one Dial can hold); hunting stops at CALL_HUNT_MAX.
    const max = strategy === 'simultaneous' ? Math.max(start.huntMax, MAX_SIMULTANEOUS_TARGETS) : start.huntMax;
    const targets = await this.huntList(ownerId, start.huntMax > 0 ? max : 0);
    const rows = await queryRows<CallRow>(
      this.db,
      `INSERT INTO call (provider, provider_account, provider_call_id, direction, from_number, to_number, contact_id, deal_id, task_id, status, targets, ring_strategy, started_at)
       VALUES ($1, $2, $3, 'inbound', $4, $5, $6, $7, $8, 'ringing', $9, $10, $11)
       ON CONFLICT (provider, provider_call_id) DO NOTHING RETURNING *`,
      [start.provider, start.account ?? null, start.providerCallId, caller ?? start.from, start.to, contactId, dealId, taskId, JSON.stringify(targets), strategy, at],
    );
    const row = rows[0] ?? (await this.findRow(start.provider, start.providerCallId))!;
    return { ...this.routeOf(row, !rows[0]), afterHours: !isOpen(this.options.businessHours, at) };
  }

  /** The lead an incoming call is (also what a failed receipt of it is replayed as). */
  inboundEvent(start: InboundCallStart, at?: Date): InboundEvent {
    const caller = normalizePhone(start.from, this.options.defaultPhoneRegion);
    return {
      channel: 'phone',
      externalId: `${start.providerCallId}:incoming`,
      occurredAt: at,
      contact: { name: start.callerName?.trim() || null, phones: caller ? [caller] : [] },
      message: {
        text: caller ? null : 'Incoming call from a withheld number',
        details: { provider: start.provider, providerCallId: start.providerCallId, from: start.from, to: start.to },
      },
      fields: { provider: start.provider, callId: start.providerCallId, from: start.from, to: start.to },
    };
  }

  /**
   * Whom to ring: the owner, then other managers — only those taking calls now (active, not paused, on
   * shift, with a phone), so nobody's phone rings at 3 a.m. or during a pause.
   */
  private async huntList(ownerId: string | null, max: number): Promise<CallTarget[]> {
    if (max <= 0) return [];
    const rows = await queryRows<HuntRow>(
      this.db,
      `SELECT id, name, phone, shift, timezone FROM manager
        WHERE active AND available AND phone IS NOT NULL AND (id = $1 OR role = 'manager')
        ORDER BY (id IS NOT DISTINCT FROM $1) DESC, name, id`,
      [ownerId],
    );
    const now = this.clock.now();
    return rows
      .filter((r) => isOnShift(r, now))
      .slice(0, max)
      .map((r) => ({ managerId: r.id, name: r.name, phone: r.phone }));
  }

  private async findRow(provider: string, providerCallId: string): Promise<CallRow | null> {
    const row = await queryRow<CallRow>(this.db, `SELECT * FROM call WHERE provider = $1 AND provider_call_id = $2`, [provider, providerCallId]);
    return row ?? null;
  }

  routeOf(row: CallRow, duplicate: boolean): InboundCallRoute {
    return {
      callId: row.id,
      contactId: row.contact_id,
      dealId: row.deal_id,
      caller: normalizePhone(row.from_number, this.options.defaultPhoneRegion),
      targets: row.targets ?? [],
      ringStrategy: row.ring_strategy ?? 'sequential',
      afterHours: !isOpen(this.options.businessHours, new Date(row.started_at)),
      duplicate,
    };
  }
}
