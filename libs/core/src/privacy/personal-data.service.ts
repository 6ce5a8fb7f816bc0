import { ChannelRegistry } from '../channels/channel-registry';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService, type AuditActor } from '../audit/audit.service';
import { DomainError } from '../errors/domain-error';

/** Everything the hub holds on one person, as rows (all columns), with links to the files it can serve. */
export interface PersonalDataExport {
  exportedAt: string;
  contactId: string;
  contact: Record<string, unknown>;
  /** Contacts merged into this one earlier (the same person). */
  mergedContacts: Record<string, unknown>[];
  identities: Record<string, unknown>[];
  company: Record<string, unknown> | null;
  deals: Record<string, unknown>[];
  tasks: Record<string, unknown>[];
  timeline: Record<string, unknown>[];
  calls: Record<string, unknown>[];
  callEvents: Record<string, unknown>[];
  emails: Record<string, unknown>[];
  /** Attachment metadata; `contentBase64` with includeFiles, else `download` (a hub API path). */
  emailAttachments: Record<string, unknown>[];
  /** What the channels received from this person, as received (form posts, webhooks). */
  receipts: Record<string, unknown>[];
  /** Files kept by a provider (Telegram media, call recordings), streamed through the hub's API. */
  files: Array<{ kind: `${string}_media` | 'call_recording' | 'email_attachment'; id: string; download: string; name?: string | null; contentType?: string | null }>;
  audit: Record<string, unknown>[];
}

export interface ErasureReport {
  contactId: string;
  /** Rows deleted per table. */
  deleted: Record<string, number>;
  /** Rows kept but emptied of personal data per table (receipts' raw payloads, audit before/after). */
  scrubbed: Record<string, number>;
}

interface ForeignKey {
  child: string;
  column: string;
  parent: string;
  /** pg_constraint.confdeltype: a no action, r restrict, c cascade, n set null, d set default. */
  onDelete: string;
}

type Row = Record<string, unknown>;
const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Personal data of one contact: export all of it, or erase it. Erasure deletes the contact, the
 * contacts merged into it, their identities, deals, tasks, timeline (messages, notes, media
 * references), calls and their events, emails and attachments, notices and undelivered messages
 * about them; receipts keep only their dedupe keys. Call figures stay in the reports as anonymous
 * call_fact rows (time, manager, answered, talk time). The audit log keeps that an erasure happened,
 * by whom and how many rows, and loses the person's data from its earlier entries.
 */
