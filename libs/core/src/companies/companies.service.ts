import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { contactScopeSql, isAdmin, type Viewer } from '../access/viewer';
import type { ActivityRow } from '../contacts/contact-queries';
import { toTimelineEntry, type TimelineEntry } from '../contacts/contacts.service';
import { execute, mutateRows, queryRow, queryRows } from '../database/query-rows';
import { SqlParams, setClause, whereClause } from '../database/sql-params';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { clampLimit, decodeCursor, encodeCursor, type Page } from '../pagination/cursor';
import { isFreeMailDomain, normalizeDomain } from './free-mail-domains';

export interface CompanyView {
  id: string;
  name: string;
  domain: string | null;
  legalId: string | null;
  contactCount: number;
  createdAt: string;
}

export interface CompanyInput {
  name?: string;
  domain?: string | null;
  legalId?: string | null;
}

export interface CompanySuggestion {
  /** The contact's (non free-mail) email domain that matched. */
  domain: string;
  company: CompanyView;
}

/** A company as COMPANY_COLUMNS selects it. */
interface CompanyRow {
  id: string;
  name: string;
  domain: string | null;
  legal_id: string | null;
  created_at: Date | string;
  /** count(*): bigint, which drivers answer as text. */
  contact_count: string | number;
}

/** A contact person on the company page (identities: json_agg, text on some drivers). */
export interface CompanyContactRow {
  id: string;
  name: string | null;
  ownerId: string | null;
  tags: string[];
  lastActivityAt: Date | string;
  identities: Array<{ kind: string; value: string }> | string;
}

/** A contact person as the company page answers it (identities parsed). */
export type CompanyContact = Omit<CompanyContactRow, 'identities'> & { identities: Array<{ kind: string; value: string }> };

/** A deal on the company page, aliased to the API's names by the SELECT. */
export interface CompanyDealRow {
  id: string;
  contactId: string;
  contactName: string | null;
  title: string | null;
  stage: string;
  ownerId: string | null;
  sourceChannel: string;
  amount: string | null;
  closedAt: Date | string | null;
  createdAt: Date | string;
}

const COMPANY_COLUMNS = `co.id, co.name, co.domain, co.legal_id, co.created_at,
  (SELECT count(*) FROM contact c WHERE c.company_id = co.id AND c.merged_into_id IS NULL) AS contact_count`;

/**
 * Companies (legal entities) and their contact persons. Every manager may see and edit the company
 * list; what a company page shows of contacts, deals and the timeline is scoped like contacts are
 * (a manager: contacts they own or hold a deal of). Deleting a company is for admins.
 */
