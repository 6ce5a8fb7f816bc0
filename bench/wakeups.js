#!/usr/bin/env node
'use strict';
/**
 * Speed to lead: `npm run bench:wakeups` (node bench/wakeups.js).
 *
 * How long after a web-form post the lead is in front of its manager, at a steady paced rate with
 * everything a production hub runs (outbox worker, SLA scheduler, Telegram polling) in TWO hub
 * processes on one PostgreSQL database (or one hub on PGlite with --pglite):
 *   - SSE: the lead's notice on the owner's open Inbox stream (GET /api/events), opened on the OTHER
 *     hub than the one the form posts go to, so the wake-up crosses processes;
 *   - card: the lead card's sendMessage arriving at a local fake Bot API (bench/fake-bot-api.js).
 * Both are measured from the post's scheduled send time (paced open loop, bench/paced.js). Beside them,
 * in the same run and under the same load, the floor each one stands on: a bare LISTEN/NOTIFY round
 * trip between two plain connections, and a bare fetch (sendMessage) from this process to the fake.
 *
 * Knobs: BENCH_DATABASE_URL (admin connection), BENCH_RATE (50 leads/s), BENCH_SECONDS (20),
 * BENCH_MANAGERS (20: every manager its own Telegram chat and Inbox stream), BENCH_HUBS (2),
 * BENCH_RESULT_FILE (write the result JSON there), BENCH_WRITE_DOCS (1), BENCH_KEEP_DB, BENCH_BUILD.
 * Flags: --pglite (one hub on embedded PGlite; the LISTEN/NOTIFY floor is then PGlite's own).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { ensureBuild, startHub, stopHub, rssKb, writeDocsSection } = require('./hub-process');
const { runPaced, stats, round } = require('./paced');
const { startFakeBotApi } = require('./fake-bot-api');
const { sleep } = require('./support');

const TARGETS = { sse: { p50: 100, p99: 300 }, card: { p50: 150, p99: 300 } };
const log = (msg) => process.stdout.write(`[bench:wakeups] ${msg}\n`);
const envInt = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number`);
  return n;
};

const pglite = process.argv.includes('--pglite');
const cfg = {
  adminUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  dbName: 'leadline_wakeups_bench',
  rate: envInt('BENCH_RATE', 50),
  seconds: envInt('BENCH_SECONDS', 20),
  managers: envInt('BENCH_MANAGERS', 20),
  hubs: pglite ? 1 : Math.max(1, envInt('BENCH_HUBS', 2)),
  writeDocs: process.env.BENCH_WRITE_DOCS !== '0',
  keepDb: process.env.BENCH_KEEP_DB === '1',
  resultFile: process.env.BENCH_RESULT_FILE || null,
};
const CLIENT_TOKEN = '8100000001:AAbench-client-token-000000000000000';
const MANAGER_TOKEN = '8100000002:AAbench-manager-token-00000000000000';
const BARE_TOKEN = '8100000003:AAbench-bare-fetch-token-000000000000';
const ADMIN = { email: 'bench-admin@leadline.local', password: 'bench-admin-password' };

const state = { hubs: [], admin: null, fake: null, streams: [], tmpDir: fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-bench-wakeups-')), dbCreated: false };

async function api(base, method, url, { token, body } = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** An Inbox stream (GET /api/events) as the admin UI opens it; calls onEvent(data, receivedAt). */
function openStream(base, token, onEvent) {
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

/** Bare LISTEN/NOTIFY round trips between two plain connections, every `everyMs`, until stopped. */
async function notifyFloor(databaseUrl, everyMs) {
  const samples = [];
  let stop = false;
  if (!databaseUrl) {
    // PGlite: the floor is the embedded database's own in-process NOTIFY → listener hand-over.
    const { PGlite } = require('@electric-sql/pglite');
    const db = await PGlite.create();
    const waiting = new Map();
    await db.listen('bench_ping', (payload) => {
      const t0 = waiting.get(payload);
      if (t0 !== undefined) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      waiting.delete(payload);
    });
    const loop = (async () => {
      for (let i = 0; !stop; i++) {
        waiting.set(String(i), process.hrtime.bigint());
        await db.query(`SELECT pg_notify('bench_ping', $1)`, [String(i)]);
        await sleep(everyMs);
      }
    })();
    return { samples, stop: async () => ((stop = true), await loop, await db.close()) };
  }
  const { Client } = require('pg');
  const listener = new Client({ connectionString: databaseUrl });
  const sender = new Client({ connectionString: databaseUrl });
  await listener.connect();
  await sender.connect();
  await listener.query('LISTEN bench_ping');
  const waiting = new Map();
  listener.on('notification', (msg) => {
    const t0 = waiting.get(msg.payload);
    if (t0 !== undefined) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    waiting.delete(msg.payload);
  });
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      waiting.set(String(i), process.hrtime.bigint());
      await sender.query(`SELECT pg_notify('bench_ping', $1)`, [String(i)]);
      await sleep(everyMs);
    }
  })();
  return { samples, stop: async () => ((stop = true), await loop, await listener.end(), await sender.end()) };
}