@Injectable()
export class PersonalDataService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly channels: ChannelRegistry,
  ) {}

  async export(contactId: string, options: { includeFiles?: boolean } = {}): Promise<PersonalDataExport> {
    const q = <T = Row>(sql: string, params: unknown[]): Promise<T[]> => this.db.query(sql, params);
    const [contact] = await q<{ row: Row }>(`SELECT to_jsonb(c) AS row FROM contact c WHERE c.id = $1`, [contactId]);
    if (!contact) throw DomainError.notFound('contact');
    const ids = await this.contactIds(this.db.manager, contactId);
    const rows = async (sql: string, params: unknown[]): Promise<Row[]> => (await q<{ row: Row }>(sql, params)).map((r) => r.row);
    const deals = await rows(`SELECT to_jsonb(d) AS row FROM deal d WHERE d.contact_id = ANY($1) ORDER BY d.created_at`, [ids]);
    const dealIds = deals.map((d) => d.id as string);
    const timeline = await rows(`SELECT to_jsonb(a) AS row FROM activity a WHERE a.contact_id = ANY($1) ORDER BY a.occurred_at, a.id`, [ids]);
    const activityIds = timeline.map((a) => a.id as string);
    const calls = await rows(`SELECT to_jsonb(c) AS row FROM call c WHERE c.contact_id = ANY($1) OR c.deal_id = ANY($2) ORDER BY c.created_at`, [ids, dealIds]);
    const callIds = calls.map((c) => c.id as string);
    const emails = await rows(`SELECT to_jsonb(e) AS row FROM email_message e WHERE e.contact_id = ANY($1) OR e.activity_id = ANY($2) ORDER BY e.created_at`, [ids, activityIds]);
    const attachments = await rows(
      `SELECT to_jsonb(x) - 'content' || jsonb_build_object('stored', x.content IS NOT NULL${options.includeFiles ? `, 'contentBase64', encode(x.content, 'base64')` : ''}) AS row
         FROM email_attachment x WHERE x.email_id = ANY($1) ORDER BY x.email_id, x.position`,
      [emails.map((e) => e.id as string)],
    );
    const files: PersonalDataExport['files'] = [];
    for (const a of attachments) {
      if (a.stored) files.push({ kind: 'email_attachment', id: a.id as string, download: `/api/attachments/${a.id}`, name: a.filename as string | null, contentType: a.content_type as string | null });
    }
    for (const a of timeline) {
      const payload = (a.payload ?? {}) as Row;
      // A client's file kept at the provider of a channel that streams them (telegram_media, whatsapp_media, …).
      const channel = typeof a.channel === 'string' ? a.channel : null;
      if (channel && payload.media && this.channels.get(channel)?.media) files.push({ kind: `${channel}_media`, id: a.id as string, download: `/api/activities/${a.id}/media` });
    }
    for (const c of calls) {
      if (c.recording_url || c.recording) files.push({ kind: 'call_recording', id: c.id as string, download: `/api/calls/${c.id}/recording` });
    }
    const entityIds = [...ids, ...dealIds, ...activityIds, ...callIds];
    return {
      exportedAt: new Date().toISOString(),
      contactId,
      contact: contact.row,
      mergedContacts: await rows(`SELECT to_jsonb(c) AS row FROM contact c WHERE c.id = ANY($1) AND c.id <> $2`, [ids, contactId]),
      identities: await rows(`SELECT to_jsonb(i) AS row FROM contact_identity i WHERE i.contact_id = ANY($1) ORDER BY i.created_at`, [ids]),
      company: (await rows(`SELECT to_jsonb(co) AS row FROM company co JOIN contact c ON c.company_id = co.id WHERE c.id = $1`, [contactId]))[0] ?? null,
      deals,
      tasks: await rows(`SELECT to_jsonb(t) AS row FROM task t WHERE t.contact_id = ANY($1) OR t.deal_id = ANY($2) ORDER BY t.created_at`, [ids, dealIds]),
      timeline,
      calls,
      callEvents: await rows(`SELECT to_jsonb(e) AS row FROM call_event e WHERE e.call_id = ANY($1) ORDER BY e.received_at`, [callIds]),
      emails,
      emailAttachments: attachments.map((a) => (a.stored && !options.includeFiles ? { ...a, download: `/api/attachments/${a.id}` } : a)),
      receipts: await rows(`SELECT to_jsonb(r) AS row FROM inbound_receipt r WHERE r.result->>'contactId' = ANY($1::text[]) ORDER BY r.received_at`, [ids]),
      files,
      audit: await rows(`SELECT to_jsonb(l) AS row FROM audit_log l WHERE l.entity_id = ANY($1::text[]) ORDER BY l.at`, [entityIds]),
    };
  }

  /** Erases the contact (see the class comment) in one transaction, recorded in the audit log. */
  async erase(contactId: string, actor: AuditActor, request?: { ip?: string | null; method: string; path: string }): Promise<ErasureReport> {
    return this.db.transaction(async (em) => {
      const [locked] = await em.query(`SELECT id FROM contact WHERE id = $1 FOR UPDATE`, [contactId]);
      if (!locked) throw DomainError.notFound('contact');
      const ids = await this.contactIds(em, contactId);
      const deleted: Record<string, number> = {};
      const scrubbed: Record<string, number> = {};
      const dealIds = (await em.query(`SELECT id FROM deal WHERE contact_id = ANY($1)`, [ids])).map((r: { id: string }) => r.id);
      const activityIds = (await em.query(`SELECT id FROM activity WHERE contact_id = ANY($1)`, [ids])).map((r: { id: string }) => r.id);
      const taskIds = (await em.query(`SELECT id FROM task WHERE contact_id = ANY($1)`, [ids])).map((r: { id: string }) => r.id);
      const callIds = (await em.query(`SELECT id FROM call WHERE contact_id = ANY($1) OR deal_id = ANY($2)`, [ids, dealIds])).map((r: { id: string }) => r.id);
      const refs = [...ids, ...dealIds];

      const count = async (table: string, sql: string, params: unknown[], into = deleted) => {
        const [r] = await em.query(`WITH x AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM x`, params);
        if (r.n) into[table] = (into[table] ?? 0) + Number(r.n);
      };
      // Rows that point at the person without a foreign key.
      await count('email_message', `DELETE FROM email_message WHERE activity_id = ANY($1) AND (contact_id IS NULL OR contact_id = ANY($2))`, [activityIds, ids]);
      await count('notification', `DELETE FROM notification WHERE payload->>'contactId' = ANY($1::text[]) OR payload->>'dealId' = ANY($2::text[])`, [ids, dealIds]);
      await count('outbox', `DELETE FROM outbox WHERE payload->>'contactId' = ANY($1::text[]) OR payload->>'dealId' = ANY($2::text[])`, [ids, dealIds]);
      const fks = await this.foreignKeys(em);
      // Calls of the person's deals that carry no contact link go as well.
      await this.deleteRows(em, 'call', 'id', callIds, deleted, fks);
      await count('inbound_receipt', `UPDATE inbound_receipt SET raw = NULL, error = NULL WHERE result->>'contactId' = ANY($1::text[])`, [ids], scrubbed);
      await this.deleteRows(em, 'contact', 'id', ids, deleted, fks);
      // Earlier audit entries about the person lose their rows and request bodies; the fact stays.
      const entityIds = [...refs, ...activityIds, ...taskIds, ...callIds];
      await count(
        'audit_log',
        `UPDATE audit_log SET before = NULL, after = NULL, details = jsonb_build_object('erased', true), summary = action || ': erased' WHERE entity_id = ANY($1::text[])`,
        [entityIds],
        scrubbed,
      );
      await this.audit.record(
        {
          actor,
          action: 'contact.erase',
          entityType: 'contact',
          entityId: contactId,
          summary: `contact.erase: ${contactId}`,
          details: { deleted, scrubbed, mergedContacts: ids.length - 1 },
          ip: request?.ip ?? null,
          request: request ? { method: request.method, path: request.path } : null,
        },
        em,
      );
      return { contactId, deleted, scrubbed };
    });
  }

  /** The contact and, recursively, every contact merged into it. */
  private async contactIds(em: EntityManager, contactId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await em.query(
      `WITH RECURSIVE m(id) AS (SELECT $1::uuid UNION SELECT c.id FROM contact c JOIN m ON c.merged_into_id = m.id) SELECT id FROM m`,
      [contactId],
    );
    return rows.map((r) => r.id);
  }

  /** Single-column foreign keys of the schema (read each time: other modules add tables). */
  private async foreignKeys(em: EntityManager): Promise<ForeignKey[]> {
    return em.query(
      `SELECT cl.relname AS child, a.attname AS column, pcl.relname AS parent, c.confdeltype AS "onDelete"
         FROM pg_constraint c
         JOIN pg_class cl ON cl.oid = c.conrelid
         JOIN pg_class pcl ON pcl.oid = c.confrelid
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
          AND cl.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`,
    );
  }

  /**
   * Deletes `table` rows whose `column` is one of `ids`, children first: rows of tables that refer to
   * them without ON DELETE CASCADE / SET NULL are deleted before them (their own children likewise).
   */
  private async deleteRows(em: EntityManager, table: string, column: string, ids: string[], deleted: Record<string, number>, fks: ForeignKey[], depth = 0): Promise<void> {
    if (!ids.length) return;
    if (depth > 12) throw new Error(`erasure: foreign keys nested too deep at ${table}`);
    if (!IDENT.test(table) || !IDENT.test(column)) throw new Error(`erasure: unexpected identifier ${table}.${column}`);
    const children = fks.filter((f) => f.parent === table && (f.onDelete === 'a' || f.onDelete === 'r'));
    if (children.length) {
      const rowIds: string[] = (await em.query(`SELECT id::text AS id FROM ${table} WHERE ${column}::text = ANY($1::text[])`, [ids])).map((r: { id: string }) => r.id);
      for (const fk of children) await this.deleteRows(em, fk.child, fk.column, rowIds, deleted, fks, depth + 1);
    }
    const [r] = await em.query(`WITH x AS (DELETE FROM ${table} WHERE ${column}::text = ANY($1::text[]) RETURNING 1) SELECT count(*)::int AS n FROM x`, [ids]);
    if (r.n) deleted[table] = (deleted[table] ?? 0) + Number(r.n);
  }
}
