#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: the speed-to-lead benchmarks one after another (each bounded, about 8 minutes in
 * all), then ONE table of every figure against its target with the comparison measured in the same
 * run beside it, printed and written into docs/BENCHMARKS.md (block bench:summary).
 *
 *   intake    bench/run.js with shorter phases (paced 300 req/s open loop, outbox worker and SLA
 *             scheduler on; pgbench with the same SQL; the hub's statements traced against the script)
 *   wakeups   bench/wakeups.js: lead → SSE / → Telegram card at 50 leads/s, two hubs (LISTEN/NOTIFY and
 *             bare-fetch floors)
 *   sla       bench/sla.js on PostgreSQL (two hubs) and on PGlite (one hub), 100,000 open tasks
 *   soak      bench/soak.js, 60 s at 100 leads/s by default (BENCH_SOAK_SECONDS, BENCH_SOAK_RATE; the
 *             100,000-lead soak is BENCH_SOAK_SECONDS=560 BENCH_SOAK_RATE=180, or
 *             `npm run bench:soak -- --duration=900 --rate=112` alone)
 * BENCH_ONLY=intake,wakeups,... runs a subset; BENCH_WRITE_DOCS=0 leaves the docs alone.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeDocsSection, ensureBuild } = require('./hub-process');

const log = (msg) => process.stdout.write(`[bench] ${msg}\n`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-bench-all-'));
const only = (process.env.BENCH_ONLY || '').split(',').filter(Boolean);
const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS || 60);
const soakRate = Number(process.env.BENCH_SOAK_RATE || 100);

const RUNS = [
  { key: 'intake', args: ['bench/run.js', 'intake'], env: { BENCH_RATE_SECONDS: '10', BENCH_PACED_SECONDS: '15', BENCH_MAX_SECONDS: '10', BENCH_PGBENCH_SECONDS: '10' } },
  { key: 'wakeups', args: ['bench/wakeups.js'], env: {} },
  { key: 'sla', args: ['bench/sla.js'], env: {} },
  { key: 'slaPglite', args: ['bench/sla.js', '--pglite'], env: {} },
  { key: 'soak', args: ['bench/soak.js', `--duration=${soakSeconds}`, `--rate=${soakRate}`], env: {} },
];