/** Bare sendMessage fetches from this process to the fake Bot API, every `everyMs`. */
function fetchFloor(url, everyMs) {
  const samples = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${url}/bot${BARE_TOKEN}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: 1, text: 'bare' }) });
      await res.text();
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await sleep(everyMs);
    }
  })();
  return { samples, stop: async () => ((stop = true), await loop) };
}

async function main() {
  const startedAt = Date.now();
  const watchdog = setTimeout(() => {
    process.stderr.write('[bench:wakeups] watchdog: still running after 420 s\n');
    finish(1);
  }, 420_000);
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => finish(130));
  ensureBuild(log);
  const loadBefore = os.loadavg().map((n) => round(n, 2));

  let databaseUrl = null;
  if (!pglite) {
    const { Client } = require('pg');
    state.admin = new Client({ connectionString: cfg.adminUrl });
    await state.admin.connect();
    await state.admin.query(`DROP DATABASE IF EXISTS ${cfg.dbName} WITH (FORCE)`);
    state.dbCreated = true;
    await state.admin.query(`CREATE DATABASE ${cfg.dbName}`);
    const u = new URL(cfg.adminUrl);
    u.pathname = `/${cfg.dbName}`;
    databaseUrl = u.toString();
  }

  state.fake = await startFakeBotApi();
  const env = {
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    OUTBOX_WORKER: 'true',
    SLA_SCHEDULER: 'true',
    TELEGRAM_BOT_TOKEN: CLIENT_TOKEN,
    TELEGRAM_MANAGER_BOT_TOKEN: MANAGER_TOKEN,
    TELEGRAM_API_ROOT: state.fake.url,
    TELEGRAM_DEFAULT_LOCALE: 'en',
    ...(pglite ? { PGLITE_DATA_DIR: path.join(state.tmpDir, 'pglite') } : {}),
  };
  for (let i = 0; i < cfg.hubs; i++) {
    state.hubs.push(await startHub({ databaseUrl, logFile: path.join(state.tmpDir, `hub-${i}.log`), env }));
  }
  const [postHub] = state.hubs;
  const streamHub = state.hubs[state.hubs.length - 1];
  log(`${cfg.hubs} hub(s) on ${pglite ? 'PGlite' : 'PostgreSQL'} with the outbox worker, SLA scheduler and Telegram (fake Bot API) on`);

  // Managers, each bound to its own Telegram chat (as /start <code> would), each with an open Inbox.
  const admin = (await api(postHub.base, 'POST', '/api/auth/login', { body: ADMIN })).token;
  const forms = await api(postHub.base, 'GET', '/api/forms', { token: admin });
  const form = forms.find((f) => f.active) || forms[0];
  await api(postHub.base, 'PATCH', `/api/forms/${form.id}`, { token: admin, body: { rateLimitPerMinute: 1_000_000 } });
  // In parallel: each needs a password hash (scrypt), slow on a busy machine.
  const managers = await Promise.all(
    Array.from({ length: cfg.managers }, async (_, k) => {
      const i = k + 1;
      const email = `wake${i}@bench.local`;
      const m = await api(postHub.base, 'POST', '/api/managers', { token: admin, body: { name: `Wake Manager ${i}`, email, password: 'bench-manager-pass', role: 'manager' } });
      return { id: m.id, email, chat: 900000000 + i };
    }),
  );
  // Binding goes through the bot's /start in production; the bench writes the same two columns.
  const bindSql = `INSERT INTO telegram_manager_binding (manager_id, user_id, chat_id) SELECT x.id, x.chat, x.chat FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, chat text) ON CONFLICT (manager_id) DO UPDATE SET user_id = EXCLUDED.user_id, chat_id = EXCLUDED.chat_id`;
  const bindRows = JSON.stringify(managers.map((m) => ({ id: m.id, chat: String(m.chat) })));
  if (databaseUrl) {
    const { Client } = require('pg');
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query(bindSql, [bindRows]);
    await db.end();
  } else {
    // PGlite belongs to the hub: bind through the manager bot like a manager would, with /start <code>.
    const connected = new Set();
    state.fake.onSend = (call) => call.token === MANAGER_TOKEN && connected.add(call.chat);
    for (const m of managers) {
      const link = await api(postHub.base, 'POST', `/api/managers/${m.id}/telegram-link`, { token: admin });
      state.fake.pushText(MANAGER_TOKEN, m.chat, `/start ${link.code}`);
    }
    for (let i = 0; i < 300 && connected.size < managers.length; i++) await sleep(100);
    if (connected.size < managers.length) throw new Error(`only ${connected.size} of ${managers.length} managers bound through the bot`);
  }

  const sse = new Map(); // dealId -> received at
  const tokens = await Promise.all(managers.map(async (m) => (await api(streamHub.base, 'POST', '/api/auth/login', { body: { email: m.email, password: 'bench-manager-pass' } })).token));
  for (const token of tokens) {
    state.streams.push(
      await openStream(streamHub.base, token, (n, at) => {
        if (n.event === 'lead_assigned' && n.payload && n.payload.dealId && !sse.has(n.payload.dealId)) sse.set(n.payload.dealId, at);
      }),
    );
  }
  const cards = new Map(); // lead seq -> sendMessage arrival
  state.fake.onSend = (call) => {
    const m = call.token === MANAGER_TOKEN && /Bench Wake (\d+)/.exec(call.text);
    if (m && !cards.has(Number(m[1]))) cards.set(Number(m[1]), call.at);
  };
  state.fake.record = false;
  await sleep(1000);

  const floorNotify = await notifyFloor(databaseUrl, 100);
  const floorFetch = fetchFloor(state.fake.url, 100);
  const rss0 = state.hubs.map((h) => rssKb(h.pid));
  const leads = new Map(); // seq -> { dueAt, answeredAt, dealId }
  log(`paced open loop: ${cfg.rate} leads/s for ${cfg.seconds} s to hub 1; Inbox streams on hub ${cfg.hubs}`);
  const run = runPaced({
    base: postHub.base,
    path: `/api/inbound/forms/${form.key}`,
    rate: cfg.rate,
    duration: cfg.seconds,
    body: (i) => {
      const d = String(i + 1).padStart(7, '0');
      return JSON.stringify({ name: `Bench Wake ${i + 1}`, phone: `+7 999 ${d.slice(0, 3)}-${d.slice(3, 5)}-${d.slice(5)}`, message: 'Please call me back' });
    },
    onAnswer: (i, status, text, dueAt) => {
      let dealId = null;
      try {
        dealId = JSON.parse(text).dealId;
      } catch {
        /* not a lead */
      }
      leads.set(i + 1, { dueAt, answeredAt: Date.now(), dealId, status });
    },
  });
  const load = await run.done;
  // Stragglers: up to 10 s for every lead's notice and card.
  for (let i = 0; i < 100 && (sse.size < leads.size || cards.size < leads.size); i++) await sleep(100);
  await floorNotify.stop();
  await floorFetch.stop();
  const rss1 = state.hubs.map((h) => rssKb(h.pid));

  const sseMs = [];
  const cardMs = [];
  const intakeMs = [];
  // From the 201 (the lead committed) on: the wake-up path alone, whatever the intake's own queueing.
  const afterCommitSse = [];
  const afterCommitCard = [];
  let missingSse = 0;
  let missingCards = 0;
  for (const [seq, l] of leads) {
    if (l.status !== 201) continue;
    intakeMs.push(l.answeredAt - l.dueAt);
    if (sse.has(l.dealId)) {
      sseMs.push(sse.get(l.dealId) - l.dueAt);
      afterCommitSse.push(sse.get(l.dealId) - l.answeredAt);
    } else missingSse++;
    if (cards.has(seq)) {
      cardMs.push(cards.get(seq) - l.dueAt);
      afterCommitCard.push(cards.get(seq) - l.answeredAt);
    } else missingCards++;
  }
  const result = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    seconds: round((Date.now() - startedAt) / 1000, 0),
    database: pglite ? 'PGlite' : 'PostgreSQL',
    hubs: cfg.hubs,
    managers: cfg.managers,
    rate: cfg.rate,
    loadSeconds: cfg.seconds,
    load: { requests: load.requests, responses: load.responses, statuses: load.statuses, abandoned: load.abandoned, errors: load.errors },
    loadAvg: { before: loadBefore, after: os.loadavg().map((n) => round(n, 2)) },
    intakeMs: stats(intakeMs),
    sseMs: stats(sseMs),
    cardMs: stats(cardMs),
    afterCommit: { sseMs: stats(afterCommitSse), cardMs: stats(afterCommitCard) },
    missing: { sse: missingSse, cards: missingCards },
    floor: { listenNotifyMs: stats(floorNotify.samples), fetchMs: stats(floorFetch.samples) },
    rssMb: state.hubs.map((h, i) => ({ before: round(rss0[i] / 1024), after: round(rss1[i] / 1024) })),
  };
  result.verdicts = [
    { what: 'form lead → SSE on the owner’s Inbox', met: missingSse === 0 && result.sseMs.p50 < TARGETS.sse.p50 && result.sseMs.p99 < TARGETS.sse.p99 },
    { what: 'form lead → Telegram card sendMessage', met: missingCards === 0 && result.cardMs.p50 < TARGETS.card.p50 && result.cardMs.p99 < TARGETS.card.p99 },
  ];
  console.log(JSON.stringify(result, null, 2));
  if (cfg.resultFile) fs.writeFileSync(cfg.resultFile, JSON.stringify(result, null, 2));
  if (cfg.writeDocs) writeDocsSection('bench:wakeups', docs(result));
  clearTimeout(watchdog);
  await finish(0);
}

