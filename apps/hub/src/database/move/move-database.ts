import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../data-source.options';

/** A move is one long bulk job, not a request: no statement limit, and a patient wait for a connection. */
const NO_TIMEOUTS = { DB_STATEMENT_TIMEOUT_MS: 0, DB_ACQUIRE_TIMEOUT_MS: 60_000 };
import { planTables, quoteIdent, readSequences, tableFingerprint, type Query, type SequenceState, type TablePlan } from './table-plan';

/** A refusal or failure with a plain one-line reason (the CLI prints it without a stack). */
export class MoveError extends Error {}

export interface MoveOptions {
  /** The embedded database's directory (PGLITE_DATA_DIR). */
  pgliteDir: string;
  /** postgres:// URL of an empty database (created when missing and the role may). */
  targetUrl: string;
  log?: (line: string) => void;
  /** Rows per round trip. */
  batchRows?: number;
}

export interface TableReport {
  table: string;
  rows: number;
  checksum: string;
}

export interface MoveReport {
  tables: TableReport[];
  sequences: SequenceState[];
  migrations: number;
}

/**
 * Copies everything from an embedded PGlite database into an empty PostgreSQL database: the schema by
 * the hub's own migrations (both sides brought to the same version first), the rows in bulk (a cursor
 * on the source, one INSERT … jsonb_populate_recordset per batch, parents before children, triggers
 * off so derived tables arrive as they were), sequence positions (the round-robin turn), all in one
 * target transaction. Then every table's row count and checksum are compared on both sides.
 */
export async function moveDatabase(o: MoveOptions): Promise<MoveReport> {
  const log = o.log ?? (() => undefined);
  const batch = o.batchRows ?? 2000;
  if (!existsSync(join(o.pgliteDir, 'PG_VERSION'))) throw new MoveError(`${o.pgliteDir} is not an embedded Leadline database (no PG_VERSION there); pass --from <PGLITE_DATA_DIR>`);
  await ensureDatabase(o.targetUrl);
  const target = new Client({ connectionString: o.targetUrl });
  await target.connect().catch((err: Error) => {
    throw new MoveError(`cannot connect to ${redactUrl(o.targetUrl)}: ${err.message}`);
  });
  let source: DataSource | null = null;
  try {
    const [{ n }] = (await target.query(`SELECT count(*)::int AS n FROM pg_class WHERE relkind IN ('r', 'p', 'S', 'v', 'm') AND relnamespace = current_schema()::regnamespace`)).rows;
    if (n > 0) throw new MoveError(`${redactUrl(o.targetUrl)} is not empty (${n} tables or sequences in schema ${(await target.query('SELECT current_schema() AS s')).rows[0].s}); db:move only fills an empty database`);

    log(`opening ${o.pgliteDir} (migrations brought up to date)`);
    source = new DataSource(await dataSourceOptions({ PGLITE_DATA_DIR: o.pgliteDir, DATABASE_URL: undefined, DB_POOL_SIZE: 1, ...NO_TIMEOUTS }));
    await source.initialize();
    log(`creating the schema on ${redactUrl(o.targetUrl)}`);
    const schemaOnly = new DataSource(await dataSourceOptions({ DATABASE_URL: o.targetUrl, DB_POOL_SIZE: 2, PGLITE_DATA_DIR: '', ...NO_TIMEOUTS }));
    await schemaOnly.initialize();
    await schemaOnly.destroy();

    const runner = source.createQueryRunner();
    await runner.connect();
    const sq: Query = (sql, params) => runner.query(sql, params);
    const tq: Query = async (sql, params) => (await target.query(sql, params)).rows;
    try {
      const sourceMigrations = (await sq<{ name: string }>(`SELECT name FROM migrations ORDER BY id`)).map((m) => m.name);
      const targetMigrations = (await tq<{ name: string }>(`SELECT name FROM migrations ORDER BY id`)).map((m) => m.name);
      if (sourceMigrations.join() !== targetMigrations.join()) throw new MoveError('the source and target schemas differ after migrating both; is this the same Leadline version?');
      await sq(`SET TimeZone = 'UTC'`);
      await tq(`SET TimeZone = 'UTC'`);
      const plans = await planTables(sq);
      const sequences = await readSequences(sq);
      await tq('BEGIN');
      try {
        // The migrations seed some rows (the default pipeline): the source's rows replace them.
        await tq(`TRUNCATE ${plans.map((p) => quoteIdent(p.name)).join(', ')}`);
        for (const plan of plans) {
          const rows = await copyTable(sq, tq, plan, batch);
          log(`${plan.name}: ${rows} rows`);
        }
        for (const s of sequences) await tq(`SELECT setval($1::regclass, $2::bigint, $3)`, [quoteIdent(s.name), s.lastValue, s.isCalled]);
        await tq('COMMIT');
      } catch (err) {
        await tq('ROLLBACK').catch(() => undefined);
        throw err;
      }

      log('verifying row counts and checksums');
      const tables: TableReport[] = [];
      const mismatches: string[] = [];
      for (const plan of plans) {
        const a = await tableFingerprint(sq, plan.name);
        const b = await tableFingerprint(tq, plan.name);
        if (a.rows !== b.rows || a.checksum !== b.checksum) mismatches.push(`${plan.name} (${a.rows} rows ${a.checksum} → ${b.rows} rows ${b.checksum})`);
        tables.push({ table: plan.name, rows: b.rows, checksum: b.checksum });
      }
      const moved = await readSequences(tq);
      for (const s of sequences) {
        const t = moved.find((m) => m.name === s.name);
        if (!t || t.lastValue !== s.lastValue || t.isCalled !== s.isCalled) mismatches.push(`sequence ${s.name}`);
      }
      if (mismatches.length) throw new MoveError(`verification failed for ${mismatches.join(', ')}; drop and recreate the target database before trying again`);
      return { tables, sequences, migrations: sourceMigrations.length };
    } finally {
      await runner.release();
    }
  } finally {
    await target.end().catch(() => undefined);
    if (source?.isInitialized) await source.destroy();
  }
}

