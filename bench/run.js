#!/usr/bin/env node
'use strict';
/**
 * Intake benchmark: `npm run bench:intake` (node bench/run.js intake).
 *
 * 1. builds the hub if dist/ is missing or older than the sources;
 * 2. creates a fresh PostgreSQL database, starts the built hub on it (child process, 127.0.0.1,
 *    LOG_LEVEL=warn), creates managers through the admin API, lifts the form's per-IP rate limit;
 * 3. posts UNIQUE leads (unique phone + email per request) to POST /api/inbound/forms/:formKey:
 *    warm-up, (a) autocannon at a fixed 300 req/s for latency, (a2) the same rate paced open-loop
 *    (see runPaced: autocannon's rate mode sends bursts), (b) autocannon unthrottled for leads/s;
 * 4. samples the hub's RSS and CPU, and counts its database round trips per lead (bench/pg-probe.cjs);
 *    checks what landed in the database (one deal per receipt, no failed receipt, capacities kept);
 * 5. runs pgbench with bench/intake-transaction.pgbench.sql (the same SQL as one intake) on the
 *    same database: the database's own ceiling for this transaction (and compares its statements per
 *    transaction with the hub's measured round trips per lead: the form lookup is cached in the hub);
 * 6. prints a summary and refreshes the generated block of docs/BENCHMARKS.md;
 * 7. always stops the hub and drops the database (also on failure, Ctrl-C or the watchdog).
 *
 * Knobs (environment): BENCH_DATABASE_URL (admin connection, default
 * postgres://postgres@127.0.0.1:5432/postgres), BENCH_DB_NAME (leadline_bench), DB_POOL_SIZE (hub
 * pool, default 10), BENCH_MANAGERS (4), BENCH_MANAGER_CAPACITY (100000; "none" = no capacity, which
 * skips round robin's open-deal counts and manager lock; a small one, e.g. 50, fills the managers
 * after managers × capacity leads and every later lead goes to the unassigned queue), BENCH_RATE
 * (300), BENCH_RATE_SECONDS (20), BENCH_RATE_CONNECTIONS (10), BENCH_PACED_SECONDS (15; 0 = no paced phase), BENCH_MAX_CONNECTIONS
 * (20), BENCH_MAX_SECONDS (15), BENCH_WARMUP_SECONDS (3), BENCH_PGBENCH_CLIENTS (default min(DB_POOL_SIZE, BENCH_MAX_CONNECTIONS)),
 * BENCH_PGBENCH_SECONDS (15), BENCH_PGBENCH (path), BENCH_BUILD (auto|always|never),
 * BENCH_WRITE_DOCS (1; 0 = exploratory run, docs untouched), BENCH_PROBE (1; 0 = no query counting),
 * BENCH_TIMEOUT_SECONDS (175: hard cap for the whole run), BENCH_STRICT (1 = exit 2 on a missed target),
 * BENCH_KEEP_DB (1 = leave the database for inspection; the default drops it), BENCH_HUB_NODE_ARGS
 * (extra node flags for the hub, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), BENCH_HUB_WORKERS (0 =
 * the hub runs with OUTBOX_WORKER=false and SLA_SCHEDULER=false, so only the intake path is measured,
 * as the pgbench script models it; 1 = the hub's own defaults: it also delivers the outbox notices of
 * the leads and runs the SLA tick, in the same process, during the load).
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, ensureBuild, freshDatabase, loginAdmin, probeSnapshot, startHubFor, stopHub, writeResultDocs } = require('./hub-process');
const { runPaced: pacedLoad } = require('./paced');
const { api, benchForm, benchPhone, benchScript, clkTck, cpuSeconds, envFlag, envInt, helpRequested, loadAvg, machineCpu, percentile, round, rssKb, sleep, tail } = require('./support');

const PGBENCH_SCRIPT = path.join(__dirname, 'intake-transaction.pgbench.sql');

const TARGET_P99_MS = 50;
const TARGET_RATIO = 0.5;

// ---------------------------------------------------------------------------------------------
// configuration

function readConfig() {
  const poolSize = envInt('DB_POOL_SIZE', 10, 1, 200);
  const maxConnections = envInt('BENCH_MAX_CONNECTIONS', 20, 1, 1000);
  const capRaw = (process.env.BENCH_MANAGER_CAPACITY ?? '').trim();
  const cfg = {
    adminUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    dbName: process.env.BENCH_DB_NAME || 'leadline_bench',
    poolSize,
    managers: envInt('BENCH_MANAGERS', 4, 0, 100),
    managerCapacity: capRaw === '' ? 100_000 : /^(none|null)$/i.test(capRaw) ? null : envInt('BENCH_MANAGER_CAPACITY', 100_000, 0, 100_000),
    warmupSeconds: envInt('BENCH_WARMUP_SECONDS', 3, 0, 60),
    rate: envInt('BENCH_RATE', 300, 1, 100_000),
    rateSeconds: envInt('BENCH_RATE_SECONDS', 20, 1, 120),
    rateConnections: envInt('BENCH_RATE_CONNECTIONS', 10, 1, 1000),
    pacedSeconds: envInt('BENCH_PACED_SECONDS', 15, 0, 120),
    maxConnections,
    maxSeconds: envInt('BENCH_MAX_SECONDS', 15, 1, 120),
    pgbenchClients: envInt('BENCH_PGBENCH_CLIENTS', Math.min(poolSize, maxConnections), 1, 200),
    pgbenchSeconds: envInt('BENCH_PGBENCH_SECONDS', 15, 1, 120),
    pgbench: process.env.BENCH_PGBENCH || findExecutable('pgbench', ['/usr/bin/pgbench']),
    probe: envFlag('BENCH_PROBE', true),
    timeoutSeconds: envInt('BENCH_TIMEOUT_SECONDS', 175, 30, 3600),
    strict: envFlag('BENCH_STRICT', false),
    keepDb: envFlag('BENCH_KEEP_DB', false),
    hubWorkers: envFlag('BENCH_HUB_WORKERS', true),
  };
  return cfg;
}

function findExecutable(name, fallbacks) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && isExecutable(p)) return p;
  }
  return fallbacks.find(isExecutable) || null;
}
function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// small helpers

const script = benchScript('bench', { onError: () => state.hubLog && process.stderr.write(`--- hub log ${state.hubLog}\n${tail(state.hubLog)}\n`) });
const { log } = script;
/** What the phases share: the configuration, the hub under test, the lead generator, the running load. */
const state = {
  /** The script is ending (watchdog, signal, failure): phases stop early. */
  get aborting() {
    return script.aborting;
  },
};
const mb = (kb) => (kb === null ? null : round(kb / 1024, 1));

function mapValues(obj, fn) {
  return Object.fromEntries(Object.entries(obj || {}).map(([k, v]) => [k, fn(v)]));
}

// ---------------------------------------------------------------------------------------------
// process / machine sampling (Linux /proc)

/**
 * CPU of every process on the machine by group while pgbench runs (its backends come and go, so
 * they cannot be read once at the start and end): PostgreSQL processes, pgbench, everything else.
 * Polls /proc every 500 ms; a process that exits loses at most its last half second.
 */
