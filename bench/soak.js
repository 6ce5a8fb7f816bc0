#!/usr/bin/env node
'use strict';
/**
 * Soak: `npm run bench:soak [-- --duration=600 --rate=100]` (node bench/soak.js).
 *
 * One built hub on PostgreSQL as in production (outbox worker, SLA scheduler, Telegram polling at a
 * local fake Bot API), fed for `--duration` seconds (default 60, at most 900) with:
 *   - web-form leads at `--rate` per second (default 100), paced open loop, every one a new lead;
 *   - client messages through the client bot (a few a second, from 200 Telegram users), which become
 *     leads and follow-ups with notices to their managers;
 *   - managers' answers to those clients (POST /api/contacts/:id/messages → client bot sendMessage);
 *   - lead cards and notices to 8 managers' chats through the manager bot.
 * Every 5 s it records the hub's RSS and V8 heap, its event-loop delay (bench/pg-probe.cjs), the
 * outbox lag (age of the oldest due row not yet delivered) and the leads so far, and reports the RSS
 * when 10,000 and 100,000 leads were reached (issue 18: within 20 % of each other; peak < 250 MB).
 *
 * Knobs: BENCH_DATABASE_URL (admin connection), BENCH_DB_NAME (leadline_soak_bench), BENCH_RESULT_FILE,
 * BENCH_WRITE_DOCS (1), BENCH_KEEP_DB.
 */
const fs = require('node:fs');
const path = require('node:path');
const { connect, ensureBuild, freshDatabase, loginAdmin, probeSnapshot, startHubFor, writeResultDocs } = require('./hub-process');
const { runPaced } = require('./paced');
const { startFakeBotApi, telegramHubEnv } = require('./fake-bot-api');
const { api, benchForm, benchPhone, benchScript, helpRequested, loadAvg, round, rssKb, sleep, tail, tempDir } = require('./support');

const arg = (name, fallback) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};
const cfg = {
  dbName: process.env.BENCH_DB_NAME || 'leadline_soak_bench',
  duration: Math.min(900, Math.max(10, arg('duration', 60))),
  rate: Math.max(1, arg('rate', 100)),
  managers: 8,
  keepDb: process.env.BENCH_KEEP_DB === '1',
  resultFile: process.env.BENCH_RESULT_FILE || null,
};
const CLIENT_TOKEN = '8200000001:AAsoak-client-token-0000000000000000';
const MANAGER_TOKEN = '8200000002:AAsoak-manager-token-000000000000000';
let hub = null;
const script = benchScript('bench:soak', { timeoutSeconds: cfg.duration + 180, onError: () => hub && process.stderr.write(`--- hub log\n${tail(hub.logFile)}\n`) });
const { log } = script;

