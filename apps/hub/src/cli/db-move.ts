import 'reflect-metadata';
import { DataDirInUseError } from '../database/data-dir-lock';
import { moveDatabase, MoveError } from '../database/move/move-database';
import { cliArgs, CliUsageError } from './cli-args';

/**
 * npm run db:move -- --to postgres://user@host/db [--from ./data/pglite]
 * Copies the embedded database into an empty PostgreSQL database and verifies it (see moveDatabase).
 * Resolves with the exit code; writes progress to `out` and a one-line reason to `err`.
 */
export async function dbMoveCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  try {
    const args = cliArgs(argv, ['to', 'from']);
    const to = args.to ?? '';
    if (!/^postgres(ql)?:\/\//.test(to)) throw new CliUsageError('usage: npm run db:move -- --to postgres://user@host:5432/leadline [--from ./data/pglite]');
    const from = args.from ?? process.env.PGLITE_DATA_DIR ?? './data/pglite';
    const started = Date.now();
    const report = await moveDatabase({ pgliteDir: from, targetUrl: to, log: out });
    const rows = report.tables.reduce((n, t) => n + t.rows, 0);
    out(`moved ${rows} rows in ${report.tables.length} tables and ${report.sequences.length} sequences (${report.migrations} migrations) in ${((Date.now() - started) / 1000).toFixed(1)} s; counts and checksums match.`);
    out(`Start the hub with DATABASE_URL=${to.replace(/:[^:@/]*@/, ':***@')}; ${from} is left as it was (keep it as a backup).`);
    return 0;
  } catch (e) {
    const known = e instanceof MoveError || e instanceof DataDirInUseError || e instanceof CliUsageError;
    err(known ? `db:move: ${(e as Error).message}` : `db:move failed: ${e instanceof Error ? e.stack : String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  void dbMoveCommand(
    process.argv.slice(2),
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`${line}\n`),
  ).then((code) => process.exit(code));
}
