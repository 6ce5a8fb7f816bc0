'use strict';
/** Build-if-stale and start one built hub on a database: shared by bench/reports.js and bench/import.js. */
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

/** Starts dist/apps/hub/src/main.js (it runs the migrations) and waits for /health. */
async function startHub({ databaseUrl, logFile, env = {} }) {
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const childEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    OUTBOX_WORKER: 'false',
    SLA_SCHEDULER: 'false',
    ...env,
  };
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, [MAIN_JS], { cwd: ROOT, env: childEnv, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const hub = { child, logFile, exited: null, base: `http://127.0.0.1:${port}` };
  hub.done = new Promise((resolve) => child.once('exit', (code, signal) => resolve((hub.exited = { code, signal }))));
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (hub.exited) throw new Error(`hub exited during start (${JSON.stringify(hub.exited)}):\n${tail(logFile)}`);
    if (Date.now() > deadline) throw new Error(`hub not healthy within 180 s:\n${tail(logFile)}`);
    try {
      const res = await fetch(`${hub.base}/health`, { signal: AbortSignal.timeout(2000) });
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
  if (!done) hub.child.kill('SIGKILL');
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

module.exports = { ROOT, ensureBuild, startHub, stopHub, writeDocsSection };
