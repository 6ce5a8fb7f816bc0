import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AssignmentService } from '../assignment/assignment.service';
import { addBusinessMinutes } from '../business-hours/business-hours';
import { ContactResolver, identityLockKeys, identityMatchesSql, type IdentityMatch, type LeadIdentity } from '../contacts/contact-resolver';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { databaseErrorCause, DatabaseUnavailableError, isDatabaseUnavailable } from '../errors/domain-error';
import { normalizeEmail } from '../identity/email';
import { channelIdentityValue, isIdentityKind } from '../identity/identity-kind';
import { normalizePhone } from '../identity/phone';
import { OutboxKind } from '../outbox/outbox.service';
import { StageAutomation, type PlannedStageTasks } from '../pipelines/stage-automation';
import { rawPayloadText } from '../receipts/raw-payload';
import { sanitizeForDatabase, toDatabaseText } from '../text/database-text';
import { slaInstants } from '../sla/sla-schedule';
import type { IngestFailure, IngestResult, InboundEvent } from './inbound-event';
import { LeadWrites } from './lead-writes';

interface ReceiptRow {
  id: string;
  status: 'processed' | 'failed';
  result: Omit<IngestResult, 'duplicate'> | null;
}

/**
 * The one intake path. Every channel hands its normalised event to `ingest`, which in a single
 * transaction records the receipt (idempotent on channel + external id), resolves the contact,
 * opens or reuses the deal, assigns an owner, creates the callback task, writes the timeline and
 * queues the owner notification. The caller answers its provider only after this returns.
 */
