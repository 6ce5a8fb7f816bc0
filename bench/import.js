#!/usr/bin/env node
'use strict';
/**
 * Import benchmark: `npm run bench:import` (node bench/import.js). PostgreSQL.
 *
 * 1. builds the hub if dist/ is stale; creates a fresh database; starts one built hub on it;
 * 2. seeds BENCH_EXISTING (10,000) contacts with a phone each (generate_series), some of which the file matches;
 * 3. writes a BENCH_ROWS-row (100,000) CSV the way people's spreadsheets look: semicolons, phones in five formats,
 *    emails in mixed case, a company, tags, notes, a deal on every third row; 2 % of rows repeat an earlier row's
 *    phone (merged inside the file), 5 % carry a phone of an existing contact (merged into it), 1 % have a broken phone;
 * 4. POSTs it to /api/import/preview (dry run) and then /api/import, timing each (upload to answer), and checks the
 *    counts against what the file was built to contain;
 * 5. prints the results and writes them into docs/BENCHMARKS.md (BENCH_WRITE_DOCS=0: not).
 *
 * Knobs: BENCH_DATABASE_URL, BENCH_DB_NAME (leadline_import_bench), BENCH_ROWS, BENCH_EXISTING, BENCH_KEEP_DB=1, BENCH_BUILD.
 * Exit 0 when the import took under 60 s and the counts are right, 2 when not.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { ensureBuild, startHub, stopHub, writeDocsSection } = require('./hub-process');

const TARGET_S = 60;
const phases = (b) => ['read', 'plan', 'match', 'write'].map((k) => b.durationsMs[k]).join(' / ');
const log = (msg) => process.stdout.write(`[bench:import] ${msg}\n`);
const envInt = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const cfg = {
  adminUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  dbName: process.env.BENCH_DB_NAME || 'leadline_import_bench',
  rows: envInt('BENCH_ROWS', 100_000),
  existing: envInt('BENCH_EXISTING', 10_000),
};
if (!/^[a-z_][a-z0-9_]*$/.test(cfg.dbName)) throw new Error('BENCH_DB_NAME must be a plain identifier');
const benchUrl = (() => {
  const u = new URL(cfg.adminUrl);
  u.pathname = `/${cfg.dbName}`;
  return u.toString();
})();
const ADMIN = { email: 'bench-admin@leadline.local', password: 'bench-admin-password' };
const state = { hub: null, admin: null, db: null, created: false };

/** The national number of person i: 916 + 7 digits (valid Russian mobiles). */
const national = (i) => `916${String(i).padStart(7, '0')}`;
const FORMATS = [
  (n) => `+7${n}`,
  (n) => `8 (${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6, 8)}-${n.slice(8)}`,
  (n) => `+7 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6, 8)} ${n.slice(8)}`,
  (n) => `7${n}`,
  (n) => `8-${n.slice(0, 3)}-${n.slice(3)}`,
];

function buildCsv() {
  const lines = ['ФИО;Телефон;E-mail;Компания;Теги;Комментарий;Сделка;Сумма;Этап'];
  const expected = { rows: cfg.rows, created: 0, merged: 0, skipped: 0, deals: 0 };
  const people = new Set();
  for (let r = 0; r < cfg.rows; r++) {
    let person;
    let broken = false;
    if (r % 100 === 7) broken = true; // 1 %: a phone that is not a phone, no email
    else if (r % 50 === 3) person = 1_000_000 + r - 1; // 2 %: the previous row's person again
    else if (r % 20 === 11) person = r % cfg.existing; // 5 %: someone already in the database
    else person = 1_000_000 + r;
    const n = national(person);
    const phone = broken ? '12-34' : FORMATS[r % FORMATS.length](n);
    const email = broken || person < cfg.existing ? '' : `Person.${person}@Example${person % 300}.com`;
    const deal = r % 3 === 0 && !broken;
    lines.push(
      [
        `Клиент ${person}`,
        phone,
        email,
        `Компания ${person % 2000}`,
        r % 4 === 0 ? 'опт, vip' : 'розница',
        r % 5 === 0 ? `Звонить после ${r % 12 + 9}:00` : '',
        deal ? `Сделка ${r}` : '',
        deal ? `${(r % 90) + 10} 000,00` : '',
        deal ? ['Новая', 'Предложение', 'Успешно', 'Отказ'][r % 4] : '',
      ].join(';'),
    );
    if (broken) expected.skipped++;
    else if (person < cfg.existing) expected.merged++;
    else if (people.has(person)) expected.merged++;
    else {
      expected.created++;
      people.add(person);
    }
    if (deal) expected.deals++;
  }
  return { csv: Buffer.from(lines.join('\r\n') + '\r\n', 'utf8'), expected };
}

