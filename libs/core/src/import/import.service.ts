import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { Viewer } from '../access/viewer';
import { ContactMergeService } from '../contacts/contact-merge';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { insertFromJson, type ColumnTypes } from '../database/json-rows';
import { readImportFile, type ImportTable } from './import-file';
import { checkMapping, IMPORT_FIELDS, suggestMapping, type ImportMapping } from './import-mapping';
import { planImport, type ImportGroup, type RowOutcome } from './import-plan';

export interface UploadedFile {
  buffer: Buffer;
  /** From the request's content type; null lets the bytes decide. */
  format: 'csv' | 'xlsx' | null;
}

export interface ImportInspection {
  format: ImportTable['format'];
  encoding: ImportTable['encoding'] | null;
  delimiter: ImportTable['delimiter'] | null;
  headers: string[];
  rowCount: number;
  /** The first rows as header → value. */
  sample: Array<Record<string, string>>;
  suggestedMapping: ImportMapping;
  fields: readonly string[];
}

export interface ImportResult {
  dryRun: boolean;
  format: ImportTable['format'];
  encoding: ImportTable['encoding'] | null;
  delimiter: ImportTable['delimiter'] | null;
  mapping: ImportMapping;
  totals: { rows: number; created: number; merged: number; skipped: number; deals: number; notes: number; companiesCreated: number };
  /** Per row, in file order (the first ROWS_SHOWN; every skipped row is also in `skipped`). */
  rows: RowOutcome[];
  rowsTruncated: boolean;
  skipped: RowOutcome[];
  /** Where the time went: reading the file, planning rows (phones, merging), matching known people, writing. */
  durationsMs: { read: number; plan: number; match: number; write: number };
}

const ROWS_SHOWN = 1000;
const BATCH = 5000;
const SAMPLE_ROWS = 10;

const CONTACT_COLUMNS: ColumnTypes = { id: 'uuid', name: 'text', owner_id: 'uuid', company_id: 'uuid', tags: 'text[]', created_at: 'timestamptz', last_activity_at: 'timestamptz' };
const IDENTITY_COLUMNS: ColumnTypes = { contact_id: 'uuid', kind: 'text', value: 'text' };
const DEAL_COLUMNS: ColumnTypes = {
  id: 'uuid', contact_id: 'uuid', owner_id: 'uuid', title: 'text', stage: 'text', source_channel: 'text', source: 'jsonb', amount: 'numeric',
  closed_at: 'timestamptz', created_at: 'timestamptz', stages_reached: 'text[]',
};
const NOTE_COLUMNS: ColumnTypes = { contact_id: 'uuid', deal_id: 'uuid', kind: 'text', channel: 'text', actor_id: 'uuid', occurred_at: 'timestamptz', payload: 'jsonb' };

interface Decided {
  group: ImportGroup;
  contactId: string;
  existing: boolean;
  companyKey: string | null;
}

/**
 * Contacts (with company, owner, tags, notes) and deals from CSV or XLSX: inspect (headers, sample, suggested
 * mapping), dry run (what would happen, nothing written), import (one transaction). Rows whose phone or email
 * is already known are merged into that contact; rows of one person inside the file are merged together.
 */
