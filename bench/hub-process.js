'use strict';
/**
 * Hubs and their databases for the bench scripts, the one way each of them builds, starts and stops a
 * hub, makes its database and writes its block of docs/BENCHMARKS.md. Generic helpers (lifecycle,
 * HTTP, statistics, /proc): bench/support.js.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { envFlag, sleep, freePort, tail, newestMtime, round } = require('./support');

const ROOT = path.resolve(__dirname, '..');
const MAIN_JS = path.join(ROOT, 'dist/apps/hub/src/main.js');
/** The admin account every bench hub is started with (startHub's default ADMIN_EMAIL / ADMIN_PASSWORD). */
const BENCH_ADMIN = { email: 'bench-admin@leadline.local', password: 'bench-admin-password' };
const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** `npm run build` when dist is missing or older than the sources (BENCH_BUILD=always|never|auto). */
function ensureBuild(log) {
  const mode = (process.env.BENCH_BUILD || 'auto').toLowerCase();
  if (!['auto', 'always', 'never'].includes(mode)) throw new Error('BENCH_BUILD must be auto, always or never');
  let reason = null;
  if (mode === 'always') reason = 'BENCH_BUILD=always';
  else if (!fs.existsSync(MAIN_JS)) reason = 'dist is missing';
  else if (mode === 'auto') {
    const sources = Math.max(
      newestMtime(path.join(ROOT, 'apps')),
      newestMtime(path.join(ROOT, 'libs')),
      ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((f) => newestMtime(path.join(ROOT, f))),
    );
    if (sources > fs.statSync(MAIN_JS).mtimeMs) reason = 'sources are newer than dist';
  }
  if (!reason) return log('dist is up to date, not rebuilding');
  if (mode === 'never') throw new Error(`${reason} and BENCH_BUILD=never`);
  log(`building (${reason}): npm run build`);
  const t0 = Date.now();
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 240_000 });
  if (res.status !== 0) {
    throw new Error(`npm run build failed (${res.error ? res.error.message : `exit ${res.status}`}):\n${(res.stdout || '').slice(-3000)}${(res.stderr || '').slice(-2000)}`);
  }
  log(`built in ${round((Date.now() - t0) / 1000)} s`);
}

/**
 * A fresh PostgreSQL database `dbName` on the server of BENCH_DATABASE_URL (an admin connection to
 * another database), dropped at the script's end unless BENCH_KEEP_DB=1. Returns its URL, the admin
 * client (kept open until then) and the server version.
 */
async function freshDatabase(script, { dbName, adminUrl = process.env.BENCH_DATABASE_URL || DEFAULT_ADMIN_URL, keep = process.env.BENCH_KEEP_DB === '1' }) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbName)) throw new Error(`the bench database name must be a plain lower-case identifier (got "${dbName}")`);
  const admin = new URL(adminUrl);
  if (!/^postgres(ql)?:$/.test(admin.protocol)) throw new Error('BENCH_DATABASE_URL must be a postgres:// URL');
  if (admin.pathname.replace(/^\//, '') === dbName) throw new Error('BENCH_DATABASE_URL must name another database than the benchmark one (it is dropped)');
  const { Client } = require('pg');
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000, statement_timeout: 60_000 });
  await client.connect();
  script.defer(() => client.end());
  const serverVersion = (await client.query('SHOW server_version')).rows[0].server_version;
  await client.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  // Registered before CREATE: a cleanup racing with it queues its DROP behind it on this same client.
  script.defer(async () => {
    if (keep) return script.log(`database ${dbName} kept (BENCH_KEEP_DB=1): drop it yourself`);
    await client.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    script.log(`database ${dbName} dropped`);
  });
  await client.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return {
    url: url.toString(),
    admin: client,
    serverVersion,
    host: decodeURIComponent(admin.hostname) || '127.0.0.1',
    port: admin.port || '5432',
    user: decodeURIComponent(admin.username) || 'postgres',
    password: admin.password ? decodeURIComponent(admin.password) : undefined,
  };
}

/** A pg client on `url`, closed at the script's end. */
async function connect(script, url) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  script.defer(() => client.end());
  return client;
}