/** CPU seconds (user + system) the hub process has used so far, from /proc (Linux). */
function hubCpuSeconds() {
  try {
    const fields = fs.readFileSync(`/proc/${state.hub.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function post(url, token, body) {
  const cpu = hubCpuSeconds();
  const t = Date.now();
  const res = await fetch(`${state.hub.base}${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text.slice(0, 500)}`);
  return { seconds: (Date.now() - t) / 1000, cpu: hubCpuSeconds() - cpu, load: os.loadavg()[0], body: JSON.parse(text) };
}

async function main() {
  ensureBuild(log);
  state.admin = new Client({ connectionString: cfg.adminUrl });
  await state.admin.connect();
  const pgVersion = (await state.admin.query('SHOW server_version')).rows[0].server_version;
  await state.admin.query(`DROP DATABASE IF EXISTS ${cfg.dbName} WITH (FORCE)`);
  await state.admin.query(`CREATE DATABASE ${cfg.dbName}`);
  state.created = true;
  state.hub = await startHub({
    databaseUrl: benchUrl,
    logFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leadline-bench-import-')), 'hub.log'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, DEFAULT_PHONE_REGION: 'RU' },
  });
  state.db = new Client({ connectionString: benchUrl });
  await state.db.connect();
  await state.db.query(
    `WITH g AS (SELECT g, md5('e' || g)::uuid AS id FROM generate_series(0, $1::int - 1) g),
          c AS (INSERT INTO contact (id, name) SELECT id, 'Existing ' || g FROM g)
     INSERT INTO contact_identity (contact_id, kind, value) SELECT id, 'phone', '+7916' || lpad(g::text, 7, '0') FROM g`,
    [cfg.existing],
  );
  await state.db.query('VACUUM ANALYZE');
  const { csv, expected } = buildCsv();
  log(`${cfg.existing} existing contacts; file: ${cfg.rows} rows, ${(csv.length / 1024 / 1024).toFixed(1)} MB`);

  const login = await fetch(`${state.hub.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  const token = (await login.json()).token;
  const preview = await post('/api/import/preview', token, csv);
  log(`dry run: ${preview.seconds.toFixed(1)} s (hub CPU ${preview.cpu.toFixed(1)} s, load ${preview.load.toFixed(1)}) ${JSON.stringify(preview.body.totals)} ${JSON.stringify(preview.body.durationsMs)}`);
  const run = await post('/api/import', token, csv);
  log(`import:  ${run.seconds.toFixed(1)} s (hub CPU ${run.cpu.toFixed(1)} s, load ${run.load.toFixed(1)}) ${JSON.stringify(run.body.totals)} ${JSON.stringify(run.body.durationsMs)}`);
  const db = (
    await state.db.query(
      `SELECT (SELECT count(*) FROM contact)::int AS contacts, (SELECT count(*) FROM contact_identity)::int AS identities,
              (SELECT count(*) FROM deal)::int AS deals, (SELECT count(*) FROM company)::int AS companies, (SELECT count(*) FROM activity)::int AS notes`,
    )
  ).rows[0];
  const t = run.body.totals;
  const countsOk =
    t.rows === expected.rows && t.created === expected.created && t.merged === expected.merged && t.skipped === expected.skipped && t.deals === expected.deals &&
    db.contacts === cfg.existing + expected.created && db.deals === expected.deals;
  const ok = countsOk && run.seconds < TARGET_S;
  log(`expected ${JSON.stringify(expected)}; database ${JSON.stringify(db)}; counts ${countsOk ? 'right' : 'WRONG'}`);
  log(`target: import of ${cfg.rows} rows < ${TARGET_S} s — ${ok ? 'met' : 'MISSED'}`);
  if (process.env.BENCH_WRITE_DOCS !== '0') {
    writeDocsSection(
      'bench:import',
      `## Import: \`npm run bench:import\`

A ${cfg.rows.toLocaleString('en')}-row CSV (${(csv.length / 1024 / 1024).toFixed(1)} MB, UTF-8, semicolons; phones in five formats, 2 % of rows
repeating an earlier row's person, 5 % matching one of ${cfg.existing.toLocaleString('en')} existing contacts, 1 % with a broken phone, a deal on
every third row, companies, tags and notes) uploaded to one built hub on PostgreSQL, first as a dry run
(\`POST /api/import/preview\`) then for real (\`POST /api/import\`, one transaction). Time is upload to answer;
"hub CPU" is the CPU time the hub process used meanwhile (/proc), a figure the machine's load changes far less
(the PostgreSQL backend's CPU is not in it); the phases come from the answer's \`durationsMs\`.
Knobs: see the header of \`bench/import.js\`.

Last run: ${new Date().toISOString().slice(0, 16)}Z, PostgreSQL ${pgVersion}, ${os.cpus().length} × ${os.cpus()[0]?.model?.trim()} (shared with other work).

| step | seconds | hub CPU s | load avg | read / plan / match / write ms | created | merged | skipped | deals | companies |
|---|---|---|---|---|---|---|---|---|---|
| dry run | ${preview.seconds.toFixed(1)} | ${preview.cpu.toFixed(1)} | ${preview.load.toFixed(1)} | ${phases(preview.body)} | ${preview.body.totals.created} | ${preview.body.totals.merged} | ${preview.body.totals.skipped} | ${preview.body.totals.deals} | ${preview.body.totals.companiesCreated} |
| import | ${run.seconds.toFixed(1)} | ${run.cpu.toFixed(1)} | ${run.load.toFixed(1)} | ${phases(run.body)} | ${t.created} | ${t.merged} | ${t.skipped} | ${t.deals} | ${t.companiesCreated} |

Counts ${countsOk ? 'match' : 'do NOT match'} what the file was built to contain. Target: ${cfg.rows.toLocaleString('en')} rows in under ${TARGET_S} s — **${ok ? 'met' : 'missed'}**.`,
    );
    log('docs/BENCHMARKS.md updated');
  }
  await finish(ok ? 0 : 2);
}

async function finish(code) {
  if (state.db) await state.db.end().catch(() => {});
  await stopHub(state.hub).catch(() => {});
  if (state.admin && state.created && process.env.BENCH_KEEP_DB !== '1') await state.admin.query(`DROP DATABASE IF EXISTS ${cfg.dbName} WITH (FORCE)`).catch(() => {});
  if (state.admin) await state.admin.end().catch(() => {});
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => finish(130));
main().catch((err) => {
  process.stderr.write(`[bench:import] failed: ${err.stack || err}\n`);
  finish(1);
});