class ProcCpuSampler {
  constructor(everyMs = 500) {
    this.seen = new Map(); // pid -> { group, cpu }
    this.total = { postgres: 0, pgbench: 0, other: 0 };
    this.t0 = Date.now();
    this.machine0 = machineCpu();
    this.poll(true);
    this.timer = setInterval(() => this.poll(false), everyMs);
    this.timer.unref();
  }
  poll(first) {
    let pids;
    try {
      pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    } catch {
      return;
    }
    for (const pid of pids) {
      let stat;
      try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(fields[11]) + Number(fields[12])) / clkTck();
      const prev = this.seen.get(pid);
      if (prev) {
        this.total[prev.group] += Math.max(0, cpu - prev.cpu);
        prev.cpu = cpu;
      } else {
        // this process (idle while pgbench runs) counts with pgbench: the benchmark's own tooling
        const group = comm === 'postgres' ? 'postgres' : comm === 'pgbench' || Number(pid) === process.pid ? 'pgbench' : 'other';
        // a process started since the first poll: all its CPU time so far belongs to the phase
        if (!first) this.total[group] += cpu;
        this.seen.set(pid, { group, cpu });
      }
    }
  }
  stop() {
    clearInterval(this.timer);
    this.poll(false);
    const secs = (Date.now() - this.t0) / 1000;
    const m1 = machineCpu();
    const pct = (x) => round((100 * x) / secs, 0);
    return {
      postgresPct: pct(this.total.postgres),
      pgbenchPct: pct(this.total.pgbench),
      otherPct: pct(this.total.other),
      machineBusyPct: this.machine0 && m1 ? round((100 * (m1.busy - this.machine0.busy)) / (m1.total - this.machine0.total), 0) : null,
    };
  }
}

class Sampler {
  constructor(pid, everyMs = 250) {
    this.pid = pid;
    this.samples = [];
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }
  sample() {
    const kb = rssKb(this.pid);
    if (kb !== null) this.samples.push({ t: Date.now(), kb });
    return kb;
  }
  peakKb(from = 0, to = Infinity) {
    let peak = null;
    for (const s of this.samples) if (s.t >= from && s.t <= to && (peak === null || s.kb > peak)) peak = s.kb;
    return peak;
  }
  stop() {
    clearInterval(this.timer);
  }
}

/** CPU used during a phase by the hub, the benchmark's PostgreSQL backends, this process, and the machine. */
async function cpuSnapshot() {
  const pgPids = state.pg ? await backendPids(state.pg, state.cfg.dbName) : [];
  const pg = {};
  for (const pid of pgPids) pg[pid] = cpuSeconds(pid);
  const self = process.cpuUsage();
  return { t: Date.now(), hub: state.hub ? cpuSeconds(state.hub.pid) : null, pg, self: (self.user + self.system) / 1e6, machine: machineCpu() };
}
function cpuDelta(a, b) {
  const secs = (b.t - a.t) / 1000;
  let pg = 0;
  // A backend that appeared during the phase (the pool grew) spent all its CPU in it.
  for (const pid of Object.keys(b.pg)) if (b.pg[pid] != null) pg += b.pg[pid] - (a.pg[pid] ?? 0);
  const machineBusy = a.machine && b.machine ? b.machine.busy - a.machine.busy : null;
  const machineTotal = a.machine && b.machine ? b.machine.total - a.machine.total : null;
  const hub = a.hub != null && b.hub != null ? b.hub - a.hub : null;
  const self = b.self - a.self;
  const pct = (x) => (x === null ? null : round((100 * x) / secs, 0));
  return {
    seconds: round(secs, 2),
    // percent of ONE core (100 = one core fully busy)
    hubPct: pct(hub),
    postgresPct: pct(pg),
    loadGeneratorPct: pct(self),
    otherPct: machineBusy === null ? null : pct(Math.max(0, machineBusy - (hub || 0) - pg - self)),
    machineBusyPct: machineBusy === null ? null : round((100 * machineBusy) / machineTotal, 0), // percent of ALL cores
  };
}
async function backendPids(client, dbName) {
  try {
    const r = await client.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
    return r.rows.map((x) => x.pid);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// hub process

function assertNotAborting() {
  if (script.aborting) throw new Error('aborted');
}

/** The hub under test, started by bench/hub-process.js (the one way every bench script starts a hub). */
async function startHub() {
  assertNotAborting();
  const { cfg } = state;
  const env = {
    DB_POOL_SIZE: String(cfg.poolSize),
    // Background work of the hub (outbox delivery, SLA tick): on by default, as in production;
    // BENCH_HUB_WORKERS=0 measures the intake path alone (what pgbench runs).
    OUTBOX_WORKER: cfg.hubWorkers ? 'true' : 'false',
    SLA_SCHEDULER: cfg.hubWorkers ? 'true' : 'false',
  };
  state.hubLog = path.join(state.tmpDir, 'hub.log');
  const hub = await startHubFor(script, { databaseUrl: state.database.url, logFile: state.hubLog, env, probe: cfg.probe, startTimeoutMs: 45_000 });
  state.hubHandle = hub;
  state.hub = hub.child;
  state.base = hub.base;
  hub.done.then((info) => {
    state.hubExitInfo = info;
    if (state.autocannon) state.autocannon.stop();
  });
  // Registered after the hub: runs before it is stopped, so no load is still sending.
  script.defer(() => {
    if (state.autocannon) state.autocannon.stop();
    if (state.abortPaced) state.abortPaced();
    if (state.pgbenchChild) state.pgbenchChild.kill('SIGKILL');
    if (state.sampler) state.sampler.stop();
  });
  return hub.base;
}

async function hubProbe() {
  if (!state.cfg.probe) return null;
  return probeSnapshot(state.hubHandle);
}

// ---------------------------------------------------------------------------------------------
// load

/** Unique leads: every request gets its own phone (+7 999 xxx-xx-xx, a valid Russian mobile) and email. */
function leadFactory() {
  let seq = 0;
  return () => {
    seq++;
    return {
      seq,
      body: JSON.stringify({
        name: `Bench Lead ${seq}`,
        phone: benchPhone(seq),
        email: `lead${seq}@bench.local`,
        message: 'Please call me back about the offer',
        utm_source: 'bench',
      }),
    };
  };
}

/**
 * One autocannon phase. Latency is measured here per request (from building the request, which
 * autocannon does right before writing it, to the parsed response), in sub-millisecond precision,
 * and independently of autocannon's own histogram (which is also kept, with coordinated-omission
 * correction off: autocannon's correction assumes an interval of ceil(1/rate) = 1 ms per connection).
 */
function runLoad({ title, connections, duration, overallRate }) {
  if (script.aborting) return Promise.reject(new Error('aborted'));
  const autocannon = require('autocannon');
  const nextLead = state.nextLead;
  const latencies = [];
  const statuses = {};
  const bad = [];
  const opts = {
    url: state.base,
    connections,
    duration,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: `/api/inbound/forms/${state.formKey}`,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req, context) => {
          const lead = nextLead();
          context.t0 = process.hrtime.bigint();
          return { ...req, body: lead.body };
        },
        onResponse: (status, body, context) => {
          if (context.t0 !== undefined) latencies.push(Number(process.hrtime.bigint() - context.t0) / 1e6);
          context.t0 = undefined;
          statuses[status] = (statuses[status] || 0) + 1;
          if (status !== 201 && bad.length < 5) bad.push(`${status} ${String(body).slice(0, 200)}`);
        },
      },
    ],
  };
  if (state.hubExitInfo) return Promise.reject(new Error(`the hub is not running (${JSON.stringify(state.hubExitInfo)}); log:\n${tail(state.hubLog)}`));
  if (overallRate) {
    opts.overallRate = overallRate;
    opts.ignoreCoordinatedOmission = true;
  }
  log(`${title}: ${connections} connections, ${duration} s${overallRate ? `, ${overallRate} req/s` : ', unthrottled'}`);
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const instance = autocannon(opts, (err, result) => {
      state.autocannon = null;
      if (err) return reject(err);
      if (state.hubExitInfo) return reject(new Error(`the hub exited during "${title}" (${JSON.stringify(state.hubExitInfo)}); log:\n${tail(state.hubLog)}`));
      const seconds = (Date.now() - startedAt) / 1000;
      latencies.sort((a, b) => a - b);
      const responses = latencies.length;
      const created = statuses[201] || 0;
      resolve({
        title,
        connections,
        targetRate: overallRate || null,
        seconds: round(result.duration || seconds, 2),
        requests: result.totalRequests,
        responses,
        created,
        statuses,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        bad,
        leadsPerSecond: round(created / (result.duration || seconds), 1),
        responsesPerSecond: round(responses / (result.duration || seconds), 1),
        latencyMs: {
          p50: round(percentile(latencies, 50), 2),
          p90: round(percentile(latencies, 90), 2),
          p99: round(percentile(latencies, 99), 2),
          max: round(latencies[latencies.length - 1], 2),
          mean: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, responses), 2),
        },
        autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      });
    });
    state.autocannon = instance;
  });
}

