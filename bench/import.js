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
const os = require('node:os');
const path = require('node:path');
const { connect, ensureBuild, freshDatabase, loginAdmin, startHubFor, writeResultDocs } = require('./hub-process');
const { benchScript, cpuSeconds, envInt, helpRequested, machineLine, tempDir } = require('./support');

const TARGET_S = 60;
const phases = (b) => ['read', 'plan', 'match', 'write'].map((k) => b.durationsMs[k]).join(' / ');
const cfg = {
  dbName: process.env.BENCH_DB_NAME || 'leadline_import_bench',
  rows: envInt('BENCH_ROWS', 100_000, 1),
  existing: envInt('BENCH_EXISTING', 10_000, 1),
};
const script = benchScript('bench:import');
const { log } = script;
const state = { hub: null, db: null };

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

/** CPU seconds (user + system) the hub process has used so far. */
const hubCpuSeconds = () => cpuSeconds(state.hub.pid) ?? NaN;

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
  const database = await freshDatabase(script, { dbName: cfg.dbName });
  const pgVersion = database.serverVersion;
  state.hub = await startHubFor(script, {
    databaseUrl: database.url,
    logFile: path.join(tempDir(script, 'leadline-bench-import-', { keep: true }), 'hub.log'),
    env: { DEFAULT_PHONE_REGION: 'RU' },
  });
  state.db = await connect(script, database.url);
  await state.db.query(
    `WITH g AS (SELECT g, md5('e' || g)::uuid AS id FROM generate_series(0, $1::int - 1) g),
          c AS (INSERT INTO contact (id, name) SELECT id, 'Existing ' || g FROM g)
     INSERT INTO contact_identity (contact_id, kind, value) SELECT id, 'phone', '+7916' || lpad(g::text, 7, '0') FROM g`,
    [cfg.existing],
  );
  await state.db.query('VACUUM ANALYZE');
  const { csv, expected } = buildCsv();
  log(`${cfg.existing} existing contacts; file: ${cfg.rows} rows, ${(csv.length / 1024 / 1024).toFixed(1)} MB`);

  const token = await loginAdmin(state.hub.base);
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
  writeResultDocs(
    script,
    'bench:import',
    `## Import: \`npm run bench:import\`

A ${cfg.rows.toLocaleString('en')}-row CSV (${(csv.length / 1024 / 1024).toFixed(1)} MB, UTF-8, semicolons; phones in five formats, 2 % of rows
repeating an earlier row's person, 5 % matching one of ${cfg.existing.toLocaleString('en')} existing contacts, 1 % with a broken phone, a deal on
every third row, companies, tags and notes) uploaded to one built hub on PostgreSQL, first as a dry run
(\`POST /api/import/preview\`) then for real (\`POST /api/import\`, one transaction). Time is upload to answer;
"hub CPU" is the CPU time the hub process used meanwhile (/proc), a figure the machine's load changes far less
(the PostgreSQL backend's CPU is not in it); the phases come from the answer's \`durationsMs\`.
Knobs: see the header of \`bench/import.js\`.

Last run: ${new Date().toISOString().slice(0, 16)}Z, PostgreSQL ${pgVersion}, ${machineLine()} (shared with other work).

| step | seconds | hub CPU s | load avg | read / plan / match / write ms | created | merged | skipped | deals | companies |
|---|---|---|---|---|---|---|---|---|---|
| dry run | ${preview.seconds.toFixed(1)} | ${preview.cpu.toFixed(1)} | ${preview.load.toFixed(1)} | ${phases(preview.body)} | ${preview.body.totals.created} | ${preview.body.totals.merged} | ${preview.body.totals.skipped} | ${preview.body.totals.deals} | ${preview.body.totals.companiesCreated} |
| import | ${run.seconds.toFixed(1)} | ${run.cpu.toFixed(1)} | ${run.load.toFixed(1)} | ${phases(run.body)} | ${t.created} | ${t.merged} | ${t.skipped} | ${t.deals} | ${t.companiesCreated} |

Counts ${countsOk ? 'match' : 'do NOT match'} what the file was built to contain. Target: ${cfg.rows.toLocaleString('en')} rows in under ${TARGET_S} s — **${ok ? 'met' : 'missed'}**.`,
  );
  return ok ? 0 : 2;
}

if (!helpRequested(__filename)) script.run(main);
