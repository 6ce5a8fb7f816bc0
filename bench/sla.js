#!/usr/bin/env node
'use strict';
/**
 * SLA lateness benchmark: `npm run bench:sla` (node bench/sla.js).
 *
 * 1. builds the hub if dist/ is missing or older than the sources (like bench/run.js);
 * 2. creates a fresh PostgreSQL database and starts BENCH_HUBS built hubs on it (child processes,
 *    SLA_SCHEDULER on, ticking every second), so the claims really compete across processes;
 * 3. fills it with generate_series SQL: BENCH_TASKS open callback tasks (one contact and deal each)
 *    due later, ANALYZE, then BENCH_DUE_SOON more tasks due over the next BENCH_DUE_SPREAD_SECONDS;
 * 4. watches (polls every 50 ms) for their overdue stamp becoming visible, i.e. committed with its
 *    activity and notices, and reports per task: lateness = first seen overdue − due_at (commit time,
 *    ± the 50 ms poll), and overdue_at − due_at (the hub's clock when it claimed the batch);
 * 5. checks exactly-once: one task_overdue activity, one notice to the assignee, one to the admins per task;
 * 6. prints EXPLAIN of the three due-task claims (dist's slaClaimSql, the exact statements the hub runs);
 * 7. prints a summary; always stops the hubs and drops the database.
 *
 * Knobs (environment): BENCH_DATABASE_URL (admin connection, default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_DB_NAME (leadline_sla_bench), BENCH_TASKS (100000), BENCH_DUE_SOON (500), BENCH_DUE_SPREAD_SECONDS (10),
 * BENCH_HUBS (2), BENCH_BUILD (auto|always|never), BENCH_KEEP_DB (1 = keep the database),
 * BENCH_STRICT (1 = exit 2 when max lateness > 2 s), BENCH_TIMEOUT_SECONDS (180).
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const MAIN_JS = path.join(ROOT, 'dist/apps/hub/src/main.js');
const SLA_JS = path.join(ROOT, 'dist/libs/core/src/sla/sla.service.js');
const TARGET_MS = 2000;

const { sleep, freePort, tail, newestMtime } = require('./support');
const log = (msg) => process.stdout.write(`[bench:sla] ${msg}\n`);
const envInt = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number`);
  return n;
};

const cfg = {
  adminUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  dbName: process.env.BENCH_DB_NAME || 'leadline_sla_bench',
  tasks: envInt('BENCH_TASKS', 100_000),
  dueSoon: envInt('BENCH_DUE_SOON', 500),
  spreadSeconds: envInt('BENCH_DUE_SPREAD_SECONDS', 10),
  hubs: Math.max(1, envInt('BENCH_HUBS', 2)),
  build: (process.env.BENCH_BUILD || 'auto').toLowerCase(),
  keepDb: process.env.BENCH_KEEP_DB === '1',
  strict: process.env.BENCH_STRICT === '1',
  timeoutSeconds: envInt('BENCH_TIMEOUT_SECONDS', 180),
};
if (!/^[a-z_][a-z0-9_]*$/.test(cfg.dbName)) throw new Error('BENCH_DB_NAME must be a plain identifier');
const benchUrl = (() => {
  const u = new URL(cfg.adminUrl);
  u.pathname = `/${cfg.dbName}`;
  return u.toString();
})();

const state = { hubs: [], admin: null, db: null, dbCreated: false, cleaning: null, tmpDir: fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-bench-sla-')) };


function ensureBuild() {
  let reason = null;
  if (cfg.build === 'always') reason = 'BENCH_BUILD=always';
  else if (!fs.existsSync(MAIN_JS) || !fs.existsSync(SLA_JS)) reason = 'dist is missing';
  else if (cfg.build === 'auto' && Math.max(newestMtime(path.join(ROOT, 'apps')), newestMtime(path.join(ROOT, 'libs'))) > fs.statSync(MAIN_JS).mtimeMs) {
    reason = 'sources are newer than dist';
  }
  if (!reason) return log('dist is up to date, not rebuilding');
  if (cfg.build === 'never') throw new Error(`${reason} and BENCH_BUILD=never`);
  log(`building (${reason}): npm run build`);
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 180_000 });
  if (res.status !== 0) throw new Error(`npm run build failed:\n${(res.stdout || '').slice(-3000)}${(res.stderr || '').slice(-2000)}`);
}



async function startHub(i) {
  const port = await freePort();
  const logFile = path.join(state.tmpDir, `hub-${i}.log`);
  const out = fs.openSync(logFile, 'a');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: benchUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: 'bench-admin@leadline.local',
    ADMIN_PASSWORD: 'bench-admin-password',
    SLA_SCHEDULER: 'true',
  };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [MAIN_JS], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const hub = { child, logFile, exited: null };
  hub.done = new Promise((resolve) => child.once('exit', (code, signal) => resolve((hub.exited = { code, signal }))));
  state.hubs.push(hub);
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (hub.exited) throw new Error(`hub ${i} exited during start (${JSON.stringify(hub.exited)}):\n${tail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`hub ${i} not healthy within 45 s:\n${tail(logFile)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
}

async function stopHubs() {
  await Promise.all(
    state.hubs.map(async (h) => {
      if (h.exited) return;
      h.child.kill('SIGTERM');
      const done = await Promise.race([h.done.then(() => true), sleep(8000).then(() => false)]);
      if (!done) h.child.kill('SIGKILL');
    }),
  );
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Inserts `count` contacts, deals and open callback tasks; due times from the SQL expression `due` (g = 1..count). */
async function insertTasks(db, prefix, count, due, managerId) {
  await db.query(
    `WITH g AS (SELECT g, md5($1 || 'c' || g)::uuid AS cid, md5($1 || 'd' || g)::uuid AS did, ${due} AS due FROM generate_series(1, $2::int) g),
          c AS (INSERT INTO contact (id, name, owner_id) SELECT cid, 'Bench ' || $1 || ' ' || g, $3 FROM g),
          d AS (INSERT INTO deal (id, contact_id, owner_id, stage, source_channel, title) SELECT did, cid, $3, 'new', 'web_form', 'bench' FROM g)
     INSERT INTO task (deal_id, contact_id, assignee_id, kind, title, due_at, remind_at, escalate_at, created_at)
     SELECT did, cid, $3, 'callback', 'Call back', due, due - interval '5 minutes', due + interval '10 minutes', due - interval '15 minutes' FROM g`,
    [prefix, count, managerId],
  );
}

