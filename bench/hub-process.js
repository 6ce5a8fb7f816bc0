'use strict';
/** Build-if-stale and start built hubs (child processes) on a database: shared by every bench script. */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { sleep, freePort, tail, newestMtime } = require('./support');

const ROOT = path.resolve(__dirname, '..');
const MAIN_JS = path.join(ROOT, 'dist/apps/hub/src/main.js');


/** `npm run build` when dist is missing or older than apps/ and libs/ (BENCH_BUILD=always|never to force). */
function ensureBuild(log) {
  const mode = (process.env.BENCH_BUILD || 'auto').toLowerCase();
  let reason = null;
  if (mode === 'always') reason = 'BENCH_BUILD=always';
  else if (!fs.existsSync(MAIN_JS)) reason = 'dist is missing';
  else if (mode === 'auto' && Math.max(newestMtime(path.join(ROOT, 'apps')), newestMtime(path.join(ROOT, 'libs'))) > fs.statSync(MAIN_JS).mtimeMs) {
    reason = 'sources are newer than dist';
  }
  if (!reason) return log('dist is up to date, not rebuilding');
  if (mode === 'never') throw new Error(`${reason} and BENCH_BUILD=never`);
  log(`building (${reason}): npm run build`);
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 240_000 });
  if (res.status !== 0) throw new Error(`npm run build failed:\n${(res.stdout || '').slice(-3000)}${(res.stderr || '').slice(-2000)}`);
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

/** Resident memory of a process in kB (Linux /proc), or null. */
function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Replaces (or appends) the block between `<!-- name:start -->` and `<!-- name:end -->` in docs/BENCHMARKS.md. */
function writeDocsSection(name, markdown) {
  const file = path.join(ROOT, 'docs/BENCHMARKS.md');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const doc = fs.readFileSync(file, 'utf8');
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  const next = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, next);
}

module.exports = { ROOT, MAIN_JS, ensureBuild, startHub, stopHub, probeSnapshot, rssKb, writeDocsSection };
