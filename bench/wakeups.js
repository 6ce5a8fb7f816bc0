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
 * Knobs: BENCH_DATABASE_URL (admin connection), BENCH_DB_NAME (leadline_wakeups_bench), BENCH_RATE (50 leads/s), BENCH_SECONDS (20),
 * BENCH_MANAGERS (20: every manager its own Telegram chat and Inbox stream), BENCH_HUBS (2),
 * BENCH_RESULT_FILE (write the result JSON there), BENCH_WRITE_DOCS (1), BENCH_KEEP_DB, BENCH_BUILD.
 * Flags: --pglite (one hub on embedded PGlite; the LISTEN/NOTIFY floor is then PGlite's own).
 */
const fs = require('node:fs');
const path = require('node:path');
const { ensureBuild, freshDatabase, connect, loginAdmin, startHubFor, writeResultDocs } = require('./hub-process');
const { runPaced } = require('./paced');
const { startFakeBotApi, telegramHubEnv } = require('./fake-bot-api');
const { api, benchForm, benchPhone, benchScript, envInt, helpRequested, loadAvg, openEventStream, round, rssKb, sleep, stats, tail, tempDir } = require('./support');

const TARGETS = { sse: { p50: 100, p99: 300 }, card: { p50: 150, p99: 300 } };
const pglite = process.argv.includes('--pglite');
const cfg = {
  dbName: process.env.BENCH_DB_NAME || 'leadline_wakeups_bench',
  rate: envInt('BENCH_RATE', 50, 1),
  seconds: envInt('BENCH_SECONDS', 20, 1),
  managers: envInt('BENCH_MANAGERS', 20, 1),
  hubs: pglite ? 1 : envInt('BENCH_HUBS', 2, 1),
  keepDb: process.env.BENCH_KEEP_DB === '1',
  resultFile: process.env.BENCH_RESULT_FILE || null,
};
const CLIENT_TOKEN = '8100000001:AAbench-client-token-000000000000000';
const MANAGER_TOKEN = '8100000002:AAbench-manager-token-00000000000000';
const BARE_TOKEN = '8100000003:AAbench-bare-fetch-token-000000000000';

const hubs = [];
const script = benchScript('bench:wakeups', {
  timeoutSeconds: 420,
  onError: () => hubs.forEach((h) => process.stderr.write(`--- hub log ${h.logFile}\n${tail(h.logFile)}\n`)),
});
const { log } = script;

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
  ensureBuild(log);
  const tmpDir = tempDir(script, 'leadline-bench-wakeups-', { keep: cfg.keepDb });
  const loadBefore = loadAvg();

  const databaseUrl = pglite ? null : (await freshDatabase(script, { dbName: cfg.dbName })).url;
  const fake = await startFakeBotApi();
  script.defer(() => fake.stop());
  const env = {
    ...telegramHubEnv(fake, { clientToken: CLIENT_TOKEN, managerToken: MANAGER_TOKEN }),
    ...(pglite ? { PGLITE_DATA_DIR: path.join(tmpDir, 'pglite') } : {}),
  };
  for (let i = 0; i < cfg.hubs; i++) hubs.push(await startHubFor(script, { databaseUrl, logFile: path.join(tmpDir, `hub-${i}.log`), env }));
  const [postHub] = hubs;
  const streamHub = hubs[hubs.length - 1];
  log(`${cfg.hubs} hub(s) on ${pglite ? 'PGlite' : 'PostgreSQL'} with the outbox worker, SLA scheduler and Telegram (fake Bot API) on`);

  // Managers, each bound to its own Telegram chat (as /start <code> would), each with an open Inbox.
  const admin = await loginAdmin(postHub.base);
  const form = await benchForm(postHub.base, admin);
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
    await (await connect(script, databaseUrl)).query(bindSql, [bindRows]);
  } else {
    // PGlite belongs to the hub: bind through the manager bot like a manager would, with /start <code>.
    const connected = new Set();
    fake.onSend = (call) => call.token === MANAGER_TOKEN && connected.add(call.chat);
    for (const m of managers) {
      const link = await api(postHub.base, 'POST', `/api/managers/${m.id}/telegram-link`, { token: admin });
      fake.pushText(MANAGER_TOKEN, m.chat, `/start ${link.code}`);
    }
    for (let i = 0; i < 300 && connected.size < managers.length; i++) await sleep(100);
    if (connected.size < managers.length) throw new Error(`only ${connected.size} of ${managers.length} managers bound through the bot`);
  }

  const sse = new Map(); // dealId -> received at
  const tokens = await Promise.all(managers.map(async (m) => (await api(streamHub.base, 'POST', '/api/auth/login', { body: { email: m.email, password: 'bench-manager-pass' } })).token));
  for (const token of tokens) {
    const stream = await openEventStream(streamHub.base, token, (n, at) => {
      if (n.event === 'lead_assigned' && n.payload && n.payload.dealId && !sse.has(n.payload.dealId)) sse.set(n.payload.dealId, at);
    });
    script.defer(() => stream.destroy());
  }
  const cards = new Map(); // lead seq -> sendMessage arrival
  fake.onSend = (call) => {
    const m = call.token === MANAGER_TOKEN && /Bench Wake (\d+)/.exec(call.text);
    if (m && !cards.has(Number(m[1]))) cards.set(Number(m[1]), call.at);
  };
  fake.record = false;
  await sleep(1000);

  const floorNotify = await notifyFloor(databaseUrl, 100);
  const floorFetch = fetchFloor(fake.url, 100);
  const rss0 = hubs.map((h) => rssKb(h.pid));
  const leads = new Map(); // seq -> { dueAt, answeredAt, dealId }
  log(`paced open loop: ${cfg.rate} leads/s for ${cfg.seconds} s to hub 1; Inbox streams on hub ${cfg.hubs}`);
  const run = runPaced({
    base: postHub.base,
    path: `/api/inbound/forms/${form.key}`,
    rate: cfg.rate,
    duration: cfg.seconds,
    shouldStop: () => script.aborting,
    body: (i) => JSON.stringify({ name: `Bench Wake ${i + 1}`, phone: benchPhone(i + 1), message: 'Please call me back' }),
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
  const rss1 = hubs.map((h) => rssKb(h.pid));

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
    loadAvg: { before: loadBefore, after: loadAvg() },
    intakeMs: stats(intakeMs),
    sseMs: stats(sseMs),
    cardMs: stats(cardMs),
    afterCommit: { sseMs: stats(afterCommitSse), cardMs: stats(afterCommitCard) },
    missing: { sse: missingSse, cards: missingCards },
    floor: { listenNotifyMs: stats(floorNotify.samples), fetchMs: stats(floorFetch.samples) },
    rssMb: hubs.map((h, i) => ({ before: round(rss0[i] / 1024), after: round(rss1[i] / 1024) })),
  };
  result.verdicts = [
    { what: 'form lead → SSE on the owner’s Inbox', met: missingSse === 0 && result.sseMs.p50 < TARGETS.sse.p50 && result.sseMs.p99 < TARGETS.sse.p99 },
    { what: 'form lead → Telegram card sendMessage', met: missingCards === 0 && result.cardMs.p50 < TARGETS.card.p50 && result.cardMs.p99 < TARGETS.card.p99 },
  ];
  console.log(JSON.stringify(result, null, 2));
  if (cfg.resultFile) fs.writeFileSync(cfg.resultFile, JSON.stringify(result, null, 2));
  writeResultDocs(script, 'bench:wakeups', docs(result));
  return 0;
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

if (!helpRequested(__filename)) script.run(main);
