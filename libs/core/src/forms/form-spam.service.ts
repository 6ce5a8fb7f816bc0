import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '../errors/domain-error';
import type { IngestFailure, IngestResult } from '../intake/inbound-event';
import { IntakeService } from '../intake/intake.service';
import { clampLimit } from '../pagination/cursor';
import { InboundReplayRegistry } from '../receipts/inbound-replay.registry';
import { sanitizeForDatabase } from '../text/database-text';
import { execute, queryRow, queryRows } from '../database/query-rows';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

/** Why a submission was kept as spam instead of becoming a lead. */
export type FormSpamReason = 'honeypot' | 'too_fast';

/** Held-back submissions nobody restored are deleted after this long (bots would fill the table). */
export const FORM_SPAM_KEEP_DAYS = 90;
/** The pruning job's name in the app's SchedulerRegistry (ScheduleModule in AppModule runs it). */
export const FORM_SPAM_PRUNE_JOB = 'forms.spam.prune';

export type FormSpamView = Wire.FormSpamItem;

interface SpamRow {
  id: string;
  form_id: string | null;
  form_name: string | null;
  reason: FormSpamReason;
  ip: string | null;
  origin: string | null;
  received_at: Date;
  restored_at: Date | null;
  deal_id: string | null;
  raw: unknown;
}

/**
 * Form submissions the spam rules held back (a filled honeypot, a snippet form sent faster than a
 * person types). Never dropped: an admin sees them and restores a real person's submission, which
 * then becomes the lead it should have been.
 */
@Injectable()
export class FormSpamService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly intake: IntakeService,
    private readonly registry: InboundReplayRegistry,
  ) {}

  async keep(input: { formId: string; reason: FormSpamReason; raw: unknown; ip: string | null; origin: string | null }): Promise<string> {
    const [row] = await queryRows<{ id: string }>(
      this.db,
      `INSERT INTO web_form_spam (form_id, reason, raw, ip, origin) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      // jsonb refuses NUL and lone surrogates: a spam receipt keeps the storable text of what was posted.
      [input.formId, input.reason, JSON.stringify(sanitizeForDatabase(input.raw)), input.ip, input.origin?.slice(0, 300) ?? null],
    );
    return row.id;
  }

  /**
   * Deletes held-back submissions nobody restored within FORM_SPAM_KEEP_DAYS, so bots cannot fill the
   * table; returns how many went. At the top of every hour (a wall-clock schedule, so frequent restarts
   * do not postpone it as an interval counted from start would), in every hub process: the same DELETE
   * twice is harmless.
   */
  @Cron(CronExpression.EVERY_HOUR, { name: FORM_SPAM_PRUNE_JOB })
  async prune(): Promise<number> {
    const row = await queryRow<{ n: number }>(
      this.db,
      `WITH gone AS (DELETE FROM web_form_spam WHERE restored_at IS NULL AND received_at < now() - make_interval(days => $1) RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [FORM_SPAM_KEEP_DAYS],
    );
    return row?.n ?? 0;
  }

  async list(opts: { formId?: string; includeRestored?: boolean; limit?: number } = {}): Promise<FormSpamView[]> {
    const params: unknown[] = [clampLimit(opts.limit, 500, 100)];
    const where: string[] = [];
    if (opts.formId) {
      params.push(opts.formId);
      where.push(`s.form_id = $${params.length}`);
    }
    if (!opts.includeRestored) where.push(`s.restored_at IS NULL`);
    const rows = await queryRows<SpamRow>(
      this.db,
      `SELECT s.id, s.form_id, f.name AS form_name, s.reason, s.ip, s.origin, s.received_at, s.restored_at, s.deal_id, s.raw
         FROM web_form_spam s LEFT JOIN web_form f ON f.id = s.form_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY s.received_at DESC LIMIT $1`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      formId: r.form_id,
      formName: r.form_name,
      reason: r.reason,
      ip: r.ip,
      origin: r.origin,
      receivedAt: new Date(r.received_at).toISOString(),
      restoredAt: r.restored_at ? new Date(r.restored_at).toISOString() : null,
      dealId: r.deal_id,
      raw: r.raw,
    }));
  }

  /**
   * Makes the held submission the lead it would have been. Idempotent: restoring twice (or two
   * admins at once) gives the same lead. A submission that fails to map (no phone or email) is 400.
   */
  async restore(id: string, managerId: string | null): Promise<IngestResult | IngestFailure> {
    const row = await queryRow<{ id: string; raw: unknown }>(this.db, `SELECT id, raw FROM web_form_spam WHERE id = $1`, [id]);
    if (!row) throw DomainError.notFound('spam receipt');
    const remap = this.registry.get('web_form');
    if (!remap) throw DomainError.conflict('the web form channel is not running');
    let event;
    try {
      event = await remap(row.raw);
    } catch (err) {
      const fields = (err as { fields?: Record<string, string> }).fields;
      if (fields) throw DomainError.invalid('this submission has no valid phone or email', fields);
      throw err;
    }
    // Keyed by the spam receipt: a second restore lands on the same lead; the content key is dropped
    // so the restore is not taken for a repeat of a later identical post.
    const result = await this.intake.ingest({ ...event, externalId: `spam:${row.id}`, dedupeKey: undefined }, row.raw);
    if (!('failed' in result)) {
      await execute(this.db, `UPDATE web_form_spam SET restored_at = now(), restored_by = $2, deal_id = $3 WHERE id = $1 AND restored_at IS NULL`, [
        id,
        managerId,
        result.dealId,
      ]);
    }
    return result;
  }
}