function run({ key, args, env }) {
  const file = path.join(tmp, `${key}.json`);
  const uptime = os.loadavg().map((n) => n.toFixed(2)).join(' ');
  log(`${key}: node ${args.join(' ')} (load average ${uptime})`);
  const t0 = Date.now();
  const res = spawnSync(process.execPath, args, {
    cwd: path.resolve(__dirname, '..'),
    env: { ...process.env, ...env, BENCH_RESULT_FILE: file, BENCH_WRITE_DOCS: '0', BENCH_BUILD: 'never' },
    stdio: ['ignore', 'inherit', 'inherit'],
    // Each run is bounded; the soak by its own duration plus its set-up and the final readings.
    timeout: key === 'soak' ? (soakSeconds + 180) * 1000 : 480_000,
  });
  log(`${key}: exit ${res.status} after ${Math.round((Date.now() - t0) / 1000)} s`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const ms = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 10) / 10} ms`);
const pp = (s) => (s ? `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}` : 'not measured');

function table(r) {
  const rows = [];
  const add = (what, result, target, met, comparison) => rows.push({ what, result, target, met, comparison });
  const w = r.wakeups;
  const rate = w ? `${w.rate} leads/s (${w.load.responses} of ${w.load.requests} answered)` : '';
  add(`form lead → notice on the owner’s SSE Inbox (other hub), ${rate}`, w ? `${pp(w.sseMs)}${w.missing.sse ? `, ${w.missing.sse} missing` : ''}; after the 201: ${pp(w.afterCommit && w.afterCommit.sseMs)}` : 'not run', 'p50 < 100 ms, p99 < 300 ms', w ? w.verdicts[0].met : null, w ? `bare LISTEN/NOTIFY round trip ${pp(w.floor.listenNotifyMs)}` : '');
  add('form lead → Telegram card sendMessage at the fake Bot API', w ? `${pp(w.cardMs)}${w.missing.cards ? `, ${w.missing.cards} missing` : ''}; after the 201: ${pp(w.afterCommit && w.afterCommit.cardMs)}` : 'not run', 'p50 < 150 ms, p99 < 300 ms', w ? w.verdicts[1].met : null, w ? `bare fetch to the fake Bot API ${pp(w.floor.fetchMs)}` : '');
  add('429 retry_after N honoured per chat and bot', 'test/telegram/retry-after.test.ts (N = 4 s: retried within N ± 1 s, other chats and the other bot not held)', 'N ± 1 s', null, '—');
  const i = r.intake;
  if (i) {
    const paced = i.phases.paced;
    add('intake p99, 300 req/s paced open loop (worker + SLA scheduler on)', paced ? `p99 ${ms(paced.latencyMs.p99)} (p50 ${ms(paced.latencyMs.p50)}), ${paced.responses} of ${paced.requests} answered` : 'not run', 'p99 < 50 ms', paced ? paced.latencyMs.p99 < 50 && paced.timeouts === 0 : null, i.pgbench ? `pgbench, same SQL: ${i.pgbench.tps} tps; hub unthrottled ${i.phases.max.leadsPerSecond} leads/s (ratio ${i.ratio})` : '');
    const sc = i.statementCheck;
    add('database round trips per new lead (traced intake transaction)', sc ? `${sc.roundTrips}` : 'not measured', '≤ 9', sc ? sc.roundTrips <= 9 && sc.inStep : null, sc ? `pgbench script: ${sc.script.length} statements, ${sc.inStep ? 'in step' : 'OUT OF STEP'}` : '');
    add('hub RSS peak under the intake benchmark', `${i.rss.peakMb} MB (start ${i.rss.startMb}, end ${i.rss.endMb})`, '< 250 MB', i.rss.peakMb < 250, '—');
  } else add('intake', 'not run', '', null, '');
  const s = r.soak;
  if (s) {
    const m10 = s.marks['10000'];
    const m100 = s.marks['100000'];
    add(`hub RSS after 100,000 leads vs after 10,000 (soak ${s.durationSeconds} s at ${s.rate}/s)`, m10 && m100 ? `${m10.rssMb} → ${m100.rssMb} MB (${Math.round(s.growth10kTo100k * 1000) / 10} %)` : `${m10 ? `${m10.rssMb} MB at 10,000` : 'not at 10,000 leads'}; 100,000 not reached in ${s.durationSeconds} s (run bench:soak longer)`, '≤ +20 %', m10 && m100 ? Math.abs(s.growth10kTo100k) <= 0.2 : null, `peak ${s.rssPeakMb} MB; event-loop p99 max ${Math.max(...s.samples.map((x) => x.eventLoopP99Ms || 0))} ms; outbox lag max ${Math.max(...s.samples.map((x) => x.outboxLagMs || 0))} ms`);
  }
  for (const [k, label] of [['sla', 'PostgreSQL, 2 hubs'], ['slaPglite', 'PGlite, 1 hub']]) {
    const x = r[k];
    const seen = x && (x.latenessVisibleMs || x.latenessSseMs);
    add(`SLA: overdue visible after due_at, ${label}, 100,000 open tasks`, seen ? pp(seen) : 'not run', 'p99 < 1 s', x ? x.met : null, x ? `overdue_at (claim) ${pp(x.latenessStampMs)}; notice on an admin’s SSE ${pp(x.latenessSseMs)}` : '');
  }
  return rows;
}

function main() {
  ensureBuild(log);
  const results = {};
  const loadBefore = os.loadavg().map((n) => n.toFixed(2));
  // With BENCH_ONLY, the other rows come from the last run of each (kept in the temp directory), marked as such.
  const last = path.join(os.tmpdir(), 'leadline-bench-last');
  fs.mkdirSync(last, { recursive: true });
  const earlier = [];
  for (const r of RUNS) {
    if (!only.length || only.includes(r.key)) {
      results[r.key] = run(r);
      if (results[r.key]) fs.writeFileSync(path.join(last, `${r.key}.json`), JSON.stringify(results[r.key]));
    } else if (fs.existsSync(path.join(last, `${r.key}.json`))) {
      results[r.key] = JSON.parse(fs.readFileSync(path.join(last, `${r.key}.json`), 'utf8'));
      earlier.push(`${r.key} (${results[r.key].date})`);
    }
  }
  const rows = table(results);
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const md = [
    `Run of ${date} (\`npm run bench\`), ${os.cpus().length} × ${os.cpus()[0]?.model?.trim()}, PostgreSQL on the same machine; load average ${loadBefore.join(' / ')} before, ${os.loadavg().map((n) => n.toFixed(2)).join(' / ')} after (the machine is shared: the same-run comparisons are the figures to read against).`,
    ...(earlier.length ? ['', `Rows from an earlier run of their benchmark: ${earlier.join(', ')}.`] : []),
    '',
    '| measure | result | target | met | same-run comparison |',
    '|---|---|---|---|---|',
    ...rows.map((x) => `| ${x.what} | ${x.result} | ${x.target} | ${x.met === null ? '—' : x.met ? 'yes' : '**no**'} | ${x.comparison} |`),
  ].join('\n');
  console.log(`\n${md}\n`);
  fs.writeFileSync(path.join(tmp, 'summary.md'), md);
  if (process.env.BENCH_WRITE_DOCS !== '0') {
    writeDocsSection('bench:summary', md);
    log('docs/BENCHMARKS.md updated (bench:summary)');
  }
  log(`results in ${tmp}`);
}

main();
