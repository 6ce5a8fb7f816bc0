import { PGlite } from '@electric-sql/pglite';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, closeSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { LOCK_FILE } from '../data-dir-lock';
import { openPglite } from '../pglite-driver';
import { ensureDatabase, MoveError, redactUrl } from '../move/move-database';

/** A refusal or failure with a one-line reason. */
export class BackupError extends MoveError {}

export type BackupKind = 'postgres' | 'pglite';

export interface BackupResult {
  file: string;
  kind: BackupKind;
  bytes: number;
  sha256: string;
}

/** What a backup file holds, from its first bytes: pg_dump's custom format or PGlite's gzipped tar. */
export function backupKindOf(file: string): BackupKind {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(5);
  try {
    readSync(fd, head, 0, 5, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') === 'PGDMP') return 'postgres';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'pglite';
  throw new BackupError(`${file} is not a Leadline backup (neither a pg_dump custom archive nor a PGlite data dump)`);
}

/** The default file name: leadline-<kind>-2026-12-06T221500Z.<ext> in `dir`. */
export function defaultBackupPath(dir: string, kind: BackupKind, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return join(dir, `leadline-${kind}-${stamp}.${kind === 'postgres' ? 'pgdump' : 'tar.gz'}`);
}

/**
 * One consistent backup file. PostgreSQL: `pg_dump --format=custom` (one snapshot, any load).
 * Embedded PGlite: its own data-directory dump (gzipped tar), taken with the directory locked, so
 * the hub must not be running on it (one line says so). The file appears only when complete.
 */
export async function backup(o: { databaseUrl?: string; pgliteDir: string; out: string }): Promise<BackupResult> {
  mkdirSync(dirname(o.out), { recursive: true });
  const partial = `${o.out}.partial`;
  rmSync(partial, { force: true });
  const kind: BackupKind = o.databaseUrl ? 'postgres' : 'pglite';
  try {
    if (o.databaseUrl) await pgDump(o.databaseUrl, partial);
    else await pgliteDump(o.pgliteDir, partial);
    renameSync(partial, o.out);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  return { file: o.out, kind, bytes: statSync(o.out).size, sha256: await sha256Of(o.out) };
}

/**
 * Restores a backup into an EMPTY target: a PostgreSQL database (created when missing) through
 * pg_restore, or a new/empty PGlite directory.
 */
export async function restore(o: { file: string; databaseUrl?: string; pgliteDir: string }): Promise<{ kind: BackupKind; target: string }> {
  if (!existsSync(o.file)) throw new BackupError(`${o.file} does not exist`);
  const kind = backupKindOf(o.file);
  if (kind === 'postgres') {
    if (!o.databaseUrl) throw new BackupError(`${o.file} is a PostgreSQL backup: restore it with DATABASE_URL (or --to postgres://…) naming an empty database`);
    await ensureDatabase(o.databaseUrl);
    await refuseNonEmpty(o.databaseUrl);
    await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--dbname', o.databaseUrl, o.file], 'pg_restore');
    return { kind, target: redactUrl(o.databaseUrl) };
  }
  if (o.databaseUrl) throw new BackupError(`${o.file} is an embedded (PGlite) backup: restore it into a directory with --to-dir (then move it to PostgreSQL with npm run db:move)`);
  if (existsSync(o.pgliteDir) && readdirSync(o.pgliteDir).length) throw new BackupError(`${o.pgliteDir} is not empty; restore only fills an empty or new directory`);
  mkdirSync(o.pgliteDir, { recursive: true });
  const db = await PGlite.create({ dataDir: o.pgliteDir, loadDataDir: new Blob([readFileSync(o.file)]) });
  await db.query('SELECT 1');
  await db.close();
  // The dump may carry the lock file of the hub that was running when it was taken.
  rmSync(join(o.pgliteDir, LOCK_FILE), { force: true });
  return { kind, target: o.pgliteDir };
}

async function refuseNonEmpty(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const [{ n }] = (await c.query(`SELECT count(*)::int AS n FROM pg_class WHERE relkind IN ('r', 'p', 'S', 'v', 'm') AND relnamespace = current_schema()::regnamespace`)).rows;
    if (n > 0) throw new BackupError(`${redactUrl(url)} is not empty (${n} tables or sequences); restore only fills an empty database`);
  } finally {
    await c.end();
  }
}

async function pgDump(url: string, file: string): Promise<void> {
  await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', '--file', file, '--dbname', url], 'pg_dump');
}

async function pgliteDump(dir: string, file: string): Promise<void> {
  if (!existsSync(join(dir, 'PG_VERSION'))) throw new BackupError(`${dir} holds no embedded database (no PG_VERSION); set PGLITE_DATA_DIR or DATABASE_URL`);
  // Takes the directory's lock: a running hub makes this one line (DataDirInUseError).
  const { db, release } = await openPglite(dir);
  try {
    const dump = await db.dumpDataDir('gzip');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.close();
    release();
  }
}

/** Runs a PostgreSQL client tool; its absence or failure is one line naming what to do. */
function run(cmd: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new BackupError(`${what} is not installed (PostgreSQL backups use it): apt-get install postgresql-client (the same major version as the server or newer)`) : err);
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new BackupError(`${what} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' / ') || 'no message'}`));
    });
  });
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