/**
 * The paced open-loop phase (bench/paced.js: latency from each request's scheduled send time, no
 * coordinated omission; autocannon's `overallRate` sends each second's share in a burst), reported in
 * the shape of the autocannon phases.
 */
async function runPaced({ title, rate, duration, maxSockets = 64, graceMs = 5000 }) {
  if (script.aborting) throw new Error('aborted');
  log(`${title}: open loop, ${rate} req/s for ${duration} s (${Math.max(1, Math.round(rate * duration))} requests, up to ${maxSockets} connections)`);
  const run = pacedLoad({
    base: state.base,
    path: `/api/inbound/forms/${state.formKey}`,
    rate,
    duration,
    maxSockets,
    graceMs,
    slowest: 15,
    body: () => state.nextLead().body,
    shouldStop: () => script.aborting || !!state.hubExitInfo,
  });
  state.abortPaced = run.stop;
  const r = await run.done;
  state.abortPaced = null;
  const twoHundreds = Object.entries(r.statuses).filter(([k]) => k >= 200 && k < 300).reduce((n, [, v]) => n + v, 0);
  const { n, ...latencyMs } = r.latencyMs;
  return { title, ...r, created: r.statuses[201] || 0, non2xx: r.responses - twoHundreds, timeouts: r.abandoned, latencyMs };
}

/**
 * autocannon stops reading at the end of a phase, but the hub finishes the requests already sent.
 * Waits (bounded) until the receipt count stops moving, and returns it.
 */
async function settle(db, maxMs = 10_000) {
  const count = async () => Number((await db.query(`SELECT count(*)::int AS n FROM inbound_receipt`)).rows[0].n);
  const deadline = Date.now() + maxMs;
  let last = await count();
  let stable = 0;
  while (Date.now() < deadline && stable < 2) {
    await sleep(150);
    const n = await count();
    stable = n === last ? stable + 1 : 0;
    last = n;
  }
  return last;
}

// ---------------------------------------------------------------------------------------------
// pgbench

