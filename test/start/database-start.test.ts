import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { prepareDatabase, StartupError } from '../../apps/hub/src/database/database-startup';
import { usingPostgres } from '../support/test-database';

const describeWithServer = usingPostgres() ? describe : describe.skip;
const root = join(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

function urlFor(database: string, user?: string): string {
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${database}`;
  if (user) u.username = user;
  return u.toString();
}

/** PostgreSQL on first try: a missing database is created, a down server waited for, each failure one line. */
describeWithServer('start-up on PostgreSQL', () => {
  const name = `leadline_start_${randomBytes(4).toString('hex')}`;
  const role = `leadline_nocreate_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${role}`);
    });
  });

  it('creates the database named in DATABASE_URL when it is missing and the role may', async () => {
    const created: string[] = [];
    await prepareDatabase({ url: urlFor(name), attempts: 1, retryMs: 10, connectTimeoutMs: 2000, onRetry: () => undefined, onCreated: (l) => created.push(l) });
    expect(created).toEqual([expect.stringContaining(`database "${name}" did not exist`)]);
    expect(await admin((c) => c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]))).toMatchObject({ rowCount: 1 });
    // Existing: nothing to do, nothing said.
    await prepareDatabase({ url: urlFor(name), attempts: 1, retryMs: 10, connectTimeoutMs: 2000, onRetry: () => undefined, onCreated: (l) => created.push(l) });
    expect(created).toHaveLength(1);
  });

  it('says in one line which command creates it when the role may not', async () => {
    await admin((c) => c.query(`CREATE ROLE ${role} LOGIN NOCREATEDB`));
    const missing = `${name}_x`;
    const err = await prepareDatabase({ url: urlFor(missing, role), attempts: 1, retryMs: 10, connectTimeoutMs: 2000, onRetry: () => undefined }).catch((e) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect(err.message).not.toContain('\n');
    expect(err.message).toContain(`role "${role}" may not create databases`);
    expect(err.message).toContain(`createdb -h`);
    expect(err.message).toContain(missing);
  });

  it('waits for a server that is down with one line per attempt, then gives up with one line', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const u = new URL(urlFor('leadline'));
    u.port = String(port);
    u.password = 'secret-password';
    const err = await prepareDatabase({ url: u.toString(), attempts: 3, retryMs: 20, connectTimeoutMs: 1000, onRetry: (l) => lines.push(l) }).catch((e) => e);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`not reachable \\(.*ECONNREFUSED.*\\), attempt 1 of 3`));
    expect(err).toBeInstanceOf(StartupError);
    expect(err.message).toMatch(/was not reachable after 3 attempts/);
    expect([err.message, ...lines].join()).not.toContain('secret-password');
  });

  it('the built hub: database down → one warn line per attempt, then exit 1 with one line and no stack', async () => {
    const out = mkdtempSync(join(root, '.build-start-'));
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'pipe' });
      execFileSync(process.execPath, [join(root, 'node_modules/tsc-alias/dist/bin/index.js'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'pipe' });
      const port = await freePort();
      const u = new URL(urlFor('leadline'));
      u.port = String(port);
      const child = spawn(process.execPath, [join(out, 'apps/hub/src/main.js')], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: u.toString(), DB_START_ATTEMPTS: '2', DB_START_RETRY_MS: '100', LOG_LEVEL: 'info', PORT: String(await freePort()) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      const warnLines = stdout.trim().split('\n').filter(Boolean);
      expect(warnLines).toHaveLength(1);
      expect(JSON.parse(warnLines[0])).toMatchObject({ level: 40, attempt: 1, attempts: 2 });
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^The database server 127\.0\.0\.1:\d+ was not reachable after 2 attempts/)]);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
