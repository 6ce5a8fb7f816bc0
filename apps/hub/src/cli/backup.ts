import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { backup, BackupError, defaultBackupPath, restore } from '../database/backup/backup';
import { DataDirInUseError } from '../database/data-dir-lock';
import { MoveError } from '../database/move/move-database';
import { cliArgs, CliUsageError } from './cli-args';

type Out = (line: string) => void;

/**
 * npm run backup -- [--out FILE | --dir DIR]
 * Backs up the database the hub is configured for (DATABASE_URL, else PGLITE_DATA_DIR).
 */
export async function backupCommand(argv: string[], env: NodeJS.ProcessEnv, out: Out, err: Out): Promise<number> {
  return reported('backup', err, async () => {
    const args = cliArgs(argv, ['out', 'dir']);
    const databaseUrl = env.DATABASE_URL || undefined;
    const file = resolve(args.out ?? defaultBackupPath(args.dir ?? './backups', databaseUrl ? 'postgres' : 'pglite'));
    const r = await backup({ databaseUrl, pgliteDir: env.PGLITE_DATA_DIR || './data/pglite', out: file });
    out(`${r.file} (${r.kind}, ${r.bytes} bytes, sha256 ${r.sha256})`);
  });
}

/**
 * npm run restore -- --file FILE [--to postgres://… | --to-dir DIR]
 * Restores into an empty database: the given target, else DATABASE_URL / PGLITE_DATA_DIR.
 */
export async function restoreCommand(argv: string[], env: NodeJS.ProcessEnv, out: Out, err: Out): Promise<number> {
  return reported('restore', err, async () => {
    const args = cliArgs(argv, ['file', 'to', 'to-dir']);
    if (!args.file) throw new CliUsageError('usage: npm run restore -- --file <backup> [--to postgres://… | --to-dir ./data/pglite]');
    const databaseUrl = args.to ?? (args['to-dir'] ? undefined : env.DATABASE_URL || undefined);
    const r = await restore({ file: resolve(args.file), databaseUrl, pgliteDir: args['to-dir'] ?? env.PGLITE_DATA_DIR ?? './data/pglite' });
    out(`restored ${args.file} (${r.kind}) into ${r.target}; start the hub on it`);
  });
}

async function reported(what: string, err: Out, fn: () => Promise<void>): Promise<number> {
  try {
    await fn();
    return 0;
  } catch (e) {
    const known = e instanceof BackupError || e instanceof MoveError || e instanceof DataDirInUseError || e instanceof CliUsageError;
    err(known ? `${what}: ${(e as Error).message}` : `${what} failed: ${e instanceof Error ? e.stack : String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  // The same settings as the hub: real environment variables win over .env.
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
  const [command, ...argv] = process.argv.slice(2);
  const out: Out = (line) => process.stdout.write(`${line}\n`);
  const err: Out = (line) => process.stderr.write(`${line}\n`);
  const run = command === 'restore' ? restoreCommand : command === 'backup' ? backupCommand : null;
  if (!run) {
    err('usage: node dist/apps/hub/src/cli/backup.js backup|restore …');
    process.exit(2);
  }
  void run(argv, process.env, out, err).then((code) => process.exit(code));
}