function docs(r) {
  const ms = (s) => `p50 ${s.p50} / p99 ${s.p99} / max ${s.max} ms`;
  return `### Wake-ups: \`npm run bench:wakeups\`

Last run: ${r.date}, ${r.database}, ${r.hubs} hub process(es) with the outbox worker, SLA scheduler and Telegram polling on, ${r.managers} managers each with an open Inbox stream (on the other hub than the form posts) and a Telegram chat at a local fake Bot API; ${r.rate} leads/s paced open loop for ${r.loadSeconds} s (${r.load.responses} leads); load average ${r.loadAvg.before.join(' / ')} before, ${r.loadAvg.after.join(' / ')} after (2 cores shared with other work).

| from the post's scheduled send time to | measured | same-run floor | target |
|---|---|---|---|
| 201 answer (intake) | ${ms(r.intakeMs)} | — | — |
| notice on the owner's SSE Inbox | ${ms(r.sseMs)} (${r.missing.sse} missing) | bare LISTEN/NOTIFY round trip ${ms(r.floor.listenNotifyMs)} | p50 < 100, p99 < 300 ms |
| lead card sendMessage at the fake Bot API | ${ms(r.cardMs)} (${r.missing.cards} missing) | bare fetch to the fake ${ms(r.floor.fetchMs)} | p50 < 150, p99 < 300 ms |
| (from the 201, i.e. after commit) notice on the SSE Inbox | ${ms(r.afterCommit.sseMs)} | | |
| (from the 201, i.e. after commit) lead card sendMessage | ${ms(r.afterCommit.cardMs)} | | |
`;
}

async function finish(code) {
  if (state.finishing) return state.finishing;
  state.finishing = (async () => {
    const hard = setTimeout(() => process.exit(code || 1), 20_000);
    hard.unref();
    for (const s of state.streams) s.destroy();
    await Promise.all(state.hubs.map((h) => stopHub(h).catch(() => undefined)));
    if (state.fake) await state.fake.stop().catch(() => undefined);
    if (state.admin && state.dbCreated) {
      if (cfg.keepDb) log(`database ${cfg.dbName} kept`);
      else await state.admin.query(`DROP DATABASE IF EXISTS ${cfg.dbName} WITH (FORCE)`).catch(() => undefined);
    }
    if (state.admin) await state.admin.end().catch(() => undefined);
    if (!cfg.keepDb) fs.rmSync(state.tmpDir, { recursive: true, force: true });
    process.exit(code);
  })();
  return state.finishing;
}

main().catch((err) => {
  process.stderr.write(`[bench:wakeups] failed: ${err.stack || err}\n`);
  const { tail } = require('./support');
  for (const h of state.hubs) process.stderr.write(`--- hub log ${h.logFile}\n${tail(h.logFile)}\n`);
  finish(1);
});