async function main() {
  const watchdog = setTimeout(() => {
    process.stderr.write(`[bench:sla] watchdog: still running after ${cfg.timeoutSeconds} s\n`);
    finish(1);
  }, cfg.timeoutSeconds * 1000);
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => finish(130));

  ensureBuild();
  const { Client } = require('pg');
  state.admin = new Client({ connectionString: cfg.adminUrl, connectionTimeoutMillis: 5000 });
  await state.admin.connect();
  const serverVersion = (await state.admin.query('SHOW server_version')).rows[0].server_version;
  await state.admin.query(`DROP DATABASE IF EXISTS ${cfg.dbName} WITH (FORCE)`);
  state.dbCreated = true;
  await state.admin.query(`CREATE DATABASE ${cfg.dbName}`);
  log(`database ${cfg.dbName} created (PostgreSQL ${serverVersion})`);

  // The first hub runs the migrations; the others start after it.
  for (let i = 0; i < cfg.hubs; i++) await startHub(i);
  log(`${cfg.hubs} hub process(es) running with the SLA scheduler on`);

  const db = new Client({ connectionString: benchUrl });
  await db.connect();
  state.db = db;
  const [manager] = (
    await db.query(
      `INSERT INTO manager (role, name, email, password_hash, active, available) VALUES ('manager', 'Bench Manager', 'bench.manager@leadline.local', 'x', true, true) RETURNING id`,
    )
  ).rows;

  let t0 = Date.now();
  // The background: open tasks due between 1 and 25 hours from now (not touched during the run).
  await insertTasks(db, 'bg', cfg.tasks, `now() + interval '1 hour' + g * interval '0.9 seconds'`, manager.id);
  await db.query('ANALYZE');
  log(`${cfg.tasks} open tasks inserted and analyzed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // EXPLAIN the exact claims the hub runs, on the full table.
  const { slaClaimSql } = require(SLA_JS);
  const plans = {};
  for (const step of ['remind', 'overdue', 'escalate']) {
    const rows = (await db.query(`EXPLAIN ${slaClaimSql(step)}`, [new Date(), 500])).rows;
    plans[step] = rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  // The tasks under test: due 3 s from now, spread over the next BENCH_DUE_SPREAD_SECONDS.
  const spreadMs = (cfg.spreadSeconds * 1000) / Math.max(1, cfg.dueSoon);
  await insertTasks(db, 'soon', cfg.dueSoon, `now() + interval '3 seconds' + g * (${spreadMs} * interval '1 millisecond')`, manager.id);
  const soon = (await db.query(`SELECT t.id, t.due_at FROM task t JOIN contact c ON c.id = t.contact_id WHERE c.name LIKE 'Bench soon %'`)).rows;
  const dueOf = new Map(soon.map((r) => [r.id, new Date(r.due_at).getTime()]));
  const lastDue = Math.max(...dueOf.values());
  log(`${soon.length} tasks coming due over the next ${cfg.spreadSeconds + 3} s; watching for their overdue stamps`);

  const seen = new Map();
  const ids = [...dueOf.keys()];
  while (seen.size < ids.length && Date.now() < lastDue + 15_000) {
    const rows = (await db.query(`SELECT id, overdue_at FROM task WHERE id = ANY($1::uuid[]) AND overdue_at IS NOT NULL`, [ids])).rows;
    const now = Date.now();
    for (const r of rows) if (!seen.has(r.id)) seen.set(r.id, { visible: now, stamped: new Date(r.overdue_at).getTime() });
    await sleep(50);
  }

  const visible = [];
  const stamped = [];
  for (const [id, s] of seen) {
    visible.push(s.visible - dueOf.get(id));
    stamped.push(s.stamped - dueOf.get(id));
  }
  visible.sort((a, b) => a - b);
  stamped.sort((a, b) => a - b);
  const [counts] = (
    await db.query(
      `SELECT (SELECT count(*) FROM activity WHERE kind = 'task_overdue')::int AS activities,
              (SELECT count(DISTINCT payload->>'taskId') FROM activity WHERE kind = 'task_overdue')::int AS activity_tasks,
              (SELECT count(*) FROM outbox WHERE payload->>'event' = 'task_overdue' AND kind = 'notify.manager')::int AS to_assignee,
              (SELECT count(*) FROM outbox WHERE payload->>'event' = 'task_overdue' AND kind = 'notify.admins')::int AS to_admins`,
    )
  ).rows;

  const missed = ids.length - seen.size;
  const exactlyOnce = counts.activities === ids.length && counts.activity_tasks === ids.length && counts.to_assignee === ids.length && counts.to_admins === ids.length;
  const maxLate = visible.length ? visible[visible.length - 1] : Infinity;
  const indexScans = Object.values(plans).every((p) => /Index Scan|Index Only Scan/.test(p) && !/Seq Scan on task/.test(p));
  const summary = {
    postgres: serverVersion,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model?.trim()}`,
    hubs: cfg.hubs,
    openTasks: cfg.tasks + cfg.dueSoon,
    dueDuringRun: ids.length,
    missed,
    latenessVisibleMs: { p50: percentile(visible, 50), p99: percentile(visible, 99), max: maxLate, min: visible[0] },
    latenessStampMs: { p50: percentile(stamped, 50), p99: percentile(stamped, 99), max: stamped[stamped.length - 1] },
    exactlyOnce: { ...counts, expected: ids.length, ok: exactlyOnce },
    indexScans,
    target: `max lateness ≤ ${TARGET_MS} ms: ${maxLate <= TARGET_MS && missed === 0 ? 'met' : 'MISSED'}`,
  };
  console.log('\n=== EXPLAIN of the due-task claims (100k+ open tasks) ===');
  for (const [step, plan] of Object.entries(plans)) console.log(`-- ${step}\n${plan}\n`);
  console.log('=== summary ===');
  console.log(JSON.stringify(summary, null, 2));
  clearTimeout(watchdog);
  const ok = missed === 0 && exactlyOnce && indexScans && (!cfg.strict || maxLate <= TARGET_MS);
  await finish(ok ? 0 : 2);
}

async function finish(code) {
  if (state.cleaning) return state.cleaning;
  state.cleaning = (async () => {
    const hard = setTimeout(() => process.exit(code || 1), 20_000);
    hard.unref();
    if (state.db) await state.db.end().catch(() => {});
    await stopHubs().catch(() => {});
    if (state.admin && state.dbCreated) {
      if (cfg.keepDb) log(`database ${cfg.dbName} kept (BENCH_KEEP_DB=1)`);
      else await state.admin.query(`DROP DATABASE IF EXISTS ${cfg.dbName} WITH (FORCE)`).then(() => log(`database ${cfg.dbName} dropped`), () => {});
    }
    if (state.admin) await state.admin.end().catch(() => {});
    process.exit(code);
  })();
  return state.cleaning;
}

main().catch((err) => {
  process.stderr.write(`[bench:sla] failed: ${err.stack || err}\n`);
  for (const h of state.hubs) process.stderr.write(`--- hub log ${h.logFile}\n${tail(h.logFile)}\n`);
  finish(1);
});