function runPgbench(state, vars) {
  if (state.aborting) return Promise.reject(new Error('aborted'));
  const { cfg } = state;
  const args = [
    '-n',
    '-M',
    'extended',
    '-f',
    PGBENCH_SCRIPT,
    '-c',
    String(cfg.pgbenchClients),
    '-j',
    String(Math.min(cfg.pgbenchClients, os.cpus().length)),
    '-T',
    String(cfg.pgbenchSeconds),
    '-P',
    '5',
  ];
  for (const [k, v] of Object.entries(vars)) args.push('-D', `${k}=${v}`);
  args.push(cfg.dbName);
  const env = { ...process.env, PGHOST: cfg.pg.host, PGPORT: String(cfg.pg.port), PGUSER: cfg.pg.user, PGAPPNAME: 'leadline-bench-pgbench' };
  if (cfg.pg.password) env.PGPASSWORD = cfg.pg.password;
  else delete env.PGPASSWORD;
  log(`pgbench: ${cfg.pgbenchClients} clients, ${args[args.indexOf('-j') + 1]} threads, ${cfg.pgbenchSeconds} s, -M extended, ${path.relative(ROOT, PGBENCH_SCRIPT)}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cfg.pgbench, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    state.pgbenchChild = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), (cfg.pgbenchSeconds + 60) * 1000);
    child.on('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      state.pgbenchChild = null;
      const all = `${stdout}\n${stderr}`;
      const num = (re) => {
        const m = re.exec(all);
        return m ? Number(m[1]) : null;
      };
      const tps = num(/tps = ([\d.]+) \(without initial connection time\)/);
      if (code !== 0 || tps === null) return reject(new Error(`pgbench failed (${signal || `exit ${code}`}):\n${all.slice(-3000)}`));
      resolve({
        clients: cfg.pgbenchClients,
        seconds: cfg.pgbenchSeconds,
        tps: round(tps, 1),
        latencyAvgMs: round(num(/latency average = ([\d.]+) ms/), 2),
        transactions: num(/number of transactions actually processed: (\d+)/),
        failed: num(/number of failed transactions: (\d+)/) ?? 0,
        progress: (stderr.match(/^progress: .*$/gm) || []).map((l) => l.replace(/^progress: /, '')),
      });
    });
  });
}

/**
 * SQL statements (= round trips) per transaction in the pgbench script, BEGIN and COMMIT included,
 * following its \\if blocks for the given variables. Compared with the hub's measured round trips.
 */
/** The SQL statements of the pgbench script on the path `vars` selects, in order (meta-commands left out). */
function scriptStatementTexts(vars) {
  const lines = fs.readFileSync(PGBENCH_SCRIPT, 'utf8').split('\n');
  const active = [true];
  const out = [];
  let current = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('--')) continue;
    const on = active.every(Boolean);
    if (line.startsWith('\\if ')) {
      const m = /^\\if\s+:(\w+)$/.exec(line);
      if (!m) throw new Error(`unsupported \\if in ${PGBENCH_SCRIPT}: ${line}`);
      active.push(Number(vars[m[1]]) !== 0);
    } else if (line === '\\else') active[active.length - 1] = !active[active.length - 1];
    else if (line === '\\endif') active.pop();
    else if (/^\\[ga]set(\s+\w+)?$/.test(line)) {
      if (on && current.length) out.push(current.join(' '));
      current = [];
    } else if (!line.startsWith('\\') && on) {
      current.push(line);
      if (line.endsWith(';')) {
        out.push(current.join(' '));
        current = [];
      }
    }
  }
  return out;
}

function scriptStatements(vars) {
  return scriptStatementTexts(vars).length;
}

/**
 * What a statement does, independent of how its values are written (the hub sends $n parameters,
 * the script SQL expressions): its verb, the tables it reads and writes in order, and the locking
 * and sequence calls in it. Two statements with the same shape do the same work.
 */
function statementShape(sql, tables) {
  const s = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  if (/^(start transaction|begin)\b/.test(s)) return 'begin';
  if (/^commit\b/.test(s)) return 'commit';
  const verb = /^(\w+)/.exec(s)?.[1] ?? '?';
  // A statement that writes is known by the tables it writes (the script computes some of the hub's
  // parameters with subqueries); one that only reads, by the tables it reads.
  const refs = [...s.matchAll(/\b(from|into|update|join)\s+([a-z_]+)/g)].filter((m) => tables.has(m[2]));
  const writes = refs.filter((m) => m[1] === 'into' || m[1] === 'update');
  const touched = (writes.length ? writes : refs).map((m) => m[2]);
  const flags = ['pg_advisory_xact_lock', 'nextval', 'for no key update', 'for update', 'json_agg', 'savepoint', 'rollback to']
    .filter((f) => s.includes(f) && !(f === 'for update' && s.includes('for no key update')));
  return `${verb} ${touched.join(',')}${flags.length ? ` [${flags.join(', ')}]` : ''}`;
}

/** Compares the statements of the hub's last intake transaction with the script's: the bench fails when they drift. */
function compareStatements(hubTexts, scriptTexts, tables) {
  const hub = hubTexts.map((t) => statementShape(t, tables));
  const script = scriptTexts.map((t) => statementShape(t, tables));
  let first = -1;
  for (let i = 0; i < Math.max(hub.length, script.length); i++) {
    if (hub[i] !== script[i]) {
      first = i;
      break;
    }
  }
  return { inStep: first === -1, hub, script, firstDifference: first === -1 ? null : { index: first, hub: hub[first] ?? '(none)', script: script[first] ?? '(none)' } };
}

// ---------------------------------------------------------------------------------------------
// machine description

function machineInfo(serverVersion, pgbenchPath) {
  const cpus = os.cpus();
  let pgbenchVersion = null;
  try {
    pgbenchVersion = execFileSync(pgbenchPath || 'pgbench', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    /* missing */
  }
  let git = null;
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'libs'], { cwd: ROOT, encoding: 'utf8' }).trim();
    git = { head, dirtySources: dirty ? dirty.split('\n').length : 0 };
  } catch {
    /* not a git checkout */
  }
  return {
    nproc: cpus.length,
    cpuModel: cpus[0] ? cpus[0].model.replace(/\s+/g, ' ').trim() : 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: serverVersion,
    pgbench: pgbenchVersion,
    git,
  };
}

// ---------------------------------------------------------------------------------------------
// report

function verdicts(r) {
  const out = [];
  const a = r.phases.rate;
  const p = r.phases.paced;
  const rateOk = a.responsesPerSecond >= 0.95 * a.targetRate;
  const p99Ok = a.latencyMs.p99 !== null && a.latencyMs.p99 < TARGET_P99_MS;
  const pacedOk = !p || (p.latencyMs.p99 !== null && p.latencyMs.p99 < TARGET_P99_MS && p.timeouts === 0 && p.errors === 0);
  out.push({
    name: `p99 < ${TARGET_P99_MS} ms at ${a.targetRate} req/s`,
    met: p99Ok && rateOk && pacedOk,
    detail:
      `autocannon p99 ${a.latencyMs.p99} ms at ${a.responsesPerSecond} req/s achieved${rateOk ? '' : ' (the hub did not sustain the offered rate)'}` +
      (p ? `; paced open loop p99 ${p.latencyMs.p99} ms${p.timeouts ? ` with ${p.timeouts} of ${p.requests} requests unanswered after the grace period` : ''}` : ''),
  });
  const non2xx = ['warmup', 'rate', 'paced', 'max'].reduce((n, k) => n + (r.phases[k] ? r.phases[k].non2xx : 0), 0);
  const errors = ['warmup', 'rate', 'max'].reduce((n, k) => n + (r.phases[k] ? r.phases[k].errors + r.phases[k].timeouts : 0), 0);
  // 202 = our processing failed and the payload was kept as a failed receipt (e.g. a deadlock)
  const not201 = ['warmup', 'rate', 'paced', 'max'].reduce((n, k) => n + (r.phases[k] ? r.phases[k].responses - r.phases[k].created : 0), 0);
  out.push({
    name: 'non-2xx = 0 (and every response a 201 new lead)',
    met: non2xx === 0 && errors === 0 && r.allCreated,
    detail:
      `non-2xx ${non2xx}, socket errors/timeouts ${errors}, all 201: ${r.allCreated ? 'yes' : 'no'}` +
      (r.allCreated ? '' : ` (${not201} answers other than 201, ${r.db.failedReceipts} failed receipts, ${r.db.receipts} receipts, ${r.db.deals} deals)`),
  });
  if (r.pgbench) {
    out.push({ name: `intake leads/s ÷ pgbench tps ≥ ${TARGET_RATIO}`, met: r.ratio >= TARGET_RATIO, detail: `${r.phases.max.leadsPerSecond} ÷ ${r.pgbench.tps} = ${r.ratio}` });
  } else {
    out.push({ name: `intake leads/s ÷ pgbench tps ≥ ${TARGET_RATIO}`, met: false, detail: `pgbench not run: ${r.pgbenchSkipped}` });
  }
  return out;
}

function printSummary(r) {
  const a = r.phases.rate;
  const b = r.phases.max;
  const lines = [
    '',
    '================ Leadline intake benchmark ================',
    `machine        ${r.machine.nproc} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, ${r.machine.os}`,
    `software       node ${r.machine.node}, PostgreSQL ${r.machine.postgres}`,
    `setup          DB_POOL_SIZE=${r.config.poolSize}, ${r.config.managers} managers (capacity ${r.config.managerCapacity ?? 'none'}), LOG_LEVEL=warn, ${r.config.hubWorkers ? 'outbox worker and SLA scheduler on' : 'OUTBOX_WORKER=false SLA_SCHEDULER=false'}`,
    `load before    load average ${r.loadBefore.join(' ')}; CPU used by other processes during the run: ${b.cpu.otherPct}% of one core (max phase)`,
    '',
    r.phases.warmup ? `warm-up        ${r.phases.warmup.responses} responses in ${r.phases.warmup.seconds} s, statuses ${JSON.stringify(r.phases.warmup.statuses)}` : null,
    `(a) ${a.targetRate} req/s   ${a.responsesPerSecond} req/s achieved over ${a.seconds} s, ${a.responses} responses`,
    `               latency p50 ${a.latencyMs.p50} ms, p90 ${a.latencyMs.p90} ms, p99 ${a.latencyMs.p99} ms, max ${a.latencyMs.max} ms  (target p99 < ${TARGET_P99_MS} ms)`,
    `               non-2xx ${a.non2xx}, errors ${a.errors}, timeouts ${a.timeouts}, statuses ${JSON.stringify(a.statuses)}`,
    `               CPU: hub ${a.cpu.hubPct}%, postgres ${a.cpu.postgresPct}%, load generator ${a.cpu.loadGeneratorPct}%, other ${a.cpu.otherPct}% (of one core)`,
    r.phases.paced
      ? `(a2) paced     ${r.phases.paced.targetRate} req/s open loop for ${r.phases.paced.requests / r.phases.paced.targetRate} s: ${r.phases.paced.responses} answered, ${r.phases.paced.timeouts} abandoned, p50 ${r.phases.paced.latencyMs.p50} ms, p90 ${r.phases.paced.latencyMs.p90} ms, p99 ${r.phases.paced.latencyMs.p99} ms, max ${r.phases.paced.latencyMs.max} ms` +
        (r.phases.paced.hubEventLoopDelayMs ? `\n               hub event-loop delay p99 ${r.phases.paced.hubEventLoopDelayMs.p99} ms, max ${r.phases.paced.hubEventLoopDelayMs.max} ms; CPU: hub ${r.phases.paced.cpu.hubPct}%, postgres ${r.phases.paced.cpu.postgresPct}%, other ${r.phases.paced.cpu.otherPct}%` : '')
      : null,
    `(b) max        ${b.leadsPerSecond} leads/s with ${b.connections} connections over ${b.seconds} s, ${b.created} leads`,
    `               latency p50 ${b.latencyMs.p50} ms, p99 ${b.latencyMs.p99} ms, max ${b.latencyMs.max} ms`,
    `               non-2xx ${b.non2xx}, errors ${b.errors}, timeouts ${b.timeouts}, statuses ${JSON.stringify(b.statuses)}`,
    `               CPU: hub ${b.cpu.hubPct}%, postgres ${b.cpu.postgresPct}%, load generator ${b.cpu.loadGeneratorPct}%, other ${b.cpu.otherPct}% (machine ${b.cpu.machineBusyPct}% busy)`,
    r.probe
      ? `               DB round trips per lead ${r.probe.roundTripsPerLead}${r.probe.pgbenchStatements ? ` (pgbench script: ${r.probe.pgbenchStatements} per transaction${r.probe.inStep ? '' : ', OUT OF STEP'})` : ''}, of which form lookups ${r.probe.formLookupsPerLead}; mean wait for a pooled connection ${r.probe.poolWaitMsPerLead} ms`
      : null,
    `hub RSS        start ${r.rss.startMb} MB, peak ${r.rss.peakMb} MB, end ${r.rss.endMb} MB`,
    r.pgbench
      ? `pgbench        ${r.pgbench.tps} tps (${r.pgbench.clients} clients, ${r.pgbench.seconds} s, avg latency ${r.pgbench.latencyAvgMs} ms, failed ${r.pgbench.failed}; ${pgbenchPath(r)})\n` +
        `               CPU: postgres ${r.pgbench.cpu.postgresPct}%, pgbench ${r.pgbench.cpu.pgbenchPct}%, other ${r.pgbench.cpu.otherPct}% (machine ${r.pgbench.cpu.machineBusyPct}% busy)`
      : `pgbench        skipped: ${r.pgbenchSkipped}`,
    r.pgbench ? `ratio          ${r.ratio} (intake leads/s ÷ pgbench tps; target ≥ ${TARGET_RATIO})` : null,
    `database       ${r.db.receipts} receipts (${r.db.failedReceipts} failed), ${r.db.deals} deals (${r.db.receiptsWithOwnDeal} receipts with their own deal, ${r.db.tasks} callback tasks); leads per manager ${r.db.perManager.join(' / ')}, unassigned queue ${r.db.unassigned}${r.db.capacityRespected === null ? '' : `; most open deals of one manager ${r.db.maxOpenPerManager} (capacity ${r.config.managerCapacity}${r.db.capacityRespected ? '' : ', EXCEEDED'})`}`,
    '',
    ...r.verdicts.map((v) => `${v.met ? 'MET   ' : 'MISSED'} ${v.name}: ${v.detail}`),
    '===========================================================',
    '',
  ];
  process.stdout.write(lines.filter((l) => l !== null).join('\n') + '\n');
}

function docsBlock(r) {
  const a = r.phases.rate;
  const b = r.phases.max;
  const w = r.phases.warmup;
  const m = r.machine;
  const row = (...cells) => `| ${cells.join(' | ')} |`;
  const lines = [
    `Last run: **${r.date}** (${r.durationSeconds} s), commit \`${m.git ? m.git.head : '?'}\`${m.git && m.git.dirtySources ? ` + ${m.git.dirtySources} uncommitted file(s) under apps/ libs/ (the benchmark measures the working tree)` : ''}.`,
    '',
    '**Machine.** ' +
      `${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB RAM, ${m.os}; Node ${m.node}; PostgreSQL ${m.postgres} on the same machine (${r.pgSettings}); ${m.pgbench || 'pgbench ?'}. ` +
      `Load average before the run: ${r.loadBefore.join(' / ')}; other processes used ${a.cpu.otherPct}% / ${r.phases.paced ? `${r.phases.paced.cpu.otherPct}% / ` : ''}${b.cpu.otherPct}%${r.pgbench ? ` / ${r.pgbench.cpu.otherPct}%` : ''} of one core during (a) / ${r.phases.paced ? '(a2) / ' : ''}(b)${r.pgbench ? ' / pgbench' : ''}.`,
    '',
    '**Setup.** ' +
      `Fresh database, hub from \`dist/\` with \`DB_POOL_SIZE=${r.config.poolSize}\`, \`LOG_LEVEL=warn\`, ${r.config.hubWorkers ? 'its outbox worker and SLA scheduler on (`BENCH_HUB_WORKERS=1`)' : '`OUTBOX_WORKER=false SLA_SCHEDULER=false` (the intake path alone)'}, ${r.config.managers} managers (role manager, capacity ${r.config.managerCapacity ?? 'none'}) in round robin, default form with \`rateLimitPerMinute\` ${r.config.rateLimit}. ` +
      `Every request is a new lead (unique phone \`+7 999 …\` and email) posted as JSON to \`POST /api/inbound/forms/:formKey\`; autocannon in the benchmark process on the same machine. ` +
      `Warm-up ${w ? `${w.seconds} s (${w.responses} leads)` : 'none'}.`,
    '',
    row('Measure', 'Result', 'Target'),
    row('---', '---', '---'),
    row(`(a) latency at ${a.targetRate} req/s (${a.connections} connections, ${a.seconds} s)`, `p50 **${a.latencyMs.p50} ms**, p90 ${a.latencyMs.p90} ms, p99 **${a.latencyMs.p99} ms**, max ${a.latencyMs.max} ms; ${a.responsesPerSecond} req/s achieved`, `p99 < ${TARGET_P99_MS} ms`),
    ...(r.phases.paced
      ? [
          row(
            `(a2) latency at ${r.phases.paced.targetRate} req/s, paced open loop (${r.phases.paced.requests / r.phases.paced.targetRate} s)`,
            `p50 ${r.phases.paced.latencyMs.p50} ms, p90 ${r.phases.paced.latencyMs.p90} ms, p99 **${r.phases.paced.latencyMs.p99} ms**, max ${r.phases.paced.latencyMs.max} ms; ${r.phases.paced.responses} of ${r.phases.paced.requests} answered${r.phases.paced.timeouts ? `, ${r.phases.paced.timeouts} abandoned 5 s after the last was due` : ''}`,
            `p99 < ${TARGET_P99_MS} ms`,
          ),
        ]
      : []),
    row(`(b) throughput (${b.connections} connections, ${b.seconds} s)`, `**${b.leadsPerSecond} leads/s** (${b.created} leads; p50 ${b.latencyMs.p50} ms, p99 ${b.latencyMs.p99} ms)`, '—'),
    row(
      'non-2xx / socket errors',
      `${a.non2xx + b.non2xx + (w ? w.non2xx : 0) + (r.phases.paced ? r.phases.paced.non2xx : 0)} / ${a.errors + a.timeouts + b.errors + b.timeouts + (w ? w.errors + w.timeouts : 0) + (r.phases.paced ? r.phases.paced.errors : 0)}; statuses (a) ${fmtStatuses(a.statuses)}${r.phases.paced ? `, (a2) ${fmtStatuses(r.phases.paced.statuses)}` : ''}, (b) ${fmtStatuses(b.statuses)}`,
      '0',
    ),
    row('hub RSS', `start ${r.rss.startMb} MB, peak **${r.rss.peakMb} MB**, end ${r.rss.endMb} MB`, '—'),
    row(`pgbench, same SQL as one intake (${r.pgbench ? `${r.pgbench.clients} clients, ${r.pgbench.seconds} s` : 'not run'})`, r.pgbench ? `**${r.pgbench.tps} tps** (avg latency ${r.pgbench.latencyAvgMs} ms, failed ${r.pgbench.failed}; ${pgbenchPath(r)}; CPU, % of one core: PostgreSQL ${r.pgbench.cpu.postgresPct}, pgbench ${r.pgbench.cpu.pgbenchPct}, other ${r.pgbench.cpu.otherPct})` : `skipped: ${r.pgbenchSkipped}`, '—'),
    row('ratio intake leads/s ÷ pgbench tps', r.pgbench ? `**${r.ratio}**` : 'n/a', `≥ ${TARGET_RATIO}`),
    row('CPU during (b), % of one core', `hub ${b.cpu.hubPct}, PostgreSQL backends ${b.cpu.postgresPct}, autocannon ${b.cpu.loadGeneratorPct}, other ${b.cpu.otherPct} (machine ${b.cpu.machineBusyPct}% busy)`, '—'),
    row(
      'DB round trips per lead (measured in the hub)',
      r.probe
        ? `${r.probe.roundTripsPerLead}${r.config.hubWorkers ? ' with the outbox worker and SLA tick' : ''}${r.pgbench ? ` (pgbench script: ${r.pgbench.statementsPerTransaction} per transaction${r.probe.inStep ? '' : ' — **out of step**'})` : ''}, of which form lookups ${r.probe.formLookupsPerLead} (cached); mean wait for a pooled connection ${r.probe.poolWaitMsPerLead} ms per lead in (b)`
        : 'not measured',
      '—',
    ),
    row(
      'what the database holds afterwards',
      `${r.db.receipts} receipts (${r.db.failedReceipts} failed), ${r.db.deals} deals, ${r.db.receiptsWithOwnDeal} receipts with their own deal, ${r.db.tasks} callback tasks; deals per manager ${r.db.perManager.join(' / ')}, unassigned queue ${r.db.unassigned}` +
        (r.db.capacityRespected === null ? '' : `; most open deals of one manager ${r.db.maxOpenPerManager} (capacity ${r.config.managerCapacity}${r.db.capacityRespected ? '' : ', **exceeded**'})`),
      'one deal per receipt',
    ),
    '',
    '**Where the targets stand.**',
    '',
    ...r.verdicts.map((v) => `- ${v.met ? 'Met' : '**Missed**'}: ${v.name} — ${v.detail}.`),
  ];
  return lines.join('\n');
}
/** Which path of the pgbench script ran (see its header). */
function pgbenchPath(r) {
  if (r.config.managerCapacity === null) return 'managers without capacity: no lock, no count';
  return r.pgbench.full ? 'every manager at capacity: leads go to the unassigned queue' : 'chosen manager locked and its capacity_used read';
}
function fmtStatuses(s) {
  return Object.entries(s)
    .map(([k, v]) => `${k}×${v}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  const mode = process.argv[2] || 'intake';
  if (mode !== 'intake') throw new Error(`unknown benchmark "${mode}" (only "intake")`);
  const cfg = readConfig();
  script.limit(cfg.timeoutSeconds);
  const startedAt = Date.now();
  Object.assign(state, {
    cfg,
    tmpDir: fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-bench-')),
    nextLead: leadFactory(),
  });

  ensureBuild(log);

  const database = await freshDatabase(script, { dbName: cfg.dbName, adminUrl: cfg.adminUrl, keep: cfg.keepDb });
  state.database = database;
  // Where pgbench connects: the server of the fresh database.
  cfg.pg = { host: database.host, port: database.port, user: database.user, password: database.password };
  const serverVersion = database.serverVersion;
  const settings = {};
  for (const s of ['shared_buffers', 'synchronous_commit', 'max_connections']) settings[s] = (await database.admin.query(`SHOW ${s}`)).rows[0][s];
  const pgSettings = `shared_buffers ${settings.shared_buffers}, synchronous_commit ${settings.synchronous_commit}`;
  log(`database ${cfg.dbName} created on ${database.host}:${database.port} (PostgreSQL ${serverVersion})`);

  const loadBefore = loadAvg();
  if (loadBefore[0] > os.cpus().length * 0.5) log(`warning: the machine is busy before the run (load average ${loadBefore.join(' ')}); numbers will be lower`);

  const base = await startHub();
  log(`hub pid ${state.hub.pid} listening on ${base}${cfg.probe ? ' (with bench/pg-probe.cjs)' : ''}`);
  const sampler = new Sampler(state.hub.pid);
  state.sampler = sampler;

  // admin API: login, managers, form
  const token = await loginAdmin(base);
  for (let i = 1; i <= cfg.managers; i++) {
    await api(base, 'POST', '/api/managers', {
      token,
      body: { name: `Bench Manager ${i}`, email: `manager${i}@bench.local`, role: 'manager', ...(cfg.managerCapacity === null ? {} : { capacity: cfg.managerCapacity }) },
    });
  }
  // Per client IP per minute; one benchmark client sends ~20k posts in a minute.
  const rateLimit = 1_000_000;
  const form = await benchForm(base, token, rateLimit);
  state.formKey = form.key;
  const managers = (await api(base, 'GET', '/api/managers', { token })).filter((m) => m.role === 'manager' && m.active);
  log(`form ${form.key} (rate limit ${rateLimit}/min per IP), ${managers.length} managers`);

  // one lead by hand: the endpoint works and answers 201
  const first = state.nextLead();
  const probeRes = await fetch(`${base}/api/inbound/forms/${form.key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: first.body, signal: AbortSignal.timeout(10_000) });
  if (probeRes.status !== 201) throw new Error(`first lead: HTTP ${probeRes.status} ${(await probeRes.text()).slice(0, 300)}`);

  const { Client } = require('pg');
  const benchDb = new Client({ connectionString: database.url, connectionTimeoutMillis: 5000 });
  await benchDb.connect();
  script.defer(() => benchDb.end());
  state.pg = benchDb;

  // The hub's statements for that one new lead, in order, against the pgbench script's (same path:
  // managers with or without a capacity, none full yet). Drift fails the run: the ratio to pgbench
  // would compare different work.
  let statementCheck = null;
  if (cfg.probe) {
    // A second lead: the first one filled the hub's caches (web form, entry stage), as under load.
    const second = state.nextLead();
    const res = await fetch(`${base}/api/inbound/forms/${form.key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: second.body, signal: AbortSignal.timeout(10_000) });
    if (res.status !== 201) throw new Error(`second lead: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    const snap = await hubProbe();
    if (!snap || !snap.lastIntake) throw new Error('the probe saw no intake transaction for the first lead');
    const tables = new Set((await benchDb.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows.map((r) => r.tablename));
    const vars = { capacity: cfg.managerCapacity === null ? 0 : 1, full: 0 };
    statementCheck = { ...compareStatements(snap.lastIntake, scriptStatementTexts(vars), tables), roundTrips: snap.lastIntake.length };
    if (!statementCheck.inStep) {
      log(`bench/intake-transaction.pgbench.sql is OUT OF STEP with the hub's intake: statement ${statementCheck.firstDifference.index + 1} is "${statementCheck.firstDifference.hub}" in the hub, "${statementCheck.firstDifference.script}" in the script`);
      log(`hub:    ${statementCheck.hub.join(' | ')}`);
      log(`script: ${statementCheck.script.join(' | ')}`);
      return 1;
    }
    log(`intake transaction: ${statementCheck.roundTrips} round trips, statement for statement in step with the pgbench script`);
  }

  const phases = {};
  const rssStart = sampler.sample();
  if (cfg.warmupSeconds > 0) {
    phases.warmup = await runLoad({ title: 'warm-up', connections: cfg.rateConnections, duration: cfg.warmupSeconds });
    await settle(benchDb);
    await sleep(500);
  }

  let c0 = await cpuSnapshot();
  let t0 = Date.now();
  phases.rate = await runLoad({ title: '(a) fixed rate', connections: cfg.rateConnections, duration: cfg.rateSeconds, overallRate: cfg.rate });
  phases.rate.cpu = cpuDelta(c0, await cpuSnapshot());
  phases.rate.peakRssMb = mb(sampler.peakKb(t0));
  log(`(a) p50 ${phases.rate.latencyMs.p50} ms, p99 ${phases.rate.latencyMs.p99} ms at ${phases.rate.responsesPerSecond} req/s`);
  await settle(benchDb);
  await sleep(500);

  if (cfg.pacedSeconds > 0) {
    await hubProbe(); // resets the hub's event-loop delay histogram
    c0 = await cpuSnapshot();
    phases.paced = await runPaced({ title: '(a2) paced', rate: cfg.rate, duration: cfg.pacedSeconds });
    phases.paced.cpu = cpuDelta(c0, await cpuSnapshot());
    const snap = await hubProbe();
    if (snap) phases.paced.hubEventLoopDelayMs = mapValues(snap.eventLoopDelayMs, (v) => round(v, 1));
    log(`(a2) p50 ${phases.paced.latencyMs.p50} ms, p99 ${phases.paced.latencyMs.p99} ms, ${phases.paced.responses} answered of ${phases.paced.requests}`);
    await settle(benchDb);
    await sleep(500);
  }

  const receipts0 = await settle(benchDb);
  const p0 = await hubProbe();
  c0 = await cpuSnapshot();
  t0 = Date.now();
  phases.max = await runLoad({ title: '(b) max throughput', connections: cfg.maxConnections, duration: cfg.maxSeconds });
  phases.max.cpu = cpuDelta(c0, await cpuSnapshot());
  const receipts1 = await settle(benchDb);
  const p1 = await hubProbe();
  phases.max.peakRssMb = mb(sampler.peakKb(t0));
  const rssEnd = sampler.sample();
  log(`(b) ${phases.max.leadsPerSecond} leads/s, p99 ${phases.max.latencyMs.p99} ms`);

  let probe = null;
  if (p1) phases.max.hubEventLoopDelayMs = mapValues(p1.eventLoopDelayMs, (v) => round(v, 1));
  if (p0 && p1 && receipts1 > receipts0) {
    // Both snapshots are taken with the hub idle, so every query in between belongs to these leads.
    const leads = receipts1 - receipts0;
    const before = new Map(p0.statements.map((s) => [s.text, s.count]));
    probe = {
      roundTripsPerLead: round((p1.queries - p0.queries) / leads, 2),
      poolConnectsPerLead: round((p1.poolConnects - p0.poolConnects) / leads, 2),
      poolWaitMsPerLead: round((p1.poolWaitMs - p0.poolWaitMs) / leads, 2),
      poolMaxWaitMs: round(p1.poolMaxWaitMs, 1),
      statementsPerLead: p1.statements
        .map((s) => ({ text: s.text.slice(0, 140), perLead: round((s.count - (before.get(s.text) || 0)) / leads, 2) }))
        .filter((s) => s.perLead > 0),
    };
    // WebFormsService.findActiveByKey (TypeORM; cached for a few seconds in the hub)
    const formLookups = p1.statements.filter((s) => /FROM "web_form"/.test(s.text)).reduce((n, s) => n + s.count - (before.get(s.text) || 0), 0);
    probe.formLookupsPerLead = round(formLookups / leads, 3);
  }

  // what landed in the database
  const q = async (sql) => (await benchDb.query(sql)).rows;
  const db = {
    receipts: Number((await q(`SELECT count(*)::int AS n FROM inbound_receipt`))[0].n),
    failedReceipts: Number((await q(`SELECT count(*)::int AS n FROM inbound_receipt WHERE status = 'failed'`))[0].n),
    deals: Number((await q(`SELECT count(*)::int AS n FROM deal`))[0].n),
    perManager: (await q(`SELECT count(d.id)::int AS n FROM manager m LEFT JOIN deal d ON d.owner_id = m.id WHERE m.role = 'manager' GROUP BY m.id ORDER BY m.id`)).map((x) => x.n),
    unassigned: Number((await q(`SELECT count(*)::int AS n FROM deal WHERE owner_id IS NULL`))[0].n),
    // each processed receipt points at its own, existing deal (a new lead never joins another's deal)
    receiptsWithOwnDeal: Number(
      (await q(`SELECT count(DISTINCT d.id)::int AS n FROM inbound_receipt r JOIN deal d ON d.id = (r.result->>'dealId')::uuid WHERE r.status = 'processed'`))[0].n,
    ),
    tasks: Number((await q(`SELECT count(*)::int AS n FROM task WHERE kind = 'callback'`))[0].n),
  };
  if (cfg.managerCapacity !== null && managers.length > 0) {
    // round robin must never give a manager more open deals than its capacity, whatever the concurrency
    const [row] = await q(
      `SELECT coalesce(max(n), 0)::int AS max_open, coalesce(min(n), 0)::int AS min_open FROM (SELECT count(d.id) AS n FROM manager m LEFT JOIN deal d ON d.owner_id = m.id AND d.closed_at IS NULL WHERE m.role = 'manager' AND m.active GROUP BY m.id) AS x`,
    );
    db.maxOpenPerManager = row.max_open;
    db.minOpenPerManager = row.min_open;
    db.capacityRespected = row.max_open <= cfg.managerCapacity;
    if (!db.capacityRespected) log(`WARNING: a manager holds ${row.max_open} open deals, more than its capacity ${cfg.managerCapacity}`);
  } else {
    db.capacityRespected = null;
  }
  const totalCreated = (cfg.probe ? 2 : 1) + ['warmup', 'rate', 'paced', 'max'].reduce((n, k) => n + (phases[k] ? phases[k].created : 0), 0);
  const totalResponses = (cfg.probe ? 2 : 1) + ['warmup', 'rate', 'paced', 'max'].reduce((n, k) => n + (phases[k] ? phases[k].responses : 0), 0);
  // Every response a 201, every receipt processed into its own new deal. (The database holds a few
  // more leads than responses: requests in flight when a phase ended were completed by the hub.)
  const allCreated =
    totalCreated === totalResponses && db.failedReceipts === 0 && db.deals === db.receipts && db.receiptsWithOwnDeal === db.receipts && db.tasks === db.deals && db.receipts >= totalCreated;

  sampler.stop();
  await stopHub(state.hubHandle);
  log('hub stopped');

  // pgbench with the same transaction, on the same (now idle) database
  let pgbench = null;
  let pgbenchSkipped = null;
  if (!cfg.pgbench) pgbenchSkipped = 'pgbench not found (set BENCH_PGBENCH)';
  else if (managers.length === 0) pgbenchSkipped = 'no managers (BENCH_MANAGERS=0)';
  else {
    // Same order as the hub (ORDER BY m.id, compared by PostgreSQL's uuid ordering = lower-case hex).
    const mids = managers.map((m) => m.id.toLowerCase()).sort();
    // full = 1: every manager is at capacity, so the hub (and the script) put each new lead in the
    // unassigned queue without locking a manager. pgbench adds no assigned deals, so it stays so.
    const full = cfg.managerCapacity !== null && db.minOpenPerManager >= cfg.managerCapacity ? 1 : 0;
    if (cfg.managerCapacity !== null && !full && db.maxOpenPerManager >= cfg.managerCapacity) {
      log('warning: some managers are at capacity and some are not: the pgbench script models either all or none');
    }
    const vars = { formid: form.id, mids: `{${mids.join(',')}}`, nm: mids.length, capacity: cfg.managerCapacity === null ? 0 : 1, full, run: 0, k: 0 };
    const cpuBefore = machineCpu();
    const procCpu = new ProcCpuSampler();
    try {
      pgbench = await runPgbench(state, vars);
    } catch (err) {
      procCpu.stop();
      throw err;
    }
    pgbench.cpu = procCpu.stop();
    pgbench.statementsPerTransaction = scriptStatements(vars);
    pgbench.full = full;
    if (probe) {
      // The hub looks the form up before its transaction, but caches it (WebFormsService, 5 s): under
      // load that is ~0 round trips per lead, so round trips per lead = statements in the transaction.
      probe.pgbenchStatements = pgbench.statementsPerTransaction;
      // With BENCH_HUB_WORKERS=1 the count includes the outbox worker's and SLA tick's queries.
      probe.inStep = cfg.hubWorkers || Math.abs(probe.roundTripsPerLead - probe.pgbenchStatements) < 0.05;
      if (!probe.inStep) {
        log(`WARNING: the hub made ${probe.roundTripsPerLead} DB round trips per lead (${probe.formLookupsPerLead} form lookups), the pgbench script ${pgbench.statementsPerTransaction}: ` +
          `bench/intake-transaction.pgbench.sql is out of step with the intake path, the ratio compares different work`);
      }
    }
    const cpuAfter = machineCpu();
    pgbench.machineBusyPct = cpuBefore && cpuAfter ? round((100 * (cpuAfter.busy - cpuBefore.busy)) / (cpuAfter.total - cpuBefore.total), 0) : null;
    if (pgbench.failed > 0) throw new Error(`pgbench: ${pgbench.failed} failed transactions`);
  }

  const result = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    durationSeconds: round((Date.now() - startedAt) / 1000, 0),
    machine: machineInfo(serverVersion, cfg.pgbench),
    pgSettings,
    loadBefore,
    config: { poolSize: cfg.poolSize, managers: cfg.managers, managerCapacity: cfg.managerCapacity, rateLimit, pgbenchClients: cfg.pgbenchClients, hubWorkers: cfg.hubWorkers },
    phases,
    rss: { startMb: mb(rssStart), peakMb: mb(sampler.peakKb()), endMb: mb(rssEnd) },
    probe,
    statementCheck,
    pgbench,
    pgbenchSkipped,
    ratio: pgbench ? round(phases.max.leadsPerSecond / pgbench.tps, 2) : null,
    db,
    allCreated,
  };
  result.verdicts = verdicts(result);
  fs.writeFileSync(path.join(state.tmpDir, 'result.json'), JSON.stringify(result, null, 2));
  if (process.env.BENCH_RESULT_FILE) fs.writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(result, null, 2));
  printSummary(result);
  log(`raw results: ${path.join(state.tmpDir, 'result.json')}; hub log: ${state.hubLog}`);

  const valid = result.verdicts[1].met;
  if (!valid) {
    log('some requests did not create a lead: the numbers are not valid, docs/BENCHMARKS.md left as it was');
    for (const k of ['warmup', 'rate', 'paced', 'max']) if (phases[k] && phases[k].bad.length) log(`${k}: ${phases[k].bad.join(' | ')}`);
    return 1;
  }
  writeResultDocs(script, 'bench:intake', docsBlock(result));
  return cfg.strict && result.verdicts.some((v) => !v.met) ? 2 : 0;
}

if (!helpRequested(__filename)) script.run(main);