/** Rows of one table, batch by batch through a cursor on the source. Returns how many. */
async function copyTable(sq: Query, tq: Query, plan: TablePlan, batch: number): Promise<number> {
  const table = quoteIdent(plan.name);
  const cols = plan.columns.map(quoteIdent).join(', ');
  const values = plan.columns.map((c) => (plan.selfReferences.includes(c) ? 'NULL' : `r.${quoteIdent(c)}`)).join(', ');
  const insert = `INSERT INTO ${table} (${cols}) ${plan.hasIdentity ? 'OVERRIDING SYSTEM VALUE ' : ''}SELECT ${values} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb) r`;
  await tq(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
  let total = 0;
  await sq('BEGIN');
  try {
    // Physical order: rows land in the target in the order they lie in the source, so queries without
    // an ORDER BY of their own (a contact's identities) list them as before.
    await sq(`DECLARE leadline_move NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS j FROM ${table} t ORDER BY t.ctid`);
    for (;;) {
      const rows = await sq<{ j: string }>(`FETCH ${batch} FROM leadline_move`);
      if (!rows.length) break;
      await tq(insert, [`[${rows.map((r) => r.j).join(',')}]`]);
      total += rows.length;
    }
    await sq('CLOSE leadline_move');
  } finally {
    await sq('COMMIT');
  }
  // Rows pointing at rows of the same table (a contact merged into another) get their link last.
  if (plan.selfReferences.length) {
    const linked = await sq<{ j: string }>(`SELECT to_jsonb(t)::text AS j FROM ${table} t WHERE ${plan.selfReferences.map((c) => `t.${quoteIdent(c)} IS NOT NULL`).join(' OR ')}`);
    if (linked.length) {
      const set = plan.selfReferences.map((c) => `${quoteIdent(c)} = r.${quoteIdent(c)}`).join(', ');
      const match = plan.key.map((k) => `${table}.${quoteIdent(k)} = r.${quoteIdent(k)}`).join(' AND ');
      await tq(`UPDATE ${table} SET ${set} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb) r WHERE ${match}`, [`[${linked.map((r) => r.j).join(',')}]`]);
    }
  }
  await tq(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  return total;
}

/** Creates the target database when it does not exist and the role may; otherwise says how. */
export async function ensureDatabase(url: string): Promise<void> {
  const probe = new Client({ connectionString: url });
  try {
    await probe.connect();
    await probe.end();
    return;
  } catch (err) {
    await probe.end().catch(() => undefined);
    if ((err as { code?: string }).code !== '3D000') throw new MoveError(`cannot connect to ${redactUrl(url)}: ${(err as Error).message}`);
  }
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  parsed.pathname = '/postgres';
  const admin = new Client({ connectionString: parsed.toString() });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (err) {
    throw new MoveError(`database "${name}" does not exist and could not be created (${(err as Error).message}); create it with: createdb -h ${parsed.hostname} -U ${parsed.username || 'postgres'} ${name}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the target URL';
  }
}
