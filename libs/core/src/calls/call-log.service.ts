import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { addBusinessMinutes, isOpen } from '../business-hours/business-hours';
import { ContactsService } from '../contacts/contacts.service';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { returnedRows } from '../database/returned-rows';
import { DomainError } from '../errors/domain-error';
import { isOnShift } from '../managers/shift-schedule';
import { normalizeEmail } from '../identity/email';
import { normalizePhone } from '../identity/phone';
import type { InboundEvent } from '../intake/inbound-event';
import { isIngestFailure, IntakeService } from '../intake/intake.service';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { slaInstants } from '../sla/sla-schedule';
import { TasksService } from '../tasks/tasks.service';
import { TimelineService } from '../timeline/timeline.service';
import type { CallEvent, CallEventOutcome, CallManagerRef, CallTarget, CallView, InboundCallRoute, InboundCallStart } from './call-event';
import { callText, formatPhoneForPeople, localClock } from './call-text';
import { sanitizeForDatabase, toDatabaseText } from '../text/database-text';

const TERMINAL = new Set(['completed', 'missed']);

/** An outbound call prepared for the provider: who to ring first and whom to connect them to. */
export interface OutboundCallPlan {
  callId: string;
  contactId: string;
  managerPhone: string;
  contactPhone: string;
}

/**
 * The call log behind every telephony provider: routes incoming calls (intake, owner first, hunt
 * list), applies provider events idempotently and in order, and when a call ends writes the timeline
 * (call_in / call_out / call_missed), completes or opens the callback task and notifies the owner.
 */
