'use strict';
/**
 * Helpers shared by the benchmark scripts that do not concern a hub: the script lifecycle (watchdog,
 * signals, cleanup), knobs from the environment, HTTP and SSE clients, statistics, /proc sampling.
 * Hubs, databases and docs/BENCHMARKS.md: bench/hub-process.js. Paced open-loop load: bench/paced.js.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n, d = 1) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** d) / 10 ** d);

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** p50/p90/p99/max/mean of a list of ms (sorted in place). */
function stats(values) {
  values.sort((a, b) => a - b);
  return {
    n: values.length,
    p50: round(percentile(values, 50), 2),
    p90: round(percentile(values, 90), 2),
    p99: round(percentile(values, 99), 2),
    max: round(values[values.length - 1], 2),
    mean: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), 2),
  };
}

/** A whole-number knob from the environment (unset or empty = fallback); a bad value stops the script naming it. */
function envInt(name, fallback, min = 0, max = Number.MAX_SAFE_INTEGER) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  return n;
}

/** A yes/no knob from the environment (1/true/yes/on). */
function envFlag(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return /^(1|true|yes|on)$/i.test(raw);
}

/**
 * The lifecycle of one bench script: `run(main)` runs it; a watchdog, Ctrl-C/SIGTERM/SIGHUP, a thrown
 * error or main's return all end in `finish(code)`, which runs every `defer`red cleanup (last
 * registered first: load, then hubs, then databases), then exits. `aborting` turns true at once,
 * for loops that should stop early.
 */
function benchScript(name, { timeoutSeconds = 0, onError = () => undefined } = {}) {
  const cleanups = [];
  let finishing = null;
  let watchdog = null;
  const script = {
    name,
    aborting: false,
    log: (msg) => process.stdout.write(`[${name}] ${msg}\n`),
    defer(fn) {
      cleanups.push(fn);
    },
    finish(code) {
      script.aborting = true;
      if (finishing) return finishing;
      finishing = (async () => {
        if (watchdog) clearTimeout(watchdog);
        const hard = setTimeout(() => process.exit(code || 1), 25_000);
        hard.unref();
        for (const fn of cleanups.reverse()) {
          try {
            await fn();
          } catch (err) {
            process.stderr.write(`[${name}] cleanup: ${err && err.message ? err.message : err}\n`);
          }
        }
        process.exit(code);
      })();
      return finishing;
    },
    /** Starts (or restarts) the watchdog: the script is aborted `seconds` from now. */
    limit(seconds) {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        process.stderr.write(`[${name}] watchdog: still running after ${seconds} s, aborting\n`);
        script.finish(1);
      }, seconds * 1000);
    },
    run(main) {
      if (timeoutSeconds > 0) script.limit(timeoutSeconds);
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
        process.once(sig, () => {
          process.stderr.write(`[${name}] ${sig}: cleaning up\n`);
          script.finish(130);
        });
      }
      Promise.resolve()
        .then(() => main(script))
        .then(
          (code) => script.finish(code ?? 0),
          (err) => {
            process.stderr.write(`[${name}] failed: ${err && err.stack ? err.stack : String(err)}\n`);
            try {
              onError(err);
            } catch {
              /* reporting only */
            }
            script.finish(1);
          },
        );
    },
  };
  return script;
}

/**
 * `--help`: prints the script's header comment (what it does, its knobs) and returns true, so the
 * caller runs nothing.
 */
function helpRequested(file) {
  if (!process.argv.includes('--help')) return false;
  const text = fs.readFileSync(file, 'utf8');
  const header = text.slice(text.indexOf('/**') + 3, text.indexOf('*/'));
  process.stdout.write(`${header.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n').trim()}\n`);
  return true;
}

/** A temporary directory for logs and data, removed at the end unless `keep`. */
function tempDir(script, prefix, { keep = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (!keep) script.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One JSON request: `{ status, json, text }` whatever the status. */
async function request(base, method, urlPath, { token, body, timeoutMs = 15_000 } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${urlPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** A JSON request that must succeed (2xx): its parsed answer. */
async function api(base, method, urlPath, options = {}) {
  const res = await request(base, method, urlPath, options);
  if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${urlPath}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}

/** The hub's first active web form, with its per-IP rate limit lifted for a load generator on one address. */
async function benchForm(base, token, rateLimitPerMinute = 1_000_000) {
  const forms = await api(base, 'GET', '/api/forms', { token });
  const form = forms.find((f) => f.active) || forms[0];
  if (!form) throw new Error('no web form found');
  const patched = await request(base, 'PATCH', `/api/forms/${form.id}`, { token, body: { rateLimitPerMinute } });
  if (patched.status !== 200) {
    throw new Error(`PATCH /api/forms/:id {rateLimitPerMinute: ${rateLimitPerMinute}} answered ${patched.status} ${patched.text.slice(0, 300)} — the API schema caps it (apps/hub/src/api/schemas.ts)`);
  }
  return form;
}

/** A unique valid Russian mobile per sequence number (+7 999 xxx-xx-xx), as people type it. */
function benchPhone(seq) {
  if (seq > 9_999_999) throw new Error('ran out of unique phone numbers');
  const d = String(seq).padStart(7, '0');
  return `+7 999 ${d.slice(0, 3)}-${d.slice(3, 5)}-${d.slice(5)}`;
}

/** An Inbox stream (GET /api/events) as the admin UI opens it; calls onEvent(data, receivedAt) for each data event. */
function openEventStream(base, token, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /api/events: ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk) => {
        const at = Date.now();
        buf += chunk;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) onEvent(JSON.parse(data), at);
        }
      });
      res.on('error', () => undefined);
      resolve(req);
    });
    req.on('error', reject);
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The last `bytes` of a log file, for error messages. */
function tail(file, bytes = 4000) {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
  } catch {
    return '(no log)';
  }
}

/** Newest modification time of the .ts/.json sources under p, or of the file p (is dist stale?). */
function newestMtime(p) {
  let newest = 0;
  const stack = [p];
  let visited = 0;
  while (stack.length && visited < 20_000) {
    const cur = stack.pop();
    visited++;
    let st;
    try {
      st = fs.statSync(cur);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(cur)) if (e !== 'node_modules' && !e.startsWith('.')) stack.push(path.join(cur, e));
    } else if (/\.(ts|json)$/.test(cur) && !/\.spec\.ts$/.test(cur)) {
      newest = Math.max(newest, st.mtimeMs);
    }
  }
  return newest;
}

let clockTicks = null;
/** Kernel clock ticks per second (/proc CPU times are in them). */
function clkTck() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process in seconds (Linux /proc), or null. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clkTck();
  } catch {
    return null;
  }
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

/** Whole machine: busy and total CPU seconds (all cores). */
function machineCpu() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] || 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / clkTck(), total: total / clkTck() };
  } catch {
    return null;
  }
}

/** The 1/5/15-minute load averages, two decimals. */
const loadAvg = () => os.loadavg().map((n) => round(n, 2));

/** "2 × <CPU model>": the machine line of a result. */
const machineLine = () => `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'}`;

module.exports = {
  sleep,
  round,
  percentile,
  stats,
  envInt,
  envFlag,
  benchScript,
  helpRequested,
  tempDir,
  request,
  api,
  benchForm,
  benchPhone,
  openEventStream,
  freePort,
  tail,
  newestMtime,
  clkTck,
  cpuSeconds,
  rssKb,
  machineCpu,
  loadAvg,
  machineLine,
};