/** The bench admin's bearer token on a hub. */
async function loginAdmin(base, admin = BENCH_ADMIN) {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin), signal: AbortSignal.timeout(15_000) });
  if (res.status !== 200) throw new Error(`login as ${admin.email}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()).token;
}

/**
 * Starts dist/apps/hub/src/main.js (it runs the migrations) and waits for /health.
 * `databaseUrl` null = embedded PGlite (then `env.PGLITE_DATA_DIR`). `probe`: preload bench/pg-probe.cjs
 * with an IPC channel (round trips, pool waits, event-loop delay; read with probeSnapshot). `nodeArgs`:
 * extra node flags (BENCH_HUB_NODE_ARGS is added, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
async function startHub({ databaseUrl, logFile, env = {}, probe = false, nodeArgs = [], startTimeoutMs = 180_000 }) {
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const base = `http://127.0.0.1:${port}`;
  const childEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: base,
    LOG_LEVEL: 'warn',
    OUTBOX_WORKER: 'false',
    SLA_SCHEDULER: 'false',
    TRUST_PROXY: 'false',
    COOKIE_SECURE: 'false',
    ADMIN_EMAIL: BENCH_ADMIN.email,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    ...env,
  };
  if (databaseUrl) childEnv.DATABASE_URL = databaseUrl;
  else delete childEnv.DATABASE_URL;
  delete childEnv.NODE_OPTIONS;
  delete childEnv.BENCH_PROBE;
  const args = [...(process.env.BENCH_HUB_NODE_ARGS || '').split(/\s+/).filter(Boolean), ...nodeArgs];
  if (probe) {
    childEnv.BENCH_PROBE = '1';
    args.push('-r', path.join(__dirname, 'pg-probe.cjs'));
  }
  args.push(MAIN_JS);
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', out, out, ...(probe ? ['ipc'] : [])] });
  fs.closeSync(out);
  const hub = { child, pid: child.pid, logFile, exited: null, base, probeWaiters: new Map(), probeSeq: 0 };
  if (probe) {
    child.on('message', (msg) => {
      const waiter = msg && msg.type === 'probe' && hub.probeWaiters.get(msg.id);
      if (waiter) {
        hub.probeWaiters.delete(msg.id);
        waiter(msg);
      }
    });
    child.channel.unref();
  }
  hub.done = new Promise((resolve) => child.once('exit', (code, signal) => resolve((hub.exited = { code, signal }))));
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (hub.exited) throw new Error(`hub exited during start (${JSON.stringify(hub.exited)}):\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hub not healthy within ${startTimeoutMs / 1000} s:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return hub;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
}

async function stopHub(hub) {
  if (!hub || hub.exited) return;
  hub.child.kill('SIGTERM');
  const done = await Promise.race([hub.done.then(() => true), sleep(8000).then(() => false)]);
  if (!done) {
    hub.child.kill('SIGKILL');
    await Promise.race([hub.done, sleep(3000)]);
  }
}

/** The probe's counters (see bench/pg-probe.cjs), or null when the hub has none or does not answer. */
async function probeSnapshot(hub, { gc = false } = {}) {
  if (!hub || hub.exited || !hub.child.connected) return null;
  const id = ++hub.probeSeq;
  const reply = new Promise((resolve) => hub.probeWaiters.set(id, resolve));
  hub.child.send({ type: 'probe', id, gc });
  const snap = await Promise.race([reply, sleep(3000).then(() => null)]);
  hub.probeWaiters.delete(id);
  return snap;
}

/** Starts a hub (see startHub) that the script stops at its end, whatever happens. */
async function startHubFor(script, options) {
  const hub = await startHub(options);
  script.defer(() => stopHub(hub));
  return hub;
}

/**
 * Replaces (or appends) the block between `<!-- name:start -->` and `<!-- name:end -->` in
 * docs/BENCHMARKS.md. A block still opened the older way (`<!-- name:begin (…) -->`) is replaced too,
 * and gets the standard marker.
 */
function writeDocsSection(name, markdown) {
  const file = path.join(ROOT, 'docs/BENCHMARKS.md');
  const end = `<!-- ${name}:end -->`;
  const block = `<!-- ${name}:start -->\n${markdown.trim()}\n${end}`;
  const doc = fs.readFileSync(file, 'utf8');
  const start = new RegExp(`<!-- ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(start|begin)\\b[^>]*-->`).exec(doc);
  const j = doc.indexOf(end);
  const next = start && j > start.index ? doc.slice(0, start.index) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, next);
}

/**
 * A script's result block in docs/BENCHMARKS.md, unless BENCH_WRITE_DOCS=0 (an exploratory run) or the
 * script is being aborted (its figures are partial). True when written.
 */
function writeResultDocs(script, name, markdown) {
  if (!envFlag('BENCH_WRITE_DOCS', true) || script.aborting) return false;
  writeDocsSection(name, markdown);
  script.log(`docs/BENCHMARKS.md updated (${name})`);
  return true;
}

module.exports = { ROOT, MAIN_JS, BENCH_ADMIN, ensureBuild, freshDatabase, connect, loginAdmin, startHub, startHubFor, stopHub, probeSnapshot, writeDocsSection, writeResultDocs };