@Injectable()
export class ImportService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
    private readonly merges: ContactMergeService,
  ) {}

  async inspect(file: UploadedFile): Promise<ImportInspection> {
    const table = await readImportFile(file.buffer, file.format);
    return {
      format: table.format,
      encoding: table.encoding ?? null,
      delimiter: table.delimiter ?? null,
      headers: table.headers,
      rowCount: table.rows.length,
      sample: table.rows.slice(0, SAMPLE_ROWS).map((r) => Object.fromEntries(table.headers.map((h, i) => [h, r[i]]))),
      suggestedMapping: suggestMapping(table.headers),
      fields: IMPORT_FIELDS,
    };
  }

  /** Without a mapping the suggested one is used. `dryRun`: the same answer, nothing written. */
  async run(viewer: Viewer, file: UploadedFile, opts: { mapping?: unknown; dryRun: boolean }): Promise<ImportResult> {
    const started = Date.now();
    const table = await readImportFile(file.buffer, file.format);
    const mapping = checkMapping(opts.mapping ?? suggestMapping(table.headers), table.headers);
    const durationsMs = { read: Date.now() - started, plan: 0, match: 0, write: 0 };
    const lap = (phase: keyof typeof durationsMs, since: number) => (durationsMs[phase] = Date.now() - since);
    const work = async (em: EntityManager) => {
      if (!opts.dryRun) await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('leadline:import', 0))`);
      const managers: Array<{ id: string; email: string }> = await em.query(`SELECT id, lower(email) AS email FROM manager WHERE active`);
      let t = Date.now();
      const plan = planImport(table, mapping, { defaultRegion: this.options.defaultPhoneRegion, managersByEmail: new Map(managers.map((m) => [m.email, m.id])) });
      lap('plan', t);
      t = Date.now();
      const decided = await this.match(em, plan.groups);
      lap('match', t);
      t = Date.now();
      const companies = await this.companies(em, decided, opts.dryRun);
      const counts = { deals: decided.reduce((n, d) => n + d.group.deals.length, 0), notes: decided.reduce((n, d) => n + d.group.notes.length, 0) };
      const latecomers = opts.dryRun ? new Map<string, string>() : await this.write(em, viewer, decided, companies.ids);
      lap('write', t);
      return { plan, decided, latecomers, companiesCreated: companies.created, ...counts };
    };
    // A dry run only reads; the import is one transaction (all or nothing).
    const { plan, decided, latecomers, companiesCreated, deals, notes } = opts.dryRun ? await work(this.db.manager) : await this.db.transaction(work);

    const outcomes: RowOutcome[] = [...plan.skipped, ...plan.duplicates];
    const contactOfRow = new Map<number, string>();
    let created = 0;
    let merged = plan.duplicates.length;
    for (const d of decided) {
      const holder = latecomers.get(d.contactId);
      for (const row of d.group.rows) contactOfRow.set(row, holder ?? d.contactId);
      const row = d.group.rows[0];
      if (holder) {
        merged++;
        outcomes.push({ row, outcome: 'merged', contactId: holder, reason: 'its phone or email reached the hub as a lead during the import' });
      } else if (d.existing) {
        merged++;
        outcomes.push({ row, outcome: 'merged', contactId: opts.dryRun ? undefined : d.contactId, reason: 'matches an existing contact by phone or email' });
      } else {
        created++;
        outcomes.push({ row, outcome: 'created', ...(opts.dryRun ? {} : { contactId: d.contactId }) });
      }
    }
    if (!opts.dryRun) for (const o of plan.duplicates) if (o.outcome === 'merged') o.contactId = contactOfRow.get(o.row);
    outcomes.sort((a, b) => a.row - b.row);
    const skipped = outcomes.filter((o) => o.outcome === 'skipped');
    return {
      dryRun: opts.dryRun,
      format: table.format,
      encoding: table.encoding ?? null,
      delimiter: table.delimiter ?? null,
      mapping,
      totals: { rows: table.rows.length, created, merged, skipped: skipped.length, deals, notes, companiesCreated },
      rows: outcomes.slice(0, ROWS_SHOWN),
      rowsTruncated: outcomes.length > ROWS_SHOWN,
      skipped,
      durationsMs,
    };
  }

  /** Finds the existing contact of each group: by phone first, then the oldest (as intake resolves leads). */
  private async match(em: EntityManager, groups: ImportGroup[]): Promise<Decided[]> {
    const kinds: string[] = [];
    const values: string[] = [];
    for (const g of groups) {
      for (const v of g.phones) kinds.push('phone'), values.push(v);
      for (const v of g.emails) kinds.push('email'), values.push(v);
    }
    const known = new Map<string, { contactId: string; created: number }>();
    for (let i = 0; i < kinds.length; i += 50_000) {
      const rows: Array<{ kind: string; value: string; contact_id: string; created_at: Date }> = await em.query(
        `SELECT ci.kind, ci.value, COALESCE(c.merged_into_id, c.id) AS contact_id, c.created_at
           FROM contact_identity ci JOIN contact c ON c.id = ci.contact_id
          WHERE (ci.kind, ci.value) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
        [kinds.slice(i, i + 50_000), values.slice(i, i + 50_000)],
      );
      for (const r of rows) known.set(`${r.kind}:${r.value}`, { contactId: r.contact_id, created: new Date(r.created_at).getTime() });
    }
    return groups.map((group) => {
      const byPhone = group.phones.map((v) => known.get(`phone:${v}`)).filter((m): m is NonNullable<typeof m> => !!m);
      const byEmail = group.emails.map((v) => known.get(`email:${v}`)).filter((m): m is NonNullable<typeof m> => !!m);
      const pick = (list: typeof byPhone) => [...list].sort((a, b) => a.created - b.created)[0];
      const hit = pick(byPhone) ?? pick(byEmail);
      return { group, contactId: hit?.contactId ?? randomUUID(), existing: !!hit, companyKey: group.company ? group.company.toLowerCase() : null };
    });
  }

  /** Company ids by lower-cased name: existing ones, plus (unless dry run) the ones created now. */
  private async companies(em: EntityManager, decided: Decided[], dryRun: boolean): Promise<{ ids: Map<string, string>; created: number }> {
    const names = new Map<string, string>();
    for (const d of decided) if (d.companyKey && !names.has(d.companyKey)) names.set(d.companyKey, d.group.company!);
    const ids = new Map<string, string>();
    if (!names.size) return { ids, created: 0 };
    const found: Array<{ id: string; key: string }> = await em.query(
      `SELECT DISTINCT ON (lower(name)) id, lower(name) AS key FROM company WHERE lower(name) = ANY($1::text[]) ORDER BY lower(name), created_at`,
      [[...names.keys()]],
    );
    for (const f of found) ids.set(f.key, f.id);
    const missing = [...names.entries()].filter(([k]) => !ids.has(k));
    if (!dryRun && missing.length) {
      const rows: Array<{ id: string; name: string }> = await em.query(`INSERT INTO company (name) SELECT unnest($1::text[]) RETURNING id, name`, [missing.map(([, n]) => n)]);
      for (const r of rows) ids.set(r.name.toLowerCase(), r.id);
    }
    return { ids, created: missing.length };
  }

  /**
   * Writes the decided rows. Returns the new contacts that turned out to be someone already known after
   * all — a lead with the same phone or email committed between the match and the write (PostgreSQL
   * server; the embedded database runs one transaction at a time) — each merged into that contact: new id → holder.
   */
  private async write(em: EntityManager, viewer: Viewer, decided: Decided[], companyIds: Map<string, string>): Promise<Map<string, string>> {
    const now = this.clock.now().toISOString();
    const company = (d: Decided) => (d.companyKey ? (companyIds.get(d.companyKey) ?? null) : null);
    const fresh = decided.filter((d) => !d.existing);
    const known = decided.filter((d) => d.existing);
    for (const chunk of chunks(fresh)) {
      const rows = chunk.map((d) => ({ id: d.contactId, name: d.group.name, owner_id: d.group.ownerId, company_id: company(d), tags: d.group.tags, created_at: now, last_activity_at: now }));
      await em.query(insertFromJson('contact', CONTACT_COLUMNS, 1), [JSON.stringify(rows)]);
    }
    // A known contact keeps what it has; the file fills only what is missing (name, owner, company) and adds tags.
    for (const chunk of chunks(known)) {
      const rows = chunk.map((d) => ({ id: d.contactId, name: d.group.name, owner_id: d.group.ownerId, company_id: company(d), tags: d.group.tags }));
      await em.query(
        `UPDATE contact c SET name = COALESCE(c.name, x.name), owner_id = COALESCE(c.owner_id, x.owner_id), company_id = COALESCE(c.company_id, x.company_id),
                tags = ARRAY(SELECT DISTINCT t FROM unnest(c.tags || x.tags) AS t ORDER BY 1), updated_at = now()
           FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, name text, owner_id uuid, company_id uuid, tags text[])
          WHERE c.id = x.id`,
        [JSON.stringify(rows)],
      );
    }
    const identities = decided.flatMap((d) => [
      ...d.group.phones.map((value) => ({ contact_id: d.contactId, kind: 'phone', value })),
      ...d.group.emails.map((value) => ({ contact_id: d.contactId, kind: 'email', value })),
    ]);
    const freshIds = new Set(fresh.map((d) => d.contactId));
    const latecomers = new Map<string, string>();
    for (const chunk of chunks(identities)) {
      // A phone or email already on another contact stays there (the row was matched to the phone's contact).
      const [{ n }] = await em.query(
        `WITH ins AS (${insertFromJson('contact_identity', IDENTITY_COLUMNS, 1)} ON CONFLICT (kind, value) DO NOTHING RETURNING 1) SELECT count(*)::int AS n FROM ins`,
        [JSON.stringify(chunk)],
      );
      if (n === chunk.length) continue;
      // Some went elsewhere. For a new contact that can only be a lead that arrived after the match.
      const held: Array<{ contact_id: string; holder: string }> = await em.query(
        `SELECT DISTINCT x.contact_id, COALESCE(c.merged_into_id, c.id) AS holder
           FROM jsonb_to_recordset($1::jsonb) AS x(contact_id uuid, kind text, value text)
           JOIN contact_identity ci ON ci.kind = x.kind AND ci.value = x.value AND ci.contact_id <> x.contact_id
           JOIN contact c ON c.id = ci.contact_id`,
        [JSON.stringify(chunk.filter((i) => freshIds.has(i.contact_id)))],
      );
      for (const h of held) if (!latecomers.has(h.contact_id)) latecomers.set(h.contact_id, h.holder);
    }
    const deals = decided.flatMap((d) =>
      d.group.deals.map((deal) => ({
        id: randomUUID(),
        contact_id: d.contactId,
        owner_id: d.group.ownerId,
        title: deal.title,
        stage: deal.stage,
        source_channel: 'import',
        source: { import: { row: deal.row } },
        amount: deal.amount,
        // Import stages are the default pipeline's keys; its won and lost close a deal.
        closed_at: deal.stage === 'won' || deal.stage === 'lost' ? now : null,
        created_at: now,
        stages_reached: [deal.stage],
      })),
    );
    for (const chunk of chunks(deals)) {
      // A deal of a known contact without an owner in the file goes to the contact's owner.
      await em.query(
        `INSERT INTO deal (id, contact_id, owner_id, title, stage, source_channel, source, amount, closed_at, created_at, stages_reached)
         SELECT x.id, x.contact_id, COALESCE(x.owner_id, c.owner_id), x.title, x.stage, x.source_channel, x.source, x.amount, x.closed_at, x.created_at, x.stages_reached
           FROM jsonb_to_recordset($1::jsonb) AS x(${Object.entries(DEAL_COLUMNS).map(([k, t]) => `${k} ${t}`).join(', ')})
           JOIN contact c ON c.id = x.contact_id`,
        [JSON.stringify(chunk)],
      );
    }
    const notes = decided.flatMap((d) =>
      d.group.notes.map((n) => ({ contact_id: d.contactId, deal_id: null, kind: 'note', channel: 'import', actor_id: viewer.id, occurred_at: now, payload: { text: n.text, source: 'import', row: n.row } })),
    );
    for (const chunk of chunks(notes)) await em.query(insertFromJson('activity', NOTE_COLUMNS, 1), [JSON.stringify(chunk)]);
    // Last, so the new contact's deals and notes move along with it.
    for (const [contactId, holder] of latecomers) {
      await this.merges.merge(em, holder, contactId, { reason: 'import: the same phone or email reached the hub as a lead during the import', actorId: viewer.id, channel: 'import' });
    }
    return latecomers;
  }
}

function chunks<T>(items: T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
