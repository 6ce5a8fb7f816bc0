import { IntakeService } from '@leadline/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { dbMoveCommand } from '../../apps/hub/src/cli/db-move';
import { moveDatabase } from '../../apps/hub/src/database/move/move-database';
import { raiseFormRateLimit } from '../http/http-helpers';
import { postgresReachable, scratchDatabase } from '../support/postgres-server';
import { postGenericCall } from '../support/pbx';
import { TestHub, type InjectResponse } from '../support/test-hub';

const SECRET = 'pbx-shared-secret-0123456789';

/**
 * npm run db:move: a file-backed embedded database with every kind of record is moved into an empty
 * PostgreSQL database; a hub started there shows the same contacts, timelines and reports.
 */
describe('db:move from the embedded database to PostgreSQL', () => {
  let dir: string;
  let pgliteEnv: Record<string, string>;
  let available = false;
  const dbs: Array<{ drop: () => Promise<void> }> = [];

  beforeAll(async () => {
    available = await postgresReachable();
    if (!available) {
      console.warn('db:move tests skipped: no PostgreSQL server (set DATABASE_URL or LEADLINE_TEST_POSTGRES)');
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'leadline-move-'));
    pgliteEnv = { PGLITE_DATA_DIR: join(dir, 'pglite'), TELEPHONY_WEBHOOK_SECRET: SECRET, DATABASE_URL: '' };
  });
  afterAll(async () => {
    for (const db of dbs) await db.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** What a user sees: contacts, each timeline, companies, tasks, reports, outbox, managers. */
  async function snapshot(hub: TestHub): Promise<Record<string, unknown>> {
    const admin = await hub.adminToken();
    const get = async (url: string) => {
      const res: InjectResponse = await hub.request({ url, token: admin });
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${res.text}`);
      return res.body;
    };
    const contacts = await get('/api/contacts?limit=100');
    const out: Record<string, unknown> = { contacts };
    for (const c of contacts.items) {
      out[`contact ${c.id}`] = await get(`/api/contacts/${c.id}`);
      out[`timeline ${c.id}`] = await get(`/api/contacts/${c.id}/timeline?limit=100`);
    }
    const range = `from=2026-01-01&to=2026-12-31`;
    for (const r of ['funnel', 'sources', 'managers', 'sla']) out[`report ${r}`] = await get(`/api/reports/${r}?${range}`);
    out.companies = await get('/api/companies');
    out.tasks = await get('/api/tasks?limit=200');
    out.outbox = await get('/api/outbox?status=dead');
    out.managers = await get('/api/managers');
    out.pipelines = await get('/api/pipelines');
    out.audit = await get('/api/audit?limit=200');
    return out;
  }

  it('moves every kind of record, sequences included, verifies them, and the hub on PostgreSQL shows the same', async () => {
    if (!available) return;
    const hub = await TestHub.start(pgliteEnv);
    let before: Record<string, unknown>;
    let turnBefore: string;
    try {
      hub.clock.set('2026-11-20T09:00:00Z');
      await raiseFormRateLimit(hub);
      const admin = await hub.adminToken();
      const anna = await hub.createManager({ name: 'Anna', phone: '+79161110001' });
      const boris = await hub.createManager({ name: 'Boris' });
      // Form leads with UTM, one repeat lead, a company, a note.
      const leads = [];
      for (let i = 0; i < 6; i++) {
        const res = await hub.postForm({ name: `Client ${i}`, phone: `+7 912 300-00-0${i}`, email: `client${i}@acme${i % 2}.example`, utm_source: i % 2 ? 'google' : 'yandex', message: `hello ${i}` });
        expect(res.status).toBe(201);
        leads.push(res.body);
      }
      expect((await hub.postForm({ name: 'Client 0', phone: '+7 912 300-00-00', message: 'again' })).status).toBe(201);
      const company = await hub.request({ method: 'POST', url: '/api/companies', token: admin, body: { name: 'Acme LLC', domain: 'acme0.example' } });
      expect(company.status).toBe(201);
      expect((await hub.request({ method: 'POST', url: `/api/companies/${company.body.id}/contacts`, token: admin, body: { contactId: leads[0].contactId } })).status).toBeLessThan(300);
      expect((await hub.request({ method: 'POST', url: `/api/contacts/${leads[1].contactId}/notes`, token: admin, body: { text: 'VIP' } })).status).toBe(201);
      // Tasks in every state: done, snoozed, cancelled by a stage change, overdue.
      expect((await hub.request({ method: 'POST', url: `/api/tasks/${leads[2].taskId}/complete`, token: admin })).status).toBeLessThan(300);
      expect((await hub.request({ method: 'POST', url: `/api/tasks/${leads[3].taskId}/snooze`, token: admin, body: { until: '2026-11-21T10:00:00Z' } })).status).toBeLessThan(300);
      expect((await hub.request({ method: 'PATCH', url: `/api/deals/${leads[4].dealId}`, token: admin, body: { stage: 'lost', lostReason: 'too expensive' } })).status).toBe(200);
      expect((await hub.request({ method: 'PATCH', url: `/api/deals/${leads[5].dealId}`, token: admin, body: { stage: 'won' } })).status).toBe(200);
      // A phone lead with an answered call and a recording, through the PBX webhook.
      const pbx = (body: unknown) => postGenericCall(hub, SECRET, body);
      expect((await pbx({ callId: 'move-1', event: 'started', direction: 'inbound', from: '+79035550303', to: '+74951234567', callerName: 'Caller' })).status).toBe(200);
      expect((await pbx({ callId: 'move-1', event: 'completed', answered: true, manager: { phone: '+79161110001' }, durationSeconds: 70, sequence: 2 })).status).toBe(200);
      expect((await pbx({ callId: 'move-1', event: 'recording', recording: { url: 'https://pbx.example.com/rec/m.mp3', durationSeconds: 70 } })).status).toBe(200);
      expect((await pbx({ callId: 'move-2', event: 'missed', direction: 'inbound', from: '+79035550404', to: '+74951234567' })).status).toBe(200);
      // Telegram and email leads through the core's intake (as their channels call it): a photo, an email with an attachment.
      const intake = hub.app.get(IntakeService);
      const tgRaw = { update_id: 777001, message: { message_id: 5, from: { id: 5550001, username: 'tguser' }, photo: [{ file_id: 'AgACAgIAAxkBAAIB' }] } };
      const tg = await intake.ingest({
        channel: 'telegram',
        externalId: 'client:777001',
        contact: { name: 'Tg User', identities: [{ kind: 'telegram', value: '5550001', details: { username: 'tguser' } }] },
        message: { text: 'photo of the part', details: { media: { type: 'photo', fileId: 'AgACAgIAAxkBAAIB', fileUniqueId: 'AQAD', width: 800, height: 600 } } },
      }, tgRaw);
      if ('failed' in tg) throw new Error(tg.error);
      const mail = await intake.ingest({ channel: 'email', externalId: '<move-1@mail.example>', contact: { name: 'Mail User', emails: ['mail.user@example.org'] }, message: { subject: 'Quote', text: 'Please quote' } }, { raw: 'From: mail.user@example.org' });
      if ('failed' in mail) throw new Error(mail.error);
      const [{ id: emailId }] = await hub.query(`INSERT INTO email_message (external_id, html, contact_id, activity_id) VALUES ('<move-1@mail.example>', '<p>Please quote</p>', $1, $2) RETURNING id`, [mail.contactId, mail.activityId]);
      await hub.query(`INSERT INTO email_attachment (email_id, position, filename, content_type, size, content) VALUES ($1, 0, 'spec.bin', 'application/octet-stream', 256, $2)`, [emailId, Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
      expect(tg.contactId).toBeDefined();
      // A merged contact (self reference) and outbox rows in several states.
      await hub.query(`INSERT INTO contact (name, merged_into_id) VALUES ('Client 0 (old)', $1)`, [leads[0].contactId]);
      await hub.query(`UPDATE outbox SET status = 'dead', attempts = 8, last_error = 'chat not found' WHERE id = (SELECT id FROM outbox ORDER BY created_at LIMIT 1)`);
      await hub.query(`UPDATE outbox SET status = 'done' WHERE id = (SELECT id FROM outbox WHERE status = 'pending' ORDER BY created_at LIMIT 1)`);
      expect(boris.id).toBeDefined();
      expect(anna.id).toBeDefined();
      before = await snapshot(hub);
      [{ turnBefore }] = await hub.query(`SELECT last_value::text AS "turnBefore" FROM assignment_turn_seq`);
    } finally {
      await hub.stop();
    }

    // Refuses a target that is not empty.
    const used = await scratchDatabase('leadline_move_used');
    dbs.push(used);
    const c = new Client({ connectionString: used.url });
    await c.connect();
    await c.query('CREATE TABLE keep_me (id int)');
    await c.end();
    await expect(moveDatabase({ pgliteDir: pgliteEnv.PGLITE_DATA_DIR, targetUrl: used.url })).rejects.toThrow(/is not empty \(1 tables/);

    // The real move, through the npm script's command, into a database that does not exist yet (created).
    const target = await scratchDatabase('leadline_move', false);
    dbs.push(target);
    const out: string[] = [];
    const errors: string[] = [];
    const code = await dbMoveCommand(['--to', target.url, '--from', pgliteEnv.PGLITE_DATA_DIR], (l) => out.push(l), (l) => errors.push(l));
    expect({ code, errors }).toEqual({ code: 0, errors: [] });
    const stdout = out.join('\n');
    expect(stdout).toMatch(/moved \d+ rows in \d+ tables and \d+ sequences .* counts and checksums match/);
    expect(stdout).toMatch(/^contact: 11 rows$/m);

    const pgHub = await TestHub.start({ DATABASE_URL: target.url, TELEPHONY_WEBHOOK_SECRET: SECRET, PGLITE_DATA_DIR: '' }, undefined, {
      existing: { env: { DATABASE_URL: target.url }, kind: 'postgres', drop: async () => undefined },
    });
    try {
      pgHub.clock.set('2026-11-20T09:00:00Z');
      const after = await snapshot(pgHub);
      for (const key of Object.keys(before!)) expect({ key, value: after[key] }).toEqual({ key, value: before![key] });
      const [{ turnAfter }] = await pgHub.query(`SELECT last_value::text AS "turnAfter" FROM assignment_turn_seq`);
      expect(turnAfter).toBe(turnBefore!);
      // The derived rows came along (call facts, stages reached), and the triggers work again for new rows.
      expect(Number((await pgHub.query(`SELECT count(*) AS n FROM call_fact`))[0].n)).toBe(2);
      const [bin] = await pgHub.query(`SELECT content FROM email_attachment`);
      expect(Buffer.compare(bin.content, Buffer.from(Array.from({ length: 256 }, (_, i) => i)))).toBe(0);
      const lead = await pgHub.postForm({ name: 'After move', phone: '+7 912 300-00-99' });
      expect(lead.status).toBe(201);
      const [{ turnNext }] = await pgHub.query(`SELECT last_value::text AS "turnNext" FROM assignment_turn_seq`);
      expect(BigInt(turnNext)).toBe(BigInt(turnBefore!) + 1n);
    } finally {
      await pgHub.stop();
    }
    // A second move into the now-filled database is refused.
    const refused: string[] = [];
    expect(await dbMoveCommand(['--to', target.url, '--from', pgliteEnv.PGLITE_DATA_DIR], () => undefined, (l) => refused.push(l))).toBe(1);
    expect(refused).toEqual([expect.stringMatching(/^db:move: postgres:\/\/.* is not empty \(\d+ tables or sequences in schema public\); db:move only fills an empty database$/)]);
  }, 300_000);
});
