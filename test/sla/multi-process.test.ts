import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/test-database';

/**
 * Several hub processes on one PostgreSQL: two real, built hubs (OUTBOX_WORKER and SLA_SCHEDULER on)
 * share 500 tasks coming due. Every task gets exactly one overdue activity and its assignee exactly one
 * in-app overdue notice, with both processes running, and when one is SIGKILLed in the middle.
 *
 * Tasks are seeded due a few seconds after the DATABASE's now(): the processes run on the system clock,
 * not on a test clock.
 */
const TASKS = 500;
const root = join(__dirname, '..', '..');
// Its own output directory: test/start builds into dist/ and may run at the same time.
const outDir = join(root, 'dist', '.multi-process');
const main = join(outDir, 'apps', 'hub', 'src', 'main.js');
const ADMIN_EMAIL = 'admin@multi.test';

const title = 'two hub processes on one PostgreSQL';
if (usingPostgres()) describe(title, twoProcesses);
else {
  describe(`${title} (needs PostgreSQL)`, () => {
    it('is not run on PGlite: an embedded database lives inside one process, so a second hub process cannot share it; set DATABASE_URL to run it', () => {
      expect(usingPostgres()).toBe(false);
    });
  });
}

interface Hub {
  child: ChildProcess;
  output: () => string;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startHub(databaseUrl: string): Promise<Hub> {
  const port = await freePort();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_EMAIL,
    ADMIN_PASSWORD: 'multi-admin-password',
    LOG_LEVEL: 'warn',
    OUTBOX_WORKER: 'on',
    OUTBOX_POLL_MS: '50',
    // The shortest lease: a row the killed process had claimed is taken over 10 s later.
    OUTBOX_LEASE_SECONDS: '10',
    SLA_SCHEDULER: 'on',
    DB_POOL_SIZE: '5',
  };
  delete env.PGLITE_DATA_DIR;
  const child = spawn(process.execPath, [main], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`hub did not become healthy in time:\n${out}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return { child, output: () => out };
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
}

function stop(hub: Hub | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!hub || hub.child.exitCode !== null || hub.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    hub.child.once('exit', () => resolve());
    hub.child.kill(signal);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function twoProcesses(): void {
  let db: TestDatabase;
  let pg: Client;
  const hubs: Hub[] = [];
  let managerId: string;
  let adminId: string;

  beforeAll(() => {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: root, stdio: 'pipe' });
    execFileSync(join(root, 'node_modules', '.bin', 'tsc-alias'), ['-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: root, stdio: 'pipe' });
  }, 180_000);

  beforeEach(async () => {
    db = await createTestDatabase();
    // One at a time: the first start migrates the empty database and creates the admin.
    hubs.push(await startHub(db.env.DATABASE_URL));
    hubs.push(await startHub(db.env.DATABASE_URL));
    pg = new Client({ connectionString: db.env.DATABASE_URL });
    await pg.connect();
    [{ id: adminId }] = (await pg.query(`SELECT id FROM manager WHERE email = $1`, [ADMIN_EMAIL])).rows;
    [{ id: managerId }] = (await pg.query(`INSERT INTO manager (role, name, email) VALUES ('manager', 'Multi Manager', 'multi.manager@test.local') RETURNING id`)).rows;
  }, 150_000);

  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => stop(h)));
    await pg?.end();
    await db?.drop();
  }, 60_000);

  /** `TASKS` open callback tasks of as many deals, due from `leadSeconds` after the database's now(), spread over `spreadSeconds`. */
  async function seedTasks(leadSeconds: number, spreadSeconds: number): Promise<void> {
    await pg.query(
      `WITH c AS (
         INSERT INTO contact (name, owner_id) SELECT 'Multi ' || g, $1::uuid FROM generate_series(1, $2) AS g RETURNING id
       ), d AS (
         INSERT INTO deal (contact_id, owner_id, source_channel, title) SELECT id, $1::uuid, 'web_form', 'Multi deal' FROM c RETURNING id, contact_id
       ), numbered AS (
         SELECT id, contact_id, row_number() OVER () AS n FROM d
       )
       INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at)
       SELECT id, contact_id, $1::uuid, 'callback', 'Call back',
              now() + make_interval(secs => $3 + (n % 100) * $4 / 100.0), NULL, now() + interval '1 hour'
         FROM numbered`,
      [managerId, TASKS, leadSeconds, spreadSeconds],
    );
  }

  async function counts() {
    const { rows } = await pg.query(
      `SELECT (SELECT count(*) FROM task WHERE overdue_at IS NOT NULL)::int AS overdue_tasks,
              (SELECT count(*) FROM activity WHERE kind = 'task_overdue')::int AS activities,
              (SELECT count(DISTINCT payload->>'taskId') FROM activity WHERE kind = 'task_overdue')::int AS activity_tasks,
              (SELECT count(*) FROM notification WHERE event = 'task_overdue' AND manager_id = $1)::int AS notices,
              (SELECT count(DISTINCT payload->>'taskId') FROM notification WHERE event = 'task_overdue' AND manager_id = $1)::int AS notice_tasks,
              (SELECT count(*) FROM notification WHERE event = 'task_overdue' AND manager_id = $2)::int AS admin_notices,
              (SELECT count(*) FROM outbox WHERE payload->>'event' = 'task_overdue')::int AS outbox_rows,
              (SELECT count(*) FROM outbox WHERE payload->>'event' = 'task_overdue' AND status <> 'done')::int AS undelivered`,
      [managerId, adminId],
    );
    return rows[0] as Record<string, number>;
  }

  const finished = (c: Record<string, number>) => c.overdue_tasks === TASKS && c.notices >= TASKS && c.admin_notices >= TASKS && c.undelivered === 0;

  async function waitForAll(timeoutMs: number): Promise<Record<string, number>> {
    const deadline = Date.now() + timeoutMs;
    let c = await counts();
    while (!finished(c) && Date.now() < deadline) {
      await sleep(250);
      c = await counts();
    }
    // A moment more: a duplicate would show up now.
    await sleep(1500);
    return counts();
  }

  const exactlyOnce = {
    overdue_tasks: TASKS,
    activities: TASKS,
    activity_tasks: TASKS,
    notices: TASKS,
    notice_tasks: TASKS,
    admin_notices: TASKS,
    outbox_rows: TASKS * 2,
    undelivered: 0,
  };

  it('500 tasks coming due: exactly 500 overdue activities and 500 overdue notices to the assignee, no duplicates, no misses', async () => {
    await seedTasks(2, 4);
    const c = await waitForAll(60_000);
    expect(c).toEqual(exactlyOnce);
    for (const h of hubs) expect(h.child.exitCode).toBeNull();
  }, 120_000);

  it('one process SIGKILLed in the middle: the other finishes the work, still exactly once', async () => {
    await seedTasks(2, 10);
    let c = await counts();
    const deadline = Date.now() + 30_000;
    while (c.overdue_tasks === 0 && Date.now() < deadline) {
      await sleep(50);
      c = await counts();
    }
    expect(c.overdue_tasks).toBeGreaterThan(0);
    const [victim] = hubs;
    await stop(victim, 'SIGKILL');
    expect(victim.child.signalCode).toBe('SIGKILL');
    const atKill = await counts();
    expect(atKill.overdue_tasks).toBeLessThan(TASKS);

    // Lease expiry (10 s) brings back any outbox row the killed process had claimed.
    const after = await waitForAll(90_000);
    expect(after).toEqual(exactlyOnce);
    expect(hubs[1].child.exitCode).toBeNull();
  }, 150_000);
}