@Injectable()
export class CallLogService {
  private readonly log = new Logger('Calls');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly intake: IntakeService,
    private readonly tasks: TasksService,
    private readonly timeline: TimelineService,
    private readonly outbox: OutboxService,
    private readonly contacts: ContactsService,
  ) {}

  /**
   * An incoming call: the caller becomes an inbound lead (contact, deal, owner, callback task) and the
   * call is logged with the managers to ring, owner first. A provider retry gets the same route.
   */
  async startInbound(input: InboundCallStart): Promise<InboundCallRoute> {
    const start = sanitizeForDatabase(input); // provider text enters the core here: storable from now on
    const existing = await this.findRow(start.provider, start.providerCallId);
    if (existing) return this.routeOf(existing, true);
    const at = start.occurredAt ?? this.clock.now();
    const caller = normalizePhone(start.from, this.options.defaultPhoneRegion);
    const result = await this.intake.ingest(this.inboundEvent(start, at), input.raw);
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
    const targets = await this.huntList(ownerId, start.huntMax);
    const rows = await this.db.query(
      `INSERT INTO call (provider, provider_account, provider_call_id, direction, from_number, to_number, contact_id, deal_id, task_id, status, targets, started_at)
       VALUES ($1, $2, $3, 'inbound', $4, $5, $6, $7, $8, 'ringing', $9, $10)
       ON CONFLICT (provider, provider_call_id) DO NOTHING RETURNING *`,
      [start.provider, start.account ?? null, start.providerCallId, caller ?? start.from, start.to, contactId, dealId, taskId, JSON.stringify(targets), at],
    );
    const row = rows[0] ?? (await this.findRow(start.provider, start.providerCallId));
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
   * Whom to ring, in turn: the owner, then other managers — only those taking calls now (active, not
   * paused, on shift, with a phone), so nobody's phone rings at 3 a.m. or during a pause.
   */
  private async huntList(ownerId: string | null, max: number): Promise<CallTarget[]> {
    if (max <= 0) return [];
    const rows: Array<{ id: string; name: string; phone: string; shift: string | null; timezone: string }> = await this.db.query(
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

  /** Plans a click-to-call: the viewer's phone rings first, then the contact. Throws 404/400 for what cannot be called. */
  async prepareOutbound(viewer: Viewer, contactId: string, provider: string, account: string | null, companyNumber: string | null): Promise<OutboundCallPlan> {
    await this.contacts.get(viewer, contactId);
    const [manager] = await this.db.query(`SELECT phone FROM manager WHERE id = $1`, [viewer.id]);
    if (!manager?.phone) throw DomainError.invalid('your profile has no phone number: the call rings you first', { phone: 'set your phone number in your profile' });
    const [identity] = await this.db.query(
      `SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'phone' ORDER BY created_at DESC LIMIT 1`,
      [contactId],
    );
    if (!identity) throw DomainError.invalid('this contact has no phone number', { contactId: 'the contact has no phone number' });
    const [deal] = await this.db.query(`SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1`, [contactId]);
    const [row] = await this.db.query(
      `INSERT INTO call (provider, provider_account, direction, from_number, to_number, contact_id, deal_id, manager_id, placed_by_id, status, started_at)
       VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $7, 'initiating', $8) RETURNING id`,
      [provider, account, companyNumber, identity.value, contactId, deal?.id ?? null, viewer.id, this.clock.now()],
    );
    return { callId: row.id, contactId, managerPhone: manager.phone, contactPhone: identity.value };
  }

  /**
   * The provider accepted the outbound call: it is an outbound contact attempt, which completes the
   * contact's open callback task and records the first response.
   */
  async outboundPlaced(callId: string, providerCallId: string, status: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const [call] = await em.query(
        `UPDATE call SET provider_call_id = $2, status = $3, updated_at = now() WHERE id = $1 RETURNING contact_id, placed_by_id, started_at`,
        [callId, providerCallId, status],
      ).then((r: unknown) => returnedRows<any>(r));
      if (call?.contact_id) {
        await this.tasks.recordOutboundContact(em, { contactId: call.contact_id, channel: 'phone', at: new Date(call.started_at), actorId: call.placed_by_id });
      }
    });
  }

  /** The provider refused the outbound call: logged as a failed outgoing call. */
  async outboundFailed(callId: string, error: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const [call] = await em.query(`SELECT * FROM call WHERE id = $1 FOR UPDATE`, [callId]);
      if (!call || call.ended_at) return;
      await em.query(`UPDATE call SET error = $2 WHERE id = $1`, [callId, error.slice(0, 1000)]);
      await this.finish(em, { ...call, error }, { status: 'failed', durationSeconds: 0, at: this.clock.now() });
    });
  }

  /**
   * Applies one provider event to its call, once (the event key is the idempotency key) and in
   * order (a status older than the last one seen is logged but does not overwrite it).
   */
  async apply(input: CallEvent): Promise<CallEventOutcome> {
    const event = sanitizeForDatabase(input); // provider text enters the core here: storable from now on
    return this.db.transaction(async (em) => {
      const [call] = await em.query(`SELECT * FROM call WHERE provider = $1 AND provider_call_id = $2 FOR UPDATE`, [event.provider, event.providerCallId]);
      if (!call) return 'unknown_call';
      const inserted = returnedRows<any>(
        await em.query(
          `INSERT INTO call_event (call_id, event_key, type, sequence, payload) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (call_id, event_key) DO NOTHING RETURNING id`,
          [call.id, event.eventKey, event.type, event.sequence ?? null, JSON.stringify(event.raw ?? {})],
        ),
      );
      if (inserted.length === 0) return 'duplicate';
      const at = event.occurredAt ?? this.clock.now();

      if (event.type === 'recording') {
        await this.attachRecording(em, call, event);
        return 'applied';
      }
      if (call.ended_at) return 'stale';
      const sequence = event.sequence ?? null;
      if (!TERMINAL.has(event.type) && sequence !== null && sequence <= call.last_sequence) return 'stale';
      if (sequence !== null && sequence > call.last_sequence) {
        await em.query(`UPDATE call SET last_sequence = $2 WHERE id = $1`, [call.id, sequence]);
      }

      switch (event.type) {
        case 'started':
        case 'ringing':
          await em.query(`UPDATE call SET status = $2, updated_at = now() WHERE id = $1`, [call.id, event.status ?? event.type]);
          return 'applied';
        case 'answered': {
          const managerId = call.direction === 'outbound' ? call.placed_by_id : await this.resolveManager(em, event.manager);
          const duration = event.durationSeconds ?? null;
          const answeredAt = duration !== null ? new Date(at.getTime() - duration * 1000) : at;
          await em.query(
            `UPDATE call SET answered = true, manager_id = COALESCE($2, manager_id), answered_at = COALESCE(answered_at, $3),
                    duration_seconds = COALESCE($4, duration_seconds), status = $5, updated_at = now() WHERE id = $1`,
            [call.id, managerId, answeredAt, duration, event.status ?? 'in-progress'],
          );
          return 'applied';
        }
        case 'completed':
        case 'missed': {
          let answered = !!call.answered;
          let managerId: string | null = call.manager_id;
          if (event.type === 'completed' && !answered && event.answered) {
            answered = true;
            if (call.direction === 'inbound') managerId = (await this.resolveManager(em, event.manager)) ?? managerId;
            await em.query(`UPDATE call SET answered = true, manager_id = $2, answered_at = COALESCE(answered_at, $3) WHERE id = $1`, [call.id, managerId, at]);
          }
          const duration = answered ? (call.duration_seconds ?? event.durationSeconds ?? 0) : 0;
          await this.finish(em, { ...call, answered, manager_id: managerId }, { status: event.status ?? (answered ? 'completed' : 'no-answer'), durationSeconds: duration, at });
          return 'applied';
        }
      }
      return 'stale';
    });
  }

  /** Ends the call and leaves its traces: timeline entry, callback task (completed or opened), notice. */
  private async finish(em: EntityManager, call: any, end: { status: string; durationSeconds: number; at: Date }): Promise<void> {
    const inbound = call.direction === 'inbound';
    const answered = !!call.answered;
    const actorId: string | null = inbound ? (answered ? call.manager_id : null) : call.placed_by_id;
    const [actor] = actorId ? await em.query(`SELECT name, timezone FROM manager WHERE id = $1`, [actorId]) : [];
    const kind = inbound ? (answered ? 'call_in' : 'call_missed') : 'call_out';
    let taskId: string | null = null;
    let attempt: number | null = null;
    if (call.contact_id && inbound && !answered) ({ taskId, attempt } = await this.missedCallTask(em, call, end.at));
    const payload: Record<string, unknown> = {
      callId: call.id,
      direction: call.direction,
      status: end.status,
      answered,
      durationSeconds: end.durationSeconds,
      from: call.from_number,
      to: call.to_number,
      managerId: actorId,
      managerName: actor?.name ?? null,
      text: callText({ direction: call.direction, answered, managerName: actor?.name ?? null, durationSeconds: end.durationSeconds, status: end.status, attempt }),
      ...(taskId ? { taskId, attempt } : {}),
      ...(call.recording_url ? { recording: this.recordingPayload(call) } : {}),
      ...(call.error ? { error: call.error } : {}),
    };
    let activityId: string | null = null;
    if (call.contact_id) {
      const [row] = await em.query(
        `INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload) VALUES ($1, $2, $3, 'phone', $4, $5, $6) RETURNING id`,
        [call.contact_id, call.deal_id, kind, actorId, end.at, JSON.stringify(payload)],
      ).then((r: unknown) => returnedRows<any>(r));
      activityId = row.id;
      await em.query(`UPDATE contact SET last_activity_at = GREATEST(last_activity_at, $2), updated_at = now() WHERE id = $1`, [call.contact_id, end.at]);
    }
    await em.query(
      `UPDATE call SET status = $2, duration_seconds = $3, ended_at = $4, activity_id = $5, task_id = COALESCE($6, task_id), updated_at = now() WHERE id = $1`,
      [call.id, end.status, end.durationSeconds, end.at, activityId, taskId],
    );
    // Talking to the client is the callback: an answered incoming call completes the open callback task.
    if (call.contact_id && inbound && answered) {
      await this.tasks.recordOutboundContact(em, { contactId: call.contact_id, channel: 'phone', at: end.at, actorId });
    }
    this.log.log({ msg: 'call ended', callId: call.id, providerCallId: call.provider_call_id, kind, status: end.status, answered, durationSeconds: end.durationSeconds, managerId: actorId, taskId });
  }

  /**
   * A missed call: the deal's open callback task takes one more attempt (repeated calls join it), or a
   * new one is opened, due CALLBACK_SLA_MINUTES of business time from now; the assignee is told.
   */
  private async missedCallTask(em: EntityManager, call: any, at: Date): Promise<{ taskId: string | null; attempt: number | null }> {
    if (!call.deal_id) return { taskId: null, attempt: null };
    let [task] = await em.query(`SELECT * FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open' FOR UPDATE`, [call.deal_id]);
    if (!task) {
      const [deal] = await em.query(`SELECT owner_id FROM deal WHERE id = $1`, [call.deal_id]);
      const [contact] = await em.query(`SELECT name FROM contact WHERE id = $1`, [call.contact_id]);
      const dueAt = addBusinessMinutes(this.options.businessHours, at, this.options.callbackSlaMinutes);
      const { remindAt, escalateAt } = slaInstants(this.options.businessHours, this.options.sla, dueAt);
      [task] = returnedRows<any>(
        await em.query(
          `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at, created_at)
           VALUES ($1, $2, $3, 'callback', $4, $5, $6, $7, $8) RETURNING *`,
          [call.deal_id, call.contact_id, deal?.owner_id ?? null, `Call back ${contact?.name ?? formatPhoneForPeople(call.from_number)}`, dueAt, remindAt, escalateAt, at],
        ),
      );
      await this.timeline.record(em, {
        contactId: call.contact_id,
        dealId: call.deal_id,
        kind: 'task_created',
        occurredAt: at,
        payload: { taskId: task.id, kind: 'callback', dueAt: dueAt.toISOString(), slaMinutes: this.options.callbackSlaMinutes, reason: 'missed call' },
      });
    }
    const [{ missed_calls: attempt }] = returnedRows<any>(await em.query(`UPDATE task SET missed_calls = missed_calls + 1 WHERE id = $1 RETURNING missed_calls`, [task.id]));
    const [assignee] = task.assignee_id ? await em.query(`SELECT id, timezone FROM manager WHERE id = $1 AND active`, [task.assignee_id]) : [];
    const dueAt = new Date(task.due_at);
    const from = formatPhoneForPeople(call.from_number);
    const byClock = localClock(dueAt, assignee?.timezone ?? this.options.businessHours.timezone);
    const text = `Missed call from ${from}${attempt > 1 ? ` (attempt ${attempt})` : ''}, call back by ${byClock}`;
    const notice = { event: 'call_missed', callId: call.id, contactId: call.contact_id, dealId: call.deal_id, taskId: task.id, from: call.from_number, attempt, dueAt: dueAt.toISOString(), text };
    await this.outbox.enqueue(
      em,
      assignee ? { kind: OutboxKind.NotifyManager, payload: { ...notice, managerId: assignee.id } } : { kind: OutboxKind.NotifyAdmins, payload: notice },
    );
    return { taskId: task.id, attempt };
  }

  private async attachRecording(em: EntityManager, call: any, event: CallEvent): Promise<void> {
    const rec = event.recording;
    if (!rec) return;
    const status = rec.status ?? 'completed';
    if (status !== 'completed') {
      await em.query(`UPDATE call SET recording_status = $2, updated_at = now() WHERE id = $1 AND recording_url IS NULL`, [call.id, status]);
      return;
    }
    await em.query(
      `UPDATE call SET recording_sid = $2, recording_url = $3, recording_duration_seconds = $4, recording_status = 'completed', updated_at = now() WHERE id = $1`,
      [call.id, rec.id, rec.url, rec.durationSeconds],
    );
    if (call.activity_id) {
      const recording = this.recordingPayload({ ...call, recording_url: rec.url, recording_duration_seconds: rec.durationSeconds });
      await em.query(`UPDATE activity SET payload = payload || $2::jsonb WHERE id = $1`, [call.activity_id, JSON.stringify({ recording })]);
    }
  }

  /** The timeline links the hub's stream, never the provider's URL (that one needs the account's credentials). */
  private recordingPayload(call: any): { durationSeconds: number | null; url: string } {
    return { durationSeconds: call.recording_duration_seconds ?? null, url: `/api/calls/${call.id}/recording` };
  }

  private async resolveManager(em: EntityManager, ref: CallManagerRef | null | undefined): Promise<string | null> {
    if (!ref) return null;
    if (ref.id && /^[0-9a-f-]{36}$/i.test(ref.id)) {
      const [m] = await em.query(`SELECT id FROM manager WHERE id = $1`, [ref.id]);
      if (m) return m.id;
    }
    const phone = normalizePhone(ref.phone, this.options.defaultPhoneRegion);
    if (phone) {
      const [m] = await em.query(`SELECT id FROM manager WHERE phone = $1 ORDER BY active DESC LIMIT 1`, [phone]);
      if (m) return m.id;
    }
    const email = normalizeEmail(ref.email ?? '');
    if (email) {
      const [m] = await em.query(`SELECT id FROM manager WHERE email = $1`, [email]);
      if (m) return m.id;
    }
    return null;
  }

  /**
   * Logs a call a provider reports without asking us to route it (a PBX's outbound call): the
   * contact is found by number; an outbound call to a known contact counts as the callback.
   */
  async reportOutbound(input: CallEvent): Promise<'applied' | 'duplicate'> {
    const event = sanitizeForDatabase(input);
    if (await this.findRow(event.provider, event.providerCallId)) return 'duplicate';
    const at = event.occurredAt ?? this.clock.now();
    const to = normalizePhone(event.to, this.options.defaultPhoneRegion);
    const [identity] = to ? await this.db.query(`SELECT contact_id FROM contact_identity WHERE kind = 'phone' AND value = $1`, [to]) : [];
    const contactId: string | null = identity?.contact_id ?? null;
    const [deal] = contactId ? await this.db.query(`SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL ORDER BY created_at DESC LIMIT 1`, [contactId]) : [];
    return this.db.transaction(async (em) => {
      const managerId = await this.resolveManager(em, event.manager);
      const rows = returnedRows<any>(
        await em.query(
          `INSERT INTO call (provider, provider_call_id, direction, from_number, to_number, contact_id, deal_id, manager_id, placed_by_id, status, started_at)
           VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $7, $8, $9) ON CONFLICT (provider, provider_call_id) DO NOTHING RETURNING id`,
          [event.provider, event.providerCallId, event.from ?? null, to ?? event.to ?? null, contactId, deal?.id ?? null, managerId, event.status ?? 'initiated', at],
        ),
      );
      if (!rows.length) return 'duplicate';
      if (contactId) await this.tasks.recordOutboundContact(em, { contactId, channel: 'phone', at, actorId: managerId });
      return 'applied';
    });
  }

  async findByProviderId(provider: string, providerCallId: string): Promise<CallView | null> {
    const row = await this.findRow(provider, providerCallId);
    return row ? toView(row) : null;
  }

  async findById(id: string): Promise<CallView | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const [row] = await this.db.query(`SELECT * FROM call WHERE id = $1`, [id]);
    return row ? toView(row) : null;
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

  private async findRow(provider: string, providerCallId: string): Promise<any | null> {
    // Looked up as stored: provider ids enter the core cleaned (sanitizeForDatabase), so lookups are too.
    const [row] = await this.db.query(`SELECT * FROM call WHERE provider = $1 AND provider_call_id = $2`, [toDatabaseText(provider), toDatabaseText(providerCallId)]);
    return row ?? null;
  }

  private routeOf(row: any, duplicate: boolean): InboundCallRoute {
    return {
      callId: row.id,
      contactId: row.contact_id,
      dealId: row.deal_id,
      caller: normalizePhone(row.from_number, this.options.defaultPhoneRegion),
      targets: row.targets ?? [],
      afterHours: !isOpen(this.options.businessHours, new Date(row.started_at)),
      duplicate,
    };
  }
}

function toView(r: any): CallView {
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
    startedAt: new Date(r.started_at).toISOString(),
    answeredAt: r.answered_at ? new Date(r.answered_at).toISOString() : null,
    endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
    recording: r.recording_url ? { sid: r.recording_sid, url: r.recording_url, durationSeconds: r.recording_duration_seconds } : null,
  };
}
