import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AssignmentService } from '../assignment/assignment.service';
import { addBusinessMinutes } from '../business-hours/business-hours';
import { ContactResolver } from '../contacts/contact-resolver';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../errors/domain-error';
import { normalizeEmail } from '../identity/email';
import type { IdentityKey } from '../identity/identity-kind';
import { normalizePhone } from '../identity/phone';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { TimelineService } from '../timeline/timeline.service';
import type { IngestFailure, IngestResult, InboundEvent } from './inbound-event';

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
    private readonly timeline: TimelineService,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Processes an event. If our own code fails on it, the raw payload is kept as a failed receipt
   * (replayable) and an `IngestFailure` is returned so the caller can still answer 2xx. Only an
   * unreachable database throws (DatabaseUnavailableError), so the provider retries later.
   */
  async ingest(event: InboundEvent, raw: unknown): Promise<IngestResult | IngestFailure> {
    try {
      const result = await this.db.transaction((em) => this.ingestInTransaction(em, event, raw));
      this.log.log({ msg: result.duplicate ? 'lead duplicate' : 'lead ingested', channel: event.channel, externalId: event.externalId, ...result });
      return result;
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
      return this.recordFailure(event.channel, event.externalId, raw, err);
    }
  }

  /** Keeps a payload we could not process (mapping or intake failure) for inspection and replay. */
  async recordFailure(channel: string, externalId: string, raw: unknown, err: unknown): Promise<IngestFailure> {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    try {
      const rows: Array<{ id: string }> = await this.db.query(
        `INSERT INTO inbound_receipt (channel, external_id, status, raw, error, attempts, received_at)
         VALUES ($1, $2, 'failed', $3, $4, 1, now())
         ON CONFLICT (channel, external_id) DO UPDATE
            SET error = EXCLUDED.error, raw = EXCLUDED.raw, attempts = inbound_receipt.attempts + 1
          WHERE inbound_receipt.status = 'failed'
         RETURNING id`,
        [channel, externalId, JSON.stringify(raw ?? null), error.slice(0, 4000)],
      );
      const receiptId = rows[0]?.id ?? (await this.db.query(`SELECT id FROM inbound_receipt WHERE channel = $1 AND external_id = $2`, [channel, externalId]))[0]?.id;
      this.log.error({ msg: 'lead failed, kept for replay', channel, externalId, receiptId, error });
      return { failed: true, receiptId, error };
    } catch (storeErr) {
      // Nothing could be stored: the sender must retry.
      throw new DatabaseUnavailableError(storeErr);
    }
  }

  private async ingestInTransaction(em: EntityManager, event: InboundEvent, raw: unknown): Promise<IngestResult> {
    const occurredAt = event.occurredAt ? new Date(event.occurredAt) : this.clock.now();

    if (event.dedupeKey) {
      await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`receipt:${event.channel}:${event.dedupeKey}`]);
      const [recent] = await em.query(
        `SELECT id, status, result FROM inbound_receipt
          WHERE channel = $1 AND dedupe_key = $2 AND status = 'processed' AND received_at > now() - make_interval(secs => $3)
          ORDER BY received_at DESC LIMIT 1`,
        [event.channel, event.dedupeKey, this.options.submissionDedupeSeconds],
      );
      if (recent?.result) return { ...(recent.result as IngestResult), duplicate: true };
    }

    const receiptId = await this.claimReceipt(em, event, raw);
    if (typeof receiptId !== 'string') return receiptId;

    const identities = this.identitiesOf(event);
    const name = event.contact.name?.trim() || null;
    const contact = await this.contacts.resolve(em, identities, name, occurredAt, event.channel);
    // One intake at a time per contact decides "new deal or join the open one".
    await em.query(`SELECT id FROM contact WHERE id = $1 FOR UPDATE`, [contact.contactId]);

    const [openDeal] = await em.query(
      `SELECT d.id, d.owner_id, m.active AS owner_active FROM deal d LEFT JOIN manager m ON m.id = d.owner_id
        WHERE d.contact_id = $1 AND d.closed_at IS NULL ORDER BY d.created_at DESC LIMIT 1`,
      [contact.contactId],
    );
    let dealId: string;
    let ownerId: string | null;
    const repeatLead = !!openDeal;
    const leadPayload = {
      receiptId,
      name,
      message: event.message?.text ?? null,
      subject: event.message?.subject ?? null,
      identities: identities.map(({ kind, value }) => ({ kind, value })),
      source: event.source ?? {},
      fields: event.fields ?? {},
    };
    if (openDeal) {
      dealId = openDeal.id;
      ownerId = openDeal.owner_active ? openDeal.owner_id : null;
      await this.timeline.record(em, { contactId: contact.contactId, dealId, kind: 'repeat_lead', channel: event.channel, occurredAt, payload: leadPayload });
    } else {
      const [deal] = await em.query(
        `INSERT INTO deal (contact_id, stage, source_channel, source, title) VALUES ($1, 'new', $2, $3, $4) RETURNING id`,
        [contact.contactId, event.channel, JSON.stringify(event.source ?? {}), dealTitle(event, name)],
      );
      dealId = deal.id;
      ownerId = null;
      await this.timeline.record(em, { contactId: contact.contactId, dealId, kind: 'lead', channel: event.channel, occurredAt, payload: leadPayload });
    }

    let taskId: string | null = null;
    const [openCallback] = await em.query(`SELECT id FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open'`, [dealId]);
    if (openCallback) {
      taskId = openCallback.id;
    } else {
      const dueAt = addBusinessMinutes(this.options.businessHours, occurredAt, this.options.callbackSlaMinutes);
      const [task] = await em.query(
        `INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at) VALUES ($1, $2, $3, 'callback', $4, $5) RETURNING id`,
        [dealId, contact.contactId, ownerId, `Call back ${name ?? 'the client'}`, dueAt],
      );
      taskId = task.id;
      await this.timeline.record(em, {
        contactId: contact.contactId,
        dealId,
        kind: 'task_created',
        occurredAt,
        payload: { taskId, kind: 'callback', dueAt: dueAt.toISOString(), slaMinutes: this.options.callbackSlaMinutes },
      });
    }

    if (!ownerId) {
      const decision = await this.assignment.decide(em, contact.ownerId);
      await this.assignment.apply(em, { id: dealId, contactId: contact.contactId }, decision, null, { taskId, leadId: receiptId });
      ownerId = decision.managerId;
    } else {
      await this.outbox.enqueue(em, OutboxKind.NotifyManager, { event: 'repeat_lead', managerId: ownerId, dealId, contactId: contact.contactId, taskId, leadId: receiptId });
    }

    const result: IngestResult = { leadId: receiptId, contactId: contact.contactId, dealId, taskId, ownerId, duplicate: false, repeatLead };
    await em.query(`UPDATE inbound_receipt SET status = 'processed', result = $2, error = NULL, processed_at = now() WHERE id = $1`, [
      receiptId,
      JSON.stringify(result),
    ]);
    return result;
  }

  /** Inserts the receipt or finds the earlier one. Returns the receipt id to process, or the earlier result. */
  private async claimReceipt(em: EntityManager, event: InboundEvent, raw: unknown): Promise<string | IngestResult> {
    const inserted: Array<{ id: string }> = await em.query(
      `INSERT INTO inbound_receipt (channel, external_id, dedupe_key, status, raw, received_at)
       VALUES ($1, $2, $3, 'processed', $4, now())
       ON CONFLICT (channel, external_id) DO NOTHING RETURNING id`,
      [event.channel, event.externalId, event.dedupeKey ?? null, JSON.stringify(raw ?? null)],
    );
    if (inserted[0]) return inserted[0].id;
    // A concurrent twin waited on our unique key above; by now it has committed.
    const [existing]: ReceiptRow[] = await em.query(
      `SELECT id, status, result FROM inbound_receipt WHERE channel = $1 AND external_id = $2 FOR UPDATE`,
      [event.channel, event.externalId],
    );
    if (existing.status === 'processed' && existing.result) return { ...(existing.result as IngestResult), duplicate: true };
    // A failed receipt: this delivery (a provider retry or a replay) takes it over.
    await em.query(`UPDATE inbound_receipt SET attempts = attempts + 1, raw = $2, dedupe_key = $3 WHERE id = $1`, [
      existing.id,
      JSON.stringify(raw ?? null),
      event.dedupeKey ?? null,
    ]);
    return existing.id;
  }

  private identitiesOf(event: InboundEvent): Array<IdentityKey & { details?: Record<string, unknown> }> {
    const out: Array<IdentityKey & { details?: Record<string, unknown> }> = [];
    for (const p of event.contact.phones ?? []) {
      const value = normalizePhone(p, this.options.defaultPhoneRegion);
      if (value) out.push({ kind: 'phone', value, details: { input: p } });
    }
    for (const e of event.contact.emails ?? []) {
      const value = normalizeEmail(e);
      if (value) out.push({ kind: 'email', value });
    }
    const tg = event.contact.telegram;
    if (tg?.userId) out.push({ kind: 'telegram', value: String(tg.userId), details: tg.username ? { username: tg.username } : {} });
    const seen = new Set<string>();
    return out.filter((i) => !seen.has(`${i.kind}:${i.value}`) && !!seen.add(`${i.kind}:${i.value}`));
  }
}

export function isIngestFailure(r: IngestResult | IngestFailure): r is IngestFailure {
  return (r as IngestFailure).failed === true;
}

function dealTitle(event: InboundEvent, name: string | null): string {
  const who = name ?? event.contact.phones?.[0] ?? event.contact.emails?.[0] ?? 'client';
  const where = event.source?.formName ?? event.channel.replace('_', ' ');
  return `${who} — ${where}`.slice(0, 200);
}