@Injectable()
export class IntakeService {
  private readonly log = new Logger('Intake');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly contacts: ContactResolver,
    private readonly assignment: AssignmentService,
    private readonly automation: StageAutomation,
  ) {}

  /**
   * Processes an event. If our own code fails on it, the raw payload is kept as a failed receipt
   * (replayable) and an `IngestFailure` is returned so the caller can still answer 2xx. Only an
   * unreachable database throws (DatabaseUnavailableError), so the provider retries later.
   */
  async ingest(input: InboundEvent, raw: unknown): Promise<IngestResult | IngestFailure> {
    // The one place input enters the core: from here on every text is storable (no NUL, no lone
    // surrogate). The raw payload is kept as JSON text, which holds both losslessly.
    const event = sanitizeForDatabase(input);
    try {
      const result = await this.inTransactionWithRetry((em) => this.ingestInTransaction(em, event, raw));
      // Debug only: the channel writes the one line per handled event (the HTTP access line carries these ids).
      this.log.debug({ msg: result.duplicate ? 'lead duplicate' : 'lead ingested', channel: event.channel, externalId: event.externalId, ...result });
      return result;
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw this.unavailable(err, event.channel, event.externalId);
      return this.recordFailure(event.channel, event.externalId, raw, err);
    }
  }

  /** Deadlocks and serialization failures are the database asking us to try again, not a bad payload. */
  private async inTransactionWithRetry<T>(work: (em: EntityManager) => Promise<T>, attempts = 3): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(work);
      } catch (err) {
        const code = (err as { driverError?: { code?: string }; code?: string })?.driverError?.code ?? (err as { code?: string })?.code;
        if (attempt >= attempts || (code !== '40P01' && code !== '40001')) throw err;
        this.log.warn({ msg: 'intake transaction retried', code, attempt });
      }
    }
  }

  /** Keeps a payload we could not process (mapping or intake failure) for inspection and replay. */
  async recordFailure(channel: string, externalId: string, raw: unknown, err: unknown): Promise<IngestFailure> {
    const error = toDatabaseText(err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 4000);
    const key = toDatabaseText(externalId);
    try {
      const rows: Array<{ id: string }> = await this.db.query(
        `INSERT INTO inbound_receipt (channel, external_id, status, raw, error, attempts, received_at)
         VALUES ($1, $2, 'failed', $3, $4, 1, now())
         ON CONFLICT (channel, external_id) DO UPDATE
            SET error = EXCLUDED.error, raw = EXCLUDED.raw, attempts = inbound_receipt.attempts + 1
          WHERE inbound_receipt.status = 'failed'
         RETURNING id`,
        [channel, key, rawPayloadText(raw), error],
      );
      const receiptId = rows[0]?.id ?? (await this.db.query(`SELECT id FROM inbound_receipt WHERE channel = $1 AND external_id = $2`, [channel, key]))[0]?.id;
      this.log.error({ msg: 'lead failed, kept for replay', channel, externalId: key, receiptId, error });
      return { failed: true, receiptId, error };
    } catch (storeErr) {
      // Only an unreachable database makes the sender retry; anything else is our bug and must show as one.
      if (isDatabaseUnavailable(storeErr)) throw this.unavailable(storeErr, channel, key);
      throw storeErr;
    }
  }

  /** "Database unavailable" is logged once here, at warn, with its cause (the sender gets 503 and retries). */
  private unavailable(err: unknown, channel: string, externalId: string): DatabaseUnavailableError {
    this.log.warn({ msg: 'database unavailable, lead not stored (sender will retry)', channel, externalId, cause: databaseErrorCause(err) });
    return new DatabaseUnavailableError(err);
  }

  private async ingestInTransaction(em: EntityManager, event: InboundEvent, raw: unknown): Promise<IngestResult> {
    // Time truth: the lead happened when WE received it. The sender's claimed time (a Date header
    // 30 minutes old, a clock 2 h ahead, no date at all) never moves the SLA clock; it is kept
    // on the entry as information only.
    const at = this.clock.now();
    const claimedAt = claimedTime(event.occurredAt);
    const { identities, unreadablePhones } = this.identitiesOf(event);
    const name = event.contact.name?.trim() || null;

    // All advisory locks in one statement and one global order (no deadlocks): the submission's
    // dedupe key and every identity, so concurrent leads of one person or one submission queue up.
    const textPhones = this.textPhonesOf(event, identities);
    const lockKeys = [...(event.dedupeKey ? [`receipt:${event.channel}:${event.dedupeKey}`] : []), ...identityLockKeys([...identities, ...textPhones])].sort();
    if (lockKeys.length) {
      await em.query(`SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM (SELECT unnest($1::text[]) AS k ORDER BY 1) AS keys`, [lockKeys]);
    }

    const claim = await this.claimReceipt(em, event, raw, identities);
    if (!('receiptId' in claim)) return claim;
    const { receiptId } = claim;

    const writes = new LeadWrites();
    const contact = await this.contacts.resolve(em, identities, name, at, event.channel, writes, claim.matches);
    const contactId = contact.contactId;
    await this.addTextPhones(em, contactId, textPhones, at, event.channel, writes);

    // A brand-new contact has no deal yet: nothing to look up.
    const [openDeal] = contact.created
      ? []
      : await em.query(
          `SELECT d.id, m.id AS owner_id, (SELECT t.id FROM task t WHERE t.deal_id = d.id AND t.kind = 'callback' AND t.status = 'open') AS callback_id
             FROM deal d LEFT JOIN manager m ON m.id = d.owner_id AND m.active
            WHERE d.contact_id = $1 AND d.closed_at IS NULL ORDER BY d.created_at DESC LIMIT 1`,
          [contactId],
        );
    const dealId: string = openDeal?.id ?? randomUUID();
    const repeatLead = !!openDeal;
    // A message on an open deal is conversation, not a new enquiry: no callback task of its own.
    const conversation = repeatLead && event.kind === 'message';
    let ownerId: string | null = openDeal?.owner_id ?? null;
    const taskId: string | null = openDeal?.callback_id ?? (conversation ? null : randomUUID());
    const newTask = !openDeal?.callback_id && !conversation;
    const activityId = randomUUID();

    // Decide the owner before writing, so deal and task are written with it.
    const decision = ownerId ? null : await this.assignment.decide(em, contact.activeOwner);
    if (decision) ownerId = decision.managerId;

    let entryTasks: PlannedStageTasks | null = null;
    if (openDeal) {
      if (decision) writes.dealOwner = { id: dealId, ownerId };
    } else {
      // A new deal enters the default pipeline's (or the event's routed pipeline's) first open stage, and that stage's rules apply.
      const entry = await this.automation.entryStage(em, event.pipeline);
      writes.newDeal = {
        id: dealId,
        contactId,
        ownerId,
        channel: event.channel,
        source: event.source ?? {},
        title: dealTitle(event, name),
        pipelineId: entry?.pipelineId,
        stageId: entry?.id,
        stage: entry?.key,
        // The deal is as old as the lead: from when we received it, like the task.
        createdAt: at,
      };
      if (entry?.rules.length) entryTasks = await this.automation.plan(em, { id: dealId, contactId, ownerId }, entry, at, null);
    }
    if (writes.newContact) writes.newContact.ownerId = ownerId;
    if (writes.knownContact) writes.knownContact.ownerId = ownerId;
    const activityKind = conversation ? 'message_in' : repeatLead ? 'repeat_lead' : 'lead';
    writes.activities.push({
      id: activityId,
      contactId,
      dealId,
      kind: activityKind,
      channel: event.channel,
      occurredAt: at,
      payload: {
        receiptId,
        name,
        message: event.message?.text ?? null,
        subject: event.message?.subject ?? null,
        identities: identities.map(({ kind, value }) => ({ kind, value })),
        source: event.source ?? {},
        // A phone we cannot read is no identity (it would match nobody and split the person in two),
        // but the manager still sees it as typed, next to the other fields.
        fields: unreadablePhones.length ? { ...(event.fields ?? {}), [UNREADABLE_PHONE_FIELD]: unreadablePhones.join(', ') } : (event.fields ?? {}),
        ...(unreadablePhones.length ? { unreadablePhones } : {}),
        details: event.message?.details ?? {},
        ...(claimedAt ? { claimedAt } : {}),
      },
    });
    if (newTask && taskId) {
      const dueAt = addBusinessMinutes(this.options.businessHours, at, this.options.callbackSlaMinutes);
      const { remindAt, escalateAt } = slaInstants(this.options.businessHours, this.options.sla, dueAt);
      // created_at is the lead's time (the domain clock), so "called back after N min" counts from the lead.
      writes.newTask = { id: taskId, dealId, contactId, assigneeId: ownerId, title: `Call back ${name ?? 'the client'}`, dueAt, remindAt, escalateAt, createdAt: at };
      writes.activities.push({
        contactId,
        dealId,
        kind: 'task_created',
        occurredAt: at,
        payload: { taskId, kind: 'callback', dueAt: dueAt.toISOString(), slaMinutes: this.options.callbackSlaMinutes },
      });
    }
    if (decision) {
      const { activity, notice } = this.assignment.effects({ id: dealId, contactId }, decision, null, { taskId, leadId: receiptId, activityId });
      writes.activities.push(activity);
      writes.outbox.push(notice);
      const passed = this.assignment.passedOwnerNotice({ id: dealId, contactId }, decision, { taskId, leadId: receiptId });
      if (passed) writes.outbox.push(passed);
    } else {
      writes.outbox.push({
        kind: OutboxKind.NotifyManager,
        payload: { event: activityKind, managerId: ownerId, dealId, contactId, taskId, leadId: receiptId, activityId, channel: event.channel, text: event.message?.text ?? null },
      });
    }

    if (entryTasks) {
      writes.ruleTasks.push(...entryTasks.tasks);
      writes.activities.push(...entryTasks.activities);
      writes.outbox.push(...entryTasks.notices);
    }

    const result: IngestResult = { leadId: receiptId, contactId, dealId, taskId, ownerId, activityId, duplicate: false, repeatLead };
    writes.receipt = { id: receiptId, result };
    await writes.flush(em);
    return result;
  }

  /**
   * Claims the receipt (idempotency on channel + external id) and, for senders without ids, finds
   * the same submission within the dedupe window, in one statement; the same statement reads who owns
   * the lead's identities (its snapshot is taken after the identity locks, like a statement of its
   * own would be). Returns the receipt id to process with those matches, or the earlier result.
   */
  private async claimReceipt(em: EntityManager, event: InboundEvent, raw: unknown, identities: LeadIdentity[]): Promise<{ receiptId: string; matches?: IdentityMatch[] } | IngestResult> {
    const [row]: Array<{ receipt_id: string | null; recent_result: IngestResult | null; matches: IdentityMatch[] | null }> = await em.query(
      `WITH recent AS (
         SELECT result FROM inbound_receipt
          WHERE $3::text IS NOT NULL AND channel = $1 AND dedupe_key = $3 AND status = 'processed'
            AND received_at > now() - make_interval(secs => $5)
          ORDER BY received_at DESC LIMIT 1
       ), claimed AS (
         INSERT INTO inbound_receipt (channel, external_id, dedupe_key, status, raw, received_at)
         SELECT $1, $2, $3, 'processed', $4, now() WHERE NOT EXISTS (SELECT 1 FROM recent)
         ON CONFLICT (channel, external_id) DO NOTHING RETURNING id
       )
       SELECT (SELECT id FROM claimed) AS receipt_id, (SELECT result FROM recent) AS recent_result,
              (SELECT json_agg(m) FROM (${identityMatchesSql(6, 7)}) AS m) AS matches`,
      [
        event.channel,
        event.externalId,
        event.dedupeKey ?? null,
        rawPayloadText(raw),
        this.options.submissionDedupeSeconds,
        identities.map((i) => i.kind),
        identities.map((i) => i.value),
      ],
    );
    if (row.recent_result) return { ...row.recent_result, duplicate: true };
    if (row.receipt_id) return { receiptId: row.receipt_id, matches: row.matches ?? [] };
    // A concurrent twin waited on our unique key above; by now it has committed.
    const [existing]: ReceiptRow[] = await em.query(
      `SELECT id, status, result FROM inbound_receipt WHERE channel = $1 AND external_id = $2 FOR UPDATE`,
      [event.channel, event.externalId],
    );
    if (existing.status === 'processed' && existing.result) return { ...(existing.result as IngestResult), duplicate: true };
    // Taken over below: its identities are read again by the resolver (rare path).
    // A failed receipt: this delivery (a provider retry or a replay) takes it over.
    await em.query(`UPDATE inbound_receipt SET attempts = attempts + 1, raw = $2, dedupe_key = $3 WHERE id = $1`, [
      existing.id,
      rawPayloadText(raw),
      event.dedupeKey ?? null,
    ]);
    return { receiptId: existing.id };
  }

  /** Phones written in the text, normalised, that are not already identities of this event. */
  private textPhonesOf(event: InboundEvent, identities: LeadIdentity[]): LeadIdentity[] {
    const taken = new Set(identities.map((i) => `${i.kind}:${i.value}`));
    const out: LeadIdentity[] = [];
    for (const input of event.contact.phonesInText ?? []) {
      const value = normalizePhone(input, this.options.defaultPhoneRegion);
      if (!value || taken.has(`phone:${value}`)) continue;
      taken.add(`phone:${value}`);
      out.push({ kind: 'phone', value, details: { input, foundInText: true } });
    }
    return out;
  }

  /**
   * A phone found in the text becomes the contact's identity only when nobody has it yet: text can
   * quote someone else's number, so it never joins or reassigns another contact.
   */
  private async addTextPhones(em: EntityManager, contactId: string, phones: LeadIdentity[], at: Date, channel: string, writes: LeadWrites): Promise<void> {
    if (!phones.length) return;
    const known: Array<{ value: string }> = await em.query(`SELECT value FROM contact_identity WHERE kind = 'phone' AND value = ANY($1::text[])`, [phones.map((p) => p.value)]);
    const fresh = phones.filter((p) => !known.some((k) => k.value === p.value));
    if (!fresh.length) return;
    writes.identities.push(...fresh.map((p) => ({ contactId, kind: p.kind, value: p.value, details: p.details ?? {} })));
    writes.activities.push({ contactId, kind: 'identity_added', channel, occurredAt: at, payload: { identities: fresh.map(({ kind, value }) => ({ kind, value })), foundInText: true } });
  }

  private identitiesOf(event: InboundEvent): { identities: LeadIdentity[]; unreadablePhones: string[] } {
    const out: LeadIdentity[] = [];
    const unreadablePhones: string[] = [];
    const phone = (p: string, details: Record<string, unknown> = {}) => {
      const value = normalizePhone(p, this.options.defaultPhoneRegion);
      if (value) out.push({ kind: 'phone', value, details: { ...details, input: p } });
      else if (String(p ?? '').trim()) unreadablePhones.push(String(p).trim().slice(0, 100));
    };
    const email = (e: string, details: Record<string, unknown> = {}) => {
      const value = normalizeEmail(e);
      if (value) out.push({ kind: 'email', value, details });
    };
    for (const p of event.contact.phones ?? []) phone(p);
    for (const e of event.contact.emails ?? []) email(e);
    for (const i of event.contact.identities ?? []) {
      // A kind that is not a token is the channel's bug: the lead is kept as a failed receipt for replay.
      if (!isIdentityKind(i?.kind)) throw new Error(`identity kind ${JSON.stringify(i?.kind)} is not a lowercase token`);
      const details = isPlainObject(i.details) ? i.details : {};
      if (i.kind === 'phone') phone(String(i.value ?? ''), details);
      else if (i.kind === 'email') email(String(i.value ?? ''), details);
      else {
        const value = channelIdentityValue(i.value);
        if (value) out.push({ kind: i.kind, value, details });
      }
    }
    const seen = new Set<string>();
    return { identities: out.filter((i) => !seen.has(`${i.kind}:${i.value}`) && !!seen.add(`${i.kind}:${i.value}`)), unreadablePhones };
  }
}

/** Field of a lead's timeline entry holding phones as typed that no phone plan reads (shown with the other fields). */
export const UNREADABLE_PHONE_FIELD = 'phone (unreadable)';

export function isIngestFailure(r: IngestResult | IngestFailure): r is IngestFailure {
  return (r as IngestFailure).failed === true;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The sender's claimed time as ISO text, or null when absent or not a date at all. */
function claimedTime(value: Date | string | undefined): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function dealTitle(event: InboundEvent, name: string | null): string {
  const who = name ?? event.contact.phones?.[0] ?? event.contact.emails?.[0] ?? 'client';
  const where = event.source?.formName ?? event.channel.replace('_', ' ');
  return `${who} — ${where}`.slice(0, 200);
}
