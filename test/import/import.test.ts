import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { Client } from 'pg';
import { expectError, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';

const CSV = 'text/csv';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A typical export from another CRM: windows-1251, semicolons, mixed phone formats, repeated people. */
const RU_ROWS = [
  'ФИО;Телефон;E-mail;Компания;Ответственный;Теги;Комментарий;Сделка;Сумма;Этап',
  'Иванов Иван;8 (912) 000-00-01;Ivan@Romashka.ru;Ромашка;anna.import@test.local;vip, опт;Звонить после 12;Поставка;15 000,50;Предложение', // 2 created
  'Петров Петр;+7 912 000 00 02;;Ромашка;;опт;;;;', // 3 created
  'Иванов И.;+79120000001;;;;;Повторная строка;Поставка;15 000,50;Предложение', // 4 same person as row 2, same deal
  'Сидорова;9120000003;sid@mail.ru;;;;;;;', // 5 created (10 digits: a Russian number without the 8)
  'Без телефона;;;;;;;;;', // 6 skipped: no phone or email
  'Плохой номер;12345;;;;;;;;', // 7 skipped: not a phone
  'Старый клиент;+7 (912) 555-00-00;;;;;;;;', // 8 merged into the contact that came from the web form
  'Чужой;+79120000009;;;nobody@example.com;;;;;', // 9 skipped: unknown owner
  'Кривая сумма;+79120000010;;;;;;Сделка;abc;', // 10 skipped: amount
  ';;;;;;;;;', // empty line: not a row
  'Петров П.;"8-912-000-00-02, +7 912 000 00 11";PETROV@romashka.ru;;;;;;;', // 12 same person as row 3 (by phone)
];
const ruCsv = () => iconv.encode(RU_ROWS.join('\r\n') + '\r\n', 'windows-1251');

describe('import and export (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let existing: { contactId: string };

  beforeAll(async () => {
    hub = await TestHub.start({ DEFAULT_PHONE_REGION: 'RU' });
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Import' });
    existing = await postLead(hub, { name: 'Web Lead', phone: '+7 (912) 555-00-00' });
  }, 180_000);
  afterAll(async () => {
    await hub?.close();
  });

  const upload = (path: string, body: Buffer | string, type = CSV, token = admin) =>
    hub.app.inject({ method: 'POST', url: path, payload: body, headers: { 'content-type': type, authorization: `Bearer ${token}` } }).then((r) => ({
      status: r.statusCode,
      body: JSON.parse(r.body || 'null'),
      headers: r.headers,
      text: r.body,
    }));
  const counts = async () =>
    (
      await hub.query(
        `SELECT (SELECT count(*) FROM contact)::int AS contacts, (SELECT count(*) FROM contact_identity)::int AS identities,
                (SELECT count(*) FROM deal)::int AS deals, (SELECT count(*) FROM company)::int AS companies, (SELECT count(*) FROM activity)::int AS activities`,
      )
    )[0];

  it('inspects a windows-1251 CSV with semicolons: headers, sample rows and a suggested mapping', async () => {
    const res = await upload('/api/import/inspect', ruCsv());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: 'csv', encoding: 'windows-1251', delimiter: ';', rowCount: 10 });
    expect(res.body.headers).toEqual(['ФИО', 'Телефон', 'E-mail', 'Компания', 'Ответственный', 'Теги', 'Комментарий', 'Сделка', 'Сумма', 'Этап']);
    expect(res.body.suggestedMapping).toEqual({
      ФИО: 'name',
      Телефон: 'phone',
      'E-mail': 'email',
      Компания: 'company',
      Ответственный: 'owner',
      Теги: 'tags',
      Комментарий: 'note',
      Сделка: 'dealTitle',
      Сумма: 'dealAmount',
      Этап: 'dealStage',
    });
    expect(res.body.sample[0]).toMatchObject({ ФИО: 'Иванов Иван', Телефон: '8 (912) 000-00-01', Сумма: '15 000,50' });
    expect(res.body.sample).toHaveLength(10);
  });

  it('dry run: exact counts and per-row outcomes, nothing written', async () => {
    const before = await counts();
    const res = await upload('/api/import/preview', ruCsv());
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    expect(res.body.totals).toEqual({ rows: 10, created: 3, merged: 3, skipped: 4, deals: 1, notes: 2, companiesCreated: 1 });
    expect(res.body.rows.map((r: any) => [r.row, r.outcome])).toEqual([
      [2, 'created'],
      [3, 'created'],
      [4, 'merged'],
      [5, 'created'],
      [6, 'skipped'],
      [7, 'skipped'],
      [8, 'merged'],
      [9, 'skipped'],
      [10, 'skipped'],
      [12, 'merged'],
    ]);
    expect(res.body.skipped.map((r: any) => [r.row, r.reason])).toEqual([
      [6, 'no phone or email'],
      [7, 'no valid phone or email (phone "12345")'],
      [9, 'owner "nobody@example.com" is not an active manager\'s email'],
      [10, 'deal amount "abc" is not a number'],
    ]);
    expect(res.body.rows.find((r: any) => r.row === 4)).toMatchObject({ mergedIntoRow: 2, reason: 'same person as row 2' });
    expect(await counts()).toEqual(before);
  });

  it('imports: phones normalised, rows of one person merged, known people merged, company/owner/tags/notes/deal written', async () => {
    const before = await counts();
    const res = await upload('/api/import', ruCsv());
    expect(res.status).toBe(201);
    expect(res.body.totals).toEqual({ rows: 10, created: 3, merged: 3, skipped: 4, deals: 1, notes: 2, companiesCreated: 1 });
    const after = await counts();
    expect(after.contacts - before.contacts).toBe(3);
    expect(after.deals - before.deals).toBe(1);
    expect(after.companies - before.companies).toBe(1);
    expect(after.activities - before.activities).toBe(2);

    const ivanId = res.body.rows.find((r: any) => r.row === 2).contactId;
    expect(res.body.rows.find((r: any) => r.row === 4).contactId).toBe(ivanId);
    expect(res.body.rows.find((r: any) => r.row === 8).contactId).toBe(existing.contactId);
    const ivan = (await hub.request({ url: `/api/contacts/${ivanId}`, token: admin })).body;
    expect(ivan).toMatchObject({ name: 'Иванов Иван', ownerId: anna.id });
    expect(ivan.identities).toEqual(expect.arrayContaining([{ kind: 'phone', value: '+79120000001' }, { kind: 'email', value: 'ivan@romashka.ru' }]));
    expect(ivan.identities).toHaveLength(2);
    expect(ivan.deals).toEqual([expect.objectContaining({ title: 'Поставка', stage: 'proposal', amount: '15000.50', ownerId: anna.id, sourceChannel: 'import' })]);
    const [row] = await hub.query(`SELECT c.tags, co.name AS company FROM contact c JOIN company co ON co.id = c.company_id WHERE c.id = $1`, [ivanId]);
    expect(row).toEqual({ tags: ['vip', 'опт'], company: 'Ромашка' });
    const notes = await hub.query(`SELECT payload->>'text' AS text FROM activity WHERE contact_id = $1 AND kind = 'note' ORDER BY payload->>'row'`, [ivanId]);
    expect(notes.map((n) => n.text)).toEqual(['Звонить после 12', 'Повторная строка']);

    const petrovId = res.body.rows.find((r: any) => r.row === 3).contactId;
    const petrov = await hub.query(`SELECT kind, value FROM contact_identity WHERE contact_id = $1 ORDER BY kind, value`, [petrovId]);
    expect(petrov).toEqual([
      { kind: 'email', value: 'petrov@romashka.ru' },
      { kind: 'phone', value: '+79120000002' },
      { kind: 'phone', value: '+79120000011' },
    ]);
    expect(await hub.query(`SELECT name FROM contact WHERE id = $1`, [existing.contactId])).toEqual([{ name: 'Web Lead' }]);
    expect(await hub.query(`SELECT count(*)::int AS n FROM contact_identity WHERE value = '+79120000003'`)).toEqual([{ n: 1 }]);

    // The same file again: every person is known now, nobody is created twice.
    const again = await upload('/api/import/preview', ruCsv());
    expect(again.body.totals).toMatchObject({ created: 0, merged: 6, skipped: 4, companiesCreated: 0 });
  });

  it('XLSX: numbers as phones, hyperlinked emails, rich text, a chosen mapping; JSON base64 upload of a tab-separated UTF-8 file', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Leads');
    ws.addRow(['Client', 'Mobile', 'Mail', 'Internal id']);
    ws.addRow([{ richText: [{ text: 'Olga ' }, { text: 'Excel', font: { bold: true } }] }, 79161230001, { text: 'olga@excel.test', hyperlink: 'mailto:olga@excel.test' }, 1]);
    ws.addRow(['Oleg', '+7 916 123-00-02', null, 2]);
    ws.addRow(['Oleg again', 89161230002, null, 3]);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    const inspect = await upload('/api/import/inspect', buf, XLSX);
    expect(inspect.status).toBe(200);
    expect(inspect.body).toMatchObject({ format: 'xlsx', headers: ['Client', 'Mobile', 'Mail', 'Internal id'], rowCount: 3 });
    expect(inspect.body.suggestedMapping).toEqual({ Client: 'name', Mobile: 'phone', Mail: 'email', 'Internal id': 'skip' });
    expect(inspect.body.sample[0]).toEqual({ Client: 'Olga Excel', Mobile: '79161230001', Mail: 'olga@excel.test', 'Internal id': '1' });
    const mapping = encodeURIComponent(JSON.stringify({ Client: 'name', Mobile: 'phone', Mail: 'email' }));
    const res = await upload(`/api/import?mapping=${mapping}`, buf, XLSX);
    expect(res.status).toBe(201);
    expect(res.body.totals).toMatchObject({ rows: 3, created: 2, merged: 1, skipped: 0 });
    expect(await hub.query(`SELECT c.name FROM contact c JOIN contact_identity i ON i.contact_id = c.id WHERE i.value = '+79161230002'`)).toEqual([{ name: 'Oleg' }]);

    const tsv = '\ufeffName\tPhone\tTags\nTab Person\t+44 20 7946 0958\tuk|partner\n';
    const json = await hub.request({
      method: 'POST',
      url: '/api/import',
      token: admin,
      body: { file: Buffer.from(tsv, 'utf8').toString('base64'), filename: 'people.tsv', mapping: { Name: 'name', Phone: 'phone', Tags: 'tags' } },
    });
    expect(json.status).toBe(201);
    expect(json.body).toMatchObject({ encoding: 'utf-8', delimiter: '\t', totals: { created: 1 } });
    expect(await hub.query(`SELECT c.tags FROM contact c JOIN contact_identity i ON i.contact_id = c.id WHERE i.value = '+442079460958'`)).toEqual([{ tags: ['uk', 'partner'] }]);
  });

  it('bad files and mappings get a clear 400 and change nothing', async () => {
    const before = await counts();
    const cases: Array<[Buffer | string, string, RegExp]> = [
      [Buffer.from('not a zip at all'), XLSX, /not an XLSX workbook/],
      [Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 7)]), XLSX, /XLSX workbook is broken/],
      [iconv.encode('Иван Петров;+79161112233\nОльга;+79161112244\n', 'windows-1251'), CSV, /row 1 should name the columns .*add a header row/],
      [Buffer.concat([Buffer.from('Name;Phone\n'), Buffer.from([0x89, 0x99, 0x86, 0x87, 0x95, 0x83]), Buffer.from(';+79161112233\n')]), CSV, /neither UTF-8 nor windows-1251/],
      [Buffer.from([0x4e, 0x61, 0x00, 0x6d, 0x65, 0x00, 0x01, 0x02]), CSV, /binary/],
      ['Name;Phone\n', CSV, /header row but no data rows/],
      ['\n\n', CSV, /no rows/],
    ];
    for (const [body, type, message] of cases) {
      for (const path of ['/api/import/inspect', '/api/import']) {
        const res = await upload(path, body, type);
        expect({ path, status: res.status, error: res.body?.error, field: Object.keys(res.body?.fields ?? {}) }).toEqual({ path, status: 400, error: 'invalid', field: ['file'] });
        expect(res.body.message).toMatch(message);
      }
    }
    const csv = 'Name,Phone\nA,+79161112233\n';
    expectError(await upload(`/api/import?mapping=${encodeURIComponent('{"Nope":"phone"}')}`, csv), 400, 'invalid', ['mapping']);
    expectError(await upload(`/api/import?mapping=${encodeURIComponent('{"Name":"name"}')}`, csv), 400, 'invalid', ['mapping']);
    expectError(await upload(`/api/import?mapping=${encodeURIComponent('{"Phone":"fax"}')}`, csv), 400, 'invalid', ['mapping']);
    expectError(await upload(`/api/import?mapping=notjson`, csv), 400, 'invalid', ['mapping']);
    expectError(await hub.request({ method: 'POST', url: '/api/import', token: admin, body: { nothing: true } }), 400, 'invalid', ['file']);
    expect(await counts()).toEqual(before);
  });

  it('import is for admins; uploads over the size cap are refused', async () => {
    const res = await upload('/api/import/inspect', 'Name,Phone\nA,+79161112233\n', CSV, anna.token);
    expect(res.status).toBe(403);
    const big = await upload('/api/import/inspect', Buffer.alloc(45 * 1024 * 1024, 0x41));
    expect(big.status).toBe(413);
  });

  it('exports contacts and deals as CSV (streamed, UTF-8 with BOM), scoped for managers', async () => {
    const res = await hub.request({ url: '/api/export/contacts.csv', token: admin });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="contacts.csv"');
    expect(res.text.startsWith('\ufeffid,name,phones,emails,telegram,company,owner_email,tags,created_at,last_activity_at\r\n')).toBe(true);
    const lines = res.text.trim().split('\r\n');
    const [{ n }] = await hub.query(`SELECT count(*)::int AS n FROM contact WHERE merged_into_id IS NULL`);
    expect(lines).toHaveLength(n + 1);
    expect(lines.find((l) => l.includes('Иванов Иван'))).toMatch(/,Иванов Иван,\+79120000001,ivan@romashka\.ru,,Ромашка,anna\.import@test\.local,"vip, опт",/);

    const deals = await hub.request({ url: '/api/export/deals.csv', token: anna.token });
    expect(deals.status).toBe(200);
    const dealLines = deals.text.trim().split('\r\n');
    // Header, Anna's web-form lead (she was the one available manager) and her imported deal; admin's see all.
    expect(dealLines).toHaveLength(3);
    expect(dealLines.find((l) => l.includes('Поставка'))).toMatch(/,Поставка,.*,Иванов Иван,proposal,15000\.50,anna\.import@test\.local,import,/);
    const annasContacts = await hub.request({ url: '/api/export/contacts.csv', token: anna.token });
    expect(annasContacts.text.trim().split('\r\n').map((l) => l.split(',')[1])).toEqual(expect.arrayContaining(['name', 'Web Lead', 'Иванов Иван']));
    expect(annasContacts.text.trim().split('\r\n')).toHaveLength(3);
    const allDeals = await hub.request({ url: '/api/export/deals.csv', token: admin });
    const [{ d }] = await hub.query(`SELECT count(*)::int AS d FROM deal`);
    expect(allDeals.text.trim().split('\r\n')).toHaveLength(d + 1);
  });

  // Only a database server runs two transactions at once; the embedded one takes them in turn.
  if (usingPostgres()) {
    it('a lead that arrives with the same phone while the import runs ends up one person with it, not two', async () => {
      const lead = new Client({ connectionString: hub.db.env.DATABASE_URL });
      await lead.connect();
      try {
        // The lead's transaction has written its contact and phone, not yet committed, when the import matches.
        await lead.query('BEGIN');
        const [{ id: leadContact }] = (await lead.query(`INSERT INTO contact (name) VALUES ('Walk-in') RETURNING id`)).rows;
        await lead.query(`INSERT INTO contact_identity (contact_id, kind, value) VALUES ($1, 'phone', '+79167770001')`, [leadContact]);
        const mapping = encodeURIComponent(JSON.stringify({ Name: 'name', Phone: 'phone', Note: 'note' }));
        const importing = upload(`/api/import?mapping=${mapping}`, 'Name,Phone,Note\nRace Person,+7 916 777-00-01,from the file\n');
        // The import's own insert of that phone waits for the lead's transaction.
        const waiting = async () => (await hub.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%contact_identity%'`))[0].n;
        for (const until = Date.now() + 10_000; (await waiting()) === 0; ) {
          if (Date.now() > until) throw new Error('the import never reached the phone');
          await new Promise((r) => setTimeout(r, 50));
        }
        await lead.query('COMMIT');
        const res = await importing;
        expect(res.status).toBe(201);
        expect(res.body.totals).toMatchObject({ rows: 1, created: 0, merged: 1, skipped: 0, notes: 1 });
        expect(res.body.rows).toEqual([{ row: 2, outcome: 'merged', contactId: leadContact, reason: 'its phone or email reached the hub as a lead during the import' }]);
        const live = await hub.query(
          `SELECT c.id, c.name FROM contact c JOIN contact_identity ci ON ci.contact_id = c.id WHERE ci.value = '+79167770001' AND c.merged_into_id IS NULL`,
        );
        expect(live).toEqual([{ id: leadContact, name: 'Walk-in' }]);
        expect(await hub.query(`SELECT contact_id FROM activity WHERE kind = 'note' AND payload->>'text' = 'from the file'`)).toEqual([{ contact_id: leadContact }]);
        expect(await hub.query(`SELECT merged_into_id FROM contact WHERE name = 'Race Person'`)).toEqual([{ merged_into_id: leadContact }]);
      } finally {
        await lead.query('ROLLBACK').catch(() => undefined);
        await lead.end();
      }
    });
  }
});
