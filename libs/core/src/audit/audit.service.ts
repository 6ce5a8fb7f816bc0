import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { clampLimit, decodeCursor, encodeCursor, type Page } from '../pagination/cursor';
import { redactSecrets } from './redact';
import { execute, queryRows } from '../database/query-rows';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

/** Who did it: a logged-in manager, or the system (CLI, scheduler) with a name. */
export interface AuditActor {
  id: string | null;
  name: string | null;
  email?: string | null;
}

export interface NewAuditEntry {
  actor: AuditActor;
  /** `manager.update`, `contact.erase`, `export.contacts`, … */
  action: string;
  entityType?: string | null;
  entityId?: string | null;
  /** One human line, e.g. "Deactivated Anna Petrova". */
  summary?: string | null;
  /** The affected row before the change (null for a create), after it (null for a delete). */
  before?: unknown;
  after?: unknown;
  /** Anything else worth keeping: request query, counts, file names. */
  details?: Record<string, unknown>;
  ip?: string | null;
  request?: { method: string; path: string } | null;
}

export type AuditEntry = Wire.AuditEntry;

export interface AuditFilter {
  actorId?: string;
  action?: string;
  entityType?: string;
  entityId?: string;
  /** Inclusive lower and exclusive upper bound of `at`. */
  from?: Date;
  to?: Date;
  /** Matches the summary, the actor's name or email, and the entity id (case-insensitive). */
  search?: string;
  cursor?: string;
  limit?: number;
}

interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  actor_email: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  summary: string | null;
  before: unknown;
  after: unknown;
  details: Record<string, unknown>;
  ip: string | null;
  request_method: string | null;
  request_path: string | null;
}

/**
 * The audit log: every admin write (through the hub's audit interceptor) and every personal-data
 * export or erasure lands here. Secrets (password hashes, tokens) never do: rows are redacted on the
 * way in. Append-only: nothing in the product updates or deletes an entry.
 */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Writes one entry; with `manager`, inside that transaction (the entry commits with the change). */
  async record(entry: NewAuditEntry, manager?: EntityManager): Promise<void> {
    const runner = manager ?? this.db;
    await execute(
      runner,
      `INSERT INTO audit_log (actor_id, actor_name, actor_email, action, entity_type, entity_id, summary, before, after, details, ip, request_method, request_path)
       VALUES ($1, $2, COALESCE($3, (SELECT email FROM manager WHERE id = $1)), $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11, $12, $13)`,
      [
        entry.actor.id,
        entry.actor.name,
        entry.actor.email ?? null,
        entry.action,
        entry.entityType ?? null,
        entry.entityId ?? null,
        entry.summary ?? null,
        jsonOrNull(entry.before),
        jsonOrNull(entry.after),
        JSON.stringify(redactSecrets(entry.details ?? {})),
        entry.ip ?? null,
        entry.request?.method ?? null,
        entry.request?.path ?? null,
      ],
    );
  }

  /** Newest first, keyset-paginated. */
  async list(filter: AuditFilter): Promise<Page<AuditEntry>> {
    const limit = clampLimit(filter.limit, 200, 50);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.actorId) add((p) => `actor_id = ${p}::uuid`, filter.actorId);
    if (filter.action) add((p) => (filter.action!.endsWith('.') ? `action LIKE ${p}` : `action = ${p}`), filter.action.endsWith('.') ? `${filter.action}%` : filter.action);
    if (filter.entityType) add((p) => `entity_type = ${p}`, filter.entityType);
    if (filter.entityId) add((p) => `entity_id = ${p}`, filter.entityId);
    if (filter.from) add((p) => `at >= ${p}`, filter.from);
    if (filter.to) add((p) => `at < ${p}`, filter.to);
    if (filter.search) {
      const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      add((p) => `(summary ILIKE ${p} OR actor_name ILIKE ${p} OR actor_email ILIKE ${p} OR entity_id ILIKE ${p})`, like);
    }
    const cursor = decodeCursor(filter.cursor);
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where.push(`(at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows = await queryRows<AuditRow>(
      this.db,
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit).map(toEntry);
    const last = rows.length > limit ? rows[limit - 1] : null;
    return { items, nextCursor: last ? encodeCursor(last.at, last.id) : null };
  }

  /** The distinct actions recorded so far (the UI's filter list). */
  async actions(): Promise<string[]> {
    const rows = await queryRows<{ action: string }>(this.db, `SELECT DISTINCT action FROM audit_log ORDER BY action`);
    return rows.map((r) => r.action);
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(redactSecrets(value));
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: { id: r.actor_id, name: r.actor_name, email: r.actor_email },
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    summary: r.summary,
    before: r.before ?? null,
    after: r.after ?? null,
    details: r.details ?? {},
    ip: r.ip,
    request: r.request_method && r.request_path ? { method: r.request_method, path: r.request_path } : null,
  };
}
