import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { contactScopeSql, type Viewer } from '../access/viewer';
import { CORE_OPTIONS, type CoreOptions } from '../core-options';
import { execute, queryRow, queryRows } from '../database/query-rows';
import { SqlParams } from '../database/sql-params';
import { DomainError, MovedError } from '../errors/domain-error';
import { normalizeEmail } from '../identity/email';
import { looksLikePhone, normalizePhone } from '../identity/phone';
import { formatPhone } from '../identity/phone-format';
import { clampLimit, decodeCursor, encodeCursor, type Page } from '../pagination/cursor';
import type { ActivityRow, ContactCardRow, ContactDealRow, ContactListRow, ContactSummaryRow } from './contact-queries';
import { contactOrdering, type ContactSort, type SortOrder } from './contact-sort';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

export interface ContactSummary {
  id: string;
  name: string | null;
  /** Other names of the person (from contacts merged into this one). */
  aliases: string[];
  ownerId: string | null;
  identities: Array<{ kind: string; value: string }>;
  lastActivityAt: string;
  createdAt: string;
}

export type TimelineEntry = Wire.TimelineEntry;

/** Reading contacts and their timelines, scoped to what the viewer may see. */
@Injectable()
export class ContactsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  /** A manager sees contacts they own or where they own a deal. */
  private scope(viewer: Viewer, params: unknown[], alias = 'c'): string {
    return contactScopeSql(viewer, params, alias);
  }

  /**
   * 404 unless the contact exists and the viewer may see it: the check for anything reached through a
   * contact (messages, attachments, media, recordings). Runs in the caller's transaction when given one.
   */
  async assertVisible(viewer: Viewer, contactId: string, em?: EntityManager): Promise<void> {
    const params: unknown[] = [contactId];
    const row = await queryRow<{ id: string }>(em ?? this.db, `SELECT c.id FROM contact c WHERE c.id = $1 AND ${this.scope(viewer, params)}`, params);
    if (!row) throw DomainError.notFound('contact');
  }

  /**
   * An absorbed contact answers with where the person lives now (MovedError → 301), to viewers who may
   * see the survivor; to others it does not exist (404), like any contact that is not theirs.
   */
  private async assertNotMerged(viewer: Viewer, id: string): Promise<void> {
    const row = await queryRow<{ id: string }>(
      this.db,
      `WITH RECURSIVE chain(id, merged_into_id, depth) AS (
         SELECT id, merged_into_id, 0 FROM contact WHERE id = $1
         UNION ALL
         SELECT c.id, c.merged_into_id, chain.depth + 1 FROM contact c JOIN chain ON c.id = chain.merged_into_id WHERE chain.depth < 20
       )
       SELECT id FROM chain WHERE merged_into_id IS NULL AND id <> $1 LIMIT 1`,
      [id],
    );
    if (!row) return;
    await this.assertVisible(viewer, row.id);
    throw new MovedError('contact', id, row.id);
  }

  async list(
    viewer: Viewer,
    q: ContactFilters & { search?: string; sort?: ContactSort; order?: SortOrder; cursor?: string; limit?: number },
  ): Promise<Page<ContactSummary>> {
    const limit = clampLimit(q.limit);
    const params = new SqlParams();
    const where: string[] = ['c.merged_into_id IS NULL', this.scope(viewer, params.values)];
    const search = q.search?.trim();
    if (search) {
      const phone = looksLikePhone(search) ? normalizePhone(search, this.options.defaultPhoneRegion) : null;
      const email = normalizeEmail(search);
      if (phone || email) {
        where.push(`EXISTS (SELECT 1 FROM contact_identity i WHERE i.contact_id = c.id AND i.kind = ${params.add(phone ? 'phone' : 'email')} AND i.value = ${params.add(phone ?? email)})`);
      } else if (looksLikePhone(search)) {
        // A partial number: match the digits anywhere in stored E.164 values.
        where.push(`EXISTS (SELECT 1 FROM contact_identity i WHERE i.contact_id = c.id AND i.kind = 'phone' AND i.value LIKE ${params.add(`%${search.replace(/\D/g, '')}%`)})`);
      } else {
        const p = params.add(`%${escapeLike(search.toLowerCase())}%`);
        // Names the person had on other channels (aliases kept by a merge) and Telegram usernames count too.
        where.push(
          `(lower(c.name) LIKE ${p} OR EXISTS (SELECT 1 FROM unnest(c.aliases) AS alias WHERE lower(alias) LIKE ${p})
            OR EXISTS (SELECT 1 FROM contact_identity i WHERE i.contact_id = c.id AND (i.value LIKE ${p} OR lower(i.details->>'username') LIKE ${p})))`,
        );
      }
    }
    where.push(...filterSql(q, params));
    const ordering = contactOrdering(q.sort, q.order);
    const after = ordering.after(q.cursor, params);
    if (after) where.push(after);
    const rows = await queryRows<ContactListRow>(
      this.db,
      `SELECT c.id, c.name, c.aliases, c.owner_id, c.last_activity_at, c.created_at, ${ordering.keyText} AS sort_key,
              COALESCE((SELECT json_agg(json_build_object('kind', i.kind, 'value', i.value) ORDER BY i.created_at)
                          FROM contact_identity i WHERE i.contact_id = c.id), '[]') AS identities
         FROM contact c WHERE ${where.join(' AND ')}
        ORDER BY ${ordering.orderBy} LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
    const items = rows.slice(0, limit).map(toSummary);
    const last = rows.length > limit ? rows[limit - 1] : null;
    return { items, nextCursor: last ? ordering.cursorFor(last) : null };
  }

  /** Adds a tag the viewer may set on a contact they see (idempotent: a tag already there is kept once). */
  async addTag(viewer: Viewer, id: string, tag: string): Promise<void> {
    const clean = tag.trim();
    if (!clean) throw DomainError.invalid('empty tag', { tag: 'must not be empty' });
    await this.get(viewer, id);
    await execute(
      this.db,
      `UPDATE contact SET tags = array_append(tags, $2), updated_at = now() WHERE id = $1 AND NOT ($2 = ANY(tags))`,
      [id, clean],
    );
  }

  async get(viewer: Viewer, id: string): Promise<ContactSummary & { company: { id: string; name: string } | null; deals: ContactDealRow[]; phoneDisplay: Record<string, string> }> {
    await this.assertNotMerged(viewer, id);
    const params: unknown[] = [id];
    const row = await queryRow<ContactCardRow>(
      this.db,
      `SELECT c.id, c.name, c.aliases, c.owner_id, c.last_activity_at, c.created_at,
              COALESCE((SELECT json_agg(json_build_object('kind', i.kind, 'value', i.value) ORDER BY i.created_at)
                          FROM contact_identity i WHERE i.contact_id = c.id), '[]') AS identities,
              (SELECT json_build_object('id', co.id, 'name', co.name) FROM company co WHERE co.id = c.company_id) AS company
         FROM contact c WHERE c.id = $1 AND ${this.scope(viewer, params)}`,
      params,
    );
    if (!row) throw DomainError.notFound('contact');
    const deals = await queryRows<ContactDealRow>(
      this.db,
      `SELECT d.id, d.title, d.stage, d.stage_id AS "stageId", s.name AS "stageName", d.pipeline_id AS "pipelineId", d.owner_id AS "ownerId",
              d.source_channel AS "sourceChannel", d.source, d.amount, d.currency, d.lost_reason AS "lostReason",
              d.first_response_at AS "firstResponseAt", d.closed_at AS "closedAt", d.merged_into_deal_id AS "mergedIntoDealId", d.created_at AS "createdAt"
         FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.contact_id = $1 ORDER BY d.created_at DESC`,
      [id],
    );
    // The contact's company for the contact page (null when it has none).
    const company: { id: string; name: string } | null = typeof row.company === 'string' ? (JSON.parse(row.company) as { id: string; name: string }) : row.company;
    const summary = toSummary(row);
    return { ...summary, company, deals, phoneDisplay: phoneDisplay(summary.identities) };
  }

  async timeline(viewer: Viewer, contactId: string, q: { cursor?: string; limit?: number }): Promise<Page<TimelineEntry>> {
    await this.get(viewer, contactId);
    const limit = clampLimit(q.limit);
    const params: unknown[] = [contactId];
    let where = 'a.contact_id = $1';
    const cursor = decodeCursor(q.cursor);
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where += ` AND (a.occurred_at, a.id) < ($2::timestamptz, $3::uuid)`;
    }
    params.push(limit + 1);
    const rows = await queryRows<ActivityRow>(
      this.db,
      `SELECT a.id, a.kind, a.channel, a.deal_id, a.actor_id, a.occurred_at, a.payload
         FROM activity a WHERE ${where} ORDER BY a.occurred_at DESC, a.id DESC LIMIT $${params.length}`,
      params,
    );
    const items: TimelineEntry[] = rows.slice(0, limit).map(toTimelineEntry);
    const last = rows.length > limit ? rows[limit - 1] : null;
    return { items, nextCursor: last ? encodeCursor(last.occurred_at, last.id) : null };
  }
}

/** An `activity` row as the timeline API shows it. */
export function toTimelineEntry(r: ActivityRow): TimelineEntry {
  return {
    id: r.id,
    kind: r.kind,
    channel: r.channel,
    dealId: r.deal_id,
    actorId: r.actor_id,
    occurredAt: new Date(r.occurred_at).toISOString(),
    payload: r.payload,
  };
}

function toSummary(r: ContactSummaryRow): ContactSummary {
  return {
    id: r.id,
    name: r.name,
    aliases: Array.isArray(r.aliases) ? r.aliases : [],
    ownerId: r.owner_id,
    identities: typeof r.identities === 'string' ? (JSON.parse(r.identities) as ContactSummary['identities']) : r.identities,
    lastActivityAt: new Date(r.last_activity_at).toISOString(),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** Narrowing a contacts list the way a sales team does: whose, from where, tagged, how new, waiting for a call. */
export interface ContactFilters {
  ownerId?: string;
  /** A deal of the contact came from this channel (web_form, email, telegram, phone). */
  source?: string;
  tag?: string;
  createdFrom?: Date;
  createdTo?: Date;
  /** true: has an open task; false: has none. */
  hasOpenTask?: boolean;
}

function filterSql(q: ContactFilters, params: SqlParams): string[] {
  const where: string[] = [];
  const p = (v: unknown) => params.add(v);
  if (q.ownerId) where.push(`c.owner_id = ${p(q.ownerId)}`);
  if (q.source) where.push(`EXISTS (SELECT 1 FROM deal d WHERE d.contact_id = c.id AND d.source_channel = ${p(q.source)})`);
  if (q.tag) where.push(`${p(q.tag)} = ANY(c.tags)`);
  if (q.createdFrom) where.push(`c.created_at >= ${p(q.createdFrom)}`);
  if (q.createdTo) where.push(`c.created_at < ${p(q.createdTo)}`);
  if (q.hasOpenTask !== undefined) where.push(`${q.hasOpenTask ? '' : 'NOT '}EXISTS (SELECT 1 FROM task t WHERE t.contact_id = c.id AND t.status = 'open')`);
  return where;
}

/** Each phone of the contact as people of its country write it, by its E.164 value. */
function phoneDisplay(ids: Array<{ kind: string; value: string }>): Record<string, string> {
  return Object.fromEntries(ids.filter((i) => i.kind === 'phone').map((i) => [i.value, formatPhone(i.value)]));
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