async function main() {
  const startedAt = Date.now();
  ensureBuild(log);
  const tmpDir = tempDir(script, 'leadline-bench-soak-', { keep: cfg.keepDb });
  const loadBefore = loadAvg();
  const database = await freshDatabase(script, { dbName: cfg.dbName });
  const fake = await startFakeBotApi();
  script.defer(() => fake.stop());
  fake.record = false;
  hub = await startHubFor(script, {
    databaseUrl: database.url,
    logFile: path.join(tmpDir, 'hub.log'),
    probe: true,
    env: telegramHubEnv(fake, { clientToken: CLIENT_TOKEN, managerToken: MANAGER_TOKEN }),
  });
  const base = hub.base;
  const admin = await loginAdmin(base);
  const form = await benchForm(base, admin);
  const db = await connect(script, database.url);
  for (let i = 1; i <= cfg.managers; i++) {
    const m = await api(base, 'POST', '/api/managers', { token: admin, body: { name: `Soak Manager ${i}`, email: `soak${i}@bench.local`, role: 'manager' } });
    await db.query(`INSERT INTO telegram_manager_binding (manager_id, user_id, chat_id) VALUES ($1, $2, $2) ON CONFLICT (manager_id) DO UPDATE SET user_id = EXCLUDED.user_id, chat_id = EXCLUDED.chat_id`, [m.id, String(910000000 + i)]);
  }
  log(`hub on PostgreSQL with the outbox worker, SLA scheduler and Telegram on; ${cfg.rate} leads/s for ${cfg.duration} s`);

  // Client messages and managers' answers, beside the form leads.
  let stopSide = false;
  let clientMessages = 0;
  let answers = 0;
  const side = (async () => {
    for (let i = 0; !stopSide; i++) {
      fake.pushText(CLIENT_TOKEN, 920000000 + (i % 200), `Soak message ${i}: is the offer still on?`);
      clientMessages++;
      if (i % 2 === 0) {
        const [c] = (await db.query(`SELECT contact_id FROM contact_identity WHERE kind = 'telegram' ORDER BY random() LIMIT 1`)).rows;
        if (c) await api(base, 'POST', `/api/contacts/${c.contact_id}/messages`, { token: admin, body: { text: `Answer ${i}` } }).then(() => answers++, () => undefined);
      }
      await sleep(250);
    }
  })();

  const samples = [];
  const marks = {};
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const snap = await probeSnapshot(hub);
      const [row] = (
        await db.query(
          `SELECT (SELECT count(*) FROM inbound_receipt)::int AS leads,
                  (SELECT coalesce(extract(epoch FROM now() - min(next_attempt_at)) * 1000, 0) FROM outbox WHERE status IN ('pending', 'failed', 'processing') AND next_attempt_at <= now())::float AS lag_ms,
                  (SELECT count(*) FROM outbox WHERE status IN ('pending', 'failed', 'processing') AND next_attempt_at <= now())::int AS backlog`,
        )
      ).rows;
      const s = {
        t: round((Date.now() - startedAt) / 1000, 0),
        leads: row.leads,
        rssMb: round(rssKb(hub.pid) / 1024),
        heapMb: snap ? round(snap.memory.heapUsed / 1048576) : null,
        eventLoopP99Ms: snap ? round(snap.eventLoopDelayMs.p99, 1) : null,
        outboxLagMs: round(row.lag_ms, 0),
        outboxBacklog: row.backlog,
      };
      samples.push(s);
      for (const n of [10_000, 50_000, 100_000]) if (!marks[n] && s.leads >= n) marks[n] = s;
      await sleep(5000);
    }
  })();

  let seq = 0;
  const run = runPaced({
    base,
    path: `/api/inbound/forms/${form.key}`,
    rate: cfg.rate,
    duration: cfg.duration,
    maxSockets: 32,
    shouldStop: () => script.aborting,
    body: () => {
      seq++;
      return JSON.stringify({ name: `Soak Lead ${seq}`, phone: benchPhone(seq), email: `soak${seq}@bench.local`, message: 'Please call me back' });
    },
  });
  const load = await run.done;
  stopSide = true;
  await side;
  await sleep(5000);
  sampling = false;
  await sampler;

  const peak = samples.reduce((m, s) => Math.max(m, s.rssMb || 0), 0);
  const result = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    durationSeconds: cfg.duration,
    rate: cfg.rate,
    loadAvg: { before: loadBefore, after: loadAvg() },
    load: { requests: load.requests, responses: load.responses, statuses: load.statuses, abandoned: load.abandoned, latencyMs: load.latencyMs },
    clientMessages,
    answers,
    cardsAndMessagesSent: fake.calls,
    samples,
    marks,
    rssPeakMb: peak,
    growth10kTo100k: marks[10_000] && marks[100_000] ? round(marks[100_000].rssMb / marks[10_000].rssMb - 1, 3) : null,
  };
  console.log(JSON.stringify({ ...result, samples: samples.length }, null, 2));
  if (cfg.resultFile) fs.writeFileSync(cfg.resultFile, JSON.stringify(result, null, 2));
  writeResultDocs(script, 'bench:soak', docs(result));
  return 0;
}

function docs(r) {
  const every = Math.max(1, Math.round(r.samples.length / 12));
  const rows = r.samples.filter((_, i) => i % every === 0 || i === r.samples.length - 1).map((s) => `| ${s.t} | ${s.leads} | ${s.rssMb} | ${s.heapMb} | ${s.eventLoopP99Ms} | ${s.outboxLagMs} | ${s.outboxBacklog} |`);
  const mark = (n) => (r.marks[n] ? `${r.marks[n].rssMb} MB at ${n} leads` : `${n} leads not reached`);
  return `### Soak: \`npm run bench:soak -- --duration=${r.durationSeconds} --rate=${r.rate}\`

Last run: ${r.date}; one hub on PostgreSQL with the outbox worker, SLA scheduler and Telegram (fake Bot API) on; ${r.rate} form leads/s paced for ${r.durationSeconds} s (${r.load.responses} answered, ${r.load.abandoned} abandoned; p50 ${r.load.latencyMs.p50} ms, p99 ${r.load.latencyMs.p99} ms), ${r.clientMessages} client messages through the client bot, ${r.answers} manager answers, ${r.cardsAndMessagesSent} Bot API calls; load average ${r.loadAvg.before.join(' / ')} before, ${r.loadAvg.after.join(' / ')} after.

RSS: ${mark(10_000)}, ${mark(100_000)}${r.growth10kTo100k === null ? '' : ` (${round(r.growth10kTo100k * 100, 1)} %)`}; peak ${r.rssPeakMb} MB.

| s | leads | RSS MB | heap MB | event-loop p99 ms | outbox lag ms | outbox backlog |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

if (!helpRequested(__filename)) script.run(main);