@Injectable()
export class CompaniesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private contactScope(viewer: Viewer, params: unknown[], alias = 'c'): string {
    return contactScopeSql(viewer, params, alias);
  }

  async list(q: { search?: string; cursor?: string; limit?: number }): Promise<Page<CompanyView>> {
    const limit = clampLimit(q.limit);
    const params = new SqlParams();
    const where: string[] = [];
    const search = q.search?.trim().toLowerCase();
    if (search) {
      const p = params.add(`%${search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
      where.push(`(lower(co.name) LIKE ${p} OR co.domain LIKE ${p} OR co.legal_id LIKE ${p})`);
    }
    const cursor = decodeCursor(q.cursor);
    if (cursor) where.push(`(co.created_at, co.id) < (${params.add(cursor.at)}::timestamptz, ${params.add(cursor.id)}::uuid)`);
    const rows = await queryRows<CompanyRow>(
      this.db,
      `SELECT ${COMPANY_COLUMNS} FROM company co ${whereClause(where)} ORDER BY co.created_at DESC, co.id DESC LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
    const last = rows.length > limit ? rows[limit - 1] : null;
    return { items: rows.slice(0, limit).map(toCompany), nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
  }

  async create(input: CompanyInput): Promise<CompanyView> {
    const fields = this.clean(input, true);
    try {
      const [row] = await queryRows<{ id: string }>(this.db, `INSERT INTO company (name, domain, legal_id) VALUES ($1, $2, $3) RETURNING id`, [fields.name, fields.domain ?? null, fields.legalId ?? null]);
      return this.getCompany(row.id);
    } catch (err) {
      throw duplicateDomain(err);
    }
  }

  async update(viewer: Viewer, id: string, input: CompanyInput): Promise<CompanyView> {
    const fields = this.clean(input, false);
    const params = new SqlParams([id]);
    const sets = setClause(params, { name: fields.name, domain: fields.domain, legal_id: fields.legalId });
    if (sets) {
      try {
        const rows = await mutateRows<{ id: string }>(this.db, `UPDATE company SET ${sets}, updated_at = now() WHERE id = $1 RETURNING id`, params.values);
        if (!rows.length) throw DomainError.notFound('company');
      } catch (err) {
        throw duplicateDomain(err);
      }
    }
    return this.get(viewer, id).then(({ contacts: _c, deals: _d, ...company }) => company);
  }

  async remove(viewer: Viewer, id: string): Promise<{ id: string; deleted: true }> {
    if (!isAdmin(viewer)) throw new DomainError(ErrorCode.Forbidden, 'only an admin can delete a company');
    // Contacts stay (company_id is set null by the foreign key); only the grouping goes.
    const rows = await mutateRows<{ id: string }>(this.db, `DELETE FROM company WHERE id = $1 RETURNING id`, [id]);
    if (!rows.length) throw DomainError.notFound('company');
    return { id, deleted: true };
  }

  private async getCompany(id: string): Promise<CompanyView> {
    const row = await queryRow<CompanyRow>(this.db, `SELECT ${COMPANY_COLUMNS} FROM company co WHERE co.id = $1`, [id]);
    if (!row) throw DomainError.notFound('company');
    return toCompany(row);
  }

  /** The company page: the company, its contact persons and their deals (as far as the viewer may see them). */
  async get(viewer: Viewer, id: string): Promise<CompanyView & { contacts: CompanyContact[]; deals: CompanyDealRow[] }> {
    const company = await this.getCompany(id);
    const params: unknown[] = [id];
    const scope = this.contactScope(viewer, params);
    const contacts = await queryRows<CompanyContactRow>(
      this.db,
      `SELECT c.id, c.name, c.owner_id AS "ownerId", c.tags, c.last_activity_at AS "lastActivityAt",
              COALESCE((SELECT json_agg(json_build_object('kind', i.kind, 'value', i.value) ORDER BY i.created_at)
                          FROM contact_identity i WHERE i.contact_id = c.id), '[]') AS identities
         FROM contact c WHERE c.company_id = $1 AND c.merged_into_id IS NULL AND ${scope}
        ORDER BY c.last_activity_at DESC, c.id DESC`,
      params,
    );
    const dealParams: unknown[] = [id];
    const dealScope = isAdmin(viewer) ? 'TRUE' : (dealParams.push(viewer.id), `d.owner_id = $2`);
    const deals = await queryRows<CompanyDealRow>(
      this.db,
      `SELECT d.id, d.contact_id AS "contactId", c.name AS "contactName", d.title, d.stage, d.owner_id AS "ownerId", d.source_channel AS "sourceChannel",
              d.amount, d.closed_at AS "closedAt", d.created_at AS "createdAt"
         FROM deal d JOIN contact c ON c.id = d.contact_id
        WHERE c.company_id = $1 AND ${dealScope} ORDER BY d.created_at DESC, d.id DESC`,
      dealParams,
    );
    return {
      ...company,
      contacts: contacts.map((c) => ({ ...c, identities: typeof c.identities === 'string' ? (JSON.parse(c.identities) as Array<{ kind: string; value: string }>) : c.identities })),
      deals,
    };
  }

  /** The merged timeline of every contact of the company the viewer may see, newest first, cursor-paginated. */
  async timeline(viewer: Viewer, id: string, q: { cursor?: string; limit?: number }): Promise<Page<TimelineEntry & { contactId: string }>> {
    await this.getCompany(id);
    const limit = clampLimit(q.limit);
    const params: unknown[] = [id];
    const scope = this.contactScope(viewer, params);
    let after = '';
    const cursor = decodeCursor(q.cursor);
    if (cursor) {
      params.push(cursor.at, cursor.id);
      after = ` AND (a.occurred_at, a.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    params.push(limit + 1);
    const rows = await queryRows<ActivityRow & { contact_id: string }>(
      this.db,
      `SELECT a.id, a.contact_id, a.kind, a.channel, a.deal_id, a.actor_id, a.occurred_at, a.payload
         FROM activity a
        WHERE a.contact_id IN (SELECT c.id FROM contact c WHERE c.company_id = $1 AND ${scope})${after}
        ORDER BY a.occurred_at DESC, a.id DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit).map((r) => ({ ...toTimelineEntry(r), contactId: r.contact_id }));
    const last = rows.length > limit ? rows[limit - 1] : null;
    return { items, nextCursor: last ? encodeCursor(last.occurred_at, last.id) : null };
  }

  private async visibleContact(viewer: Viewer, contactId: string): Promise<{ id: string; company_id: string | null }> {
    const params: unknown[] = [contactId];
    const row = await queryRow<{ id: string; company_id: string | null }>(
      this.db,
      `SELECT c.id, c.company_id FROM contact c WHERE c.id = $1 AND c.merged_into_id IS NULL AND ${this.contactScope(viewer, params)}`,
      params,
    );
    if (!row) throw DomainError.notFound('contact');
    return row;
  }

  async linkContact(viewer: Viewer, companyId: string, contactId: string): Promise<CompanyView> {
    await this.getCompany(companyId);
    await this.visibleContact(viewer, contactId);
    await execute(this.db, `UPDATE contact SET company_id = $2, updated_at = now() WHERE id = $1`, [contactId, companyId]);
    return this.getCompany(companyId);
  }

  async unlinkContact(viewer: Viewer, companyId: string, contactId: string): Promise<CompanyView> {
    await this.getCompany(companyId);
    const contact = await this.visibleContact(viewer, contactId);
    if (contact.company_id !== companyId) throw DomainError.notFound('contact of this company');
    await execute(this.db, `UPDATE contact SET company_id = NULL, updated_at = now() WHERE id = $1`, [contactId]);
    return this.getCompany(companyId);
  }

  /**
   * A company whose domain is the domain of one of the contact's emails (free-mail domains never match),
   * while the contact belongs to no company yet. Null when there is nothing to suggest.
   */
  async suggestion(viewer: Viewer, contactId: string): Promise<CompanySuggestion | null> {
    const contact = await this.visibleContact(viewer, contactId);
    if (contact.company_id) return null;
    const emails = await queryRows<{ value: string }>(this.db, `SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'email' ORDER BY created_at`, [contactId]);
    const domains = [...new Set(emails.map((e) => normalizeDomain(e.value)).filter((d): d is string => !!d && !isFreeMailDomain(d)))];
    if (!domains.length) return null;
    const rows = await queryRows<CompanyRow>(this.db, `SELECT ${COMPANY_COLUMNS} FROM company co WHERE co.domain = ANY($1::text[])`, [domains]);
    const byDomain = new Map(rows.map((r) => [r.domain, r]));
    for (const domain of domains) {
      const row = byDomain.get(domain);
      if (row) return { domain, company: toCompany(row) };
    }
    return null;
  }

  /** Accepts the current suggestion: the contact joins the suggested company (409 when there is none any more). */
  async acceptSuggestion(viewer: Viewer, contactId: string): Promise<CompanyView> {
    const suggestion = await this.suggestion(viewer, contactId);
    if (!suggestion) throw DomainError.conflict('there is no company suggestion for this contact');
    return this.linkContact(viewer, suggestion.company.id, contactId);
  }

  private clean(input: CompanyInput, creating: boolean): CompanyInput {
    const out: CompanyInput = {};
    if (input.name !== undefined || creating) {
      const name = input.name?.trim();
      if (!name) throw DomainError.invalid('invalid company', { name: 'required' });
      out.name = name;
    }
    if (input.domain !== undefined) {
      if (input.domain === null || input.domain.trim() === '') out.domain = null;
      else {
        const domain = normalizeDomain(input.domain);
        if (!domain) throw DomainError.invalid('invalid company', { domain: 'not a domain such as example.com' });
        if (isFreeMailDomain(domain)) throw DomainError.invalid('invalid company', { domain: `${domain} is a public mail service, not a company domain` });
        out.domain = domain;
      }
    }
    if (input.legalId !== undefined) out.legalId = input.legalId === null || input.legalId.trim() === '' ? null : input.legalId.trim();
    return out;
  }
}

function toCompany(r: CompanyRow): CompanyView {
  return {
    id: r.id,
    name: r.name,
    domain: r.domain,
    legalId: r.legal_id,
    contactCount: Number(r.contact_count ?? 0),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

function duplicateDomain(err: unknown): unknown {
  const code = (err as { driverError?: { code?: string }; code?: string })?.driverError?.code ?? (err as { code?: string })?.code;
  return code === '23505' ? DomainError.conflict('another company already has this domain') : err;
}
