import { expectError, raiseFormRateLimit } from '../http/http-helpers';
import { postGenericCall } from '../support/pbx';
import { TestHub } from '../support/test-hub';

const SECRET = 'pbx-shared-secret-0123456789';
const PHONE = '+79035550101';
const EMAIL = 'olga.private@example.com';

/** Personal data: export everything on one person, erase them, keep their calls as anonymous report counts. */
describe('personal data export and erasure', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let contactId: string;
  let mergedId: string;
  let otherContactId: string;
  let emailId: string;
  let attachmentId: string;

  const pbx = (body: unknown) => postGenericCall(hub, SECRET, body);
  const count = async (sql: string, params: unknown[] = []) => Number((await hub.query<{ n: string }>(sql, params))[0].n);

  beforeAll(async () => {
    hub = await TestHub.start({ TELEPHONY_WEBHOOK_SECRET: SECRET });
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna', phone: '+79161110001' });
    // The person: a form lead, a note, an answered call with a recording, an email with an attachment,
    // an older contact merged into them.
    const lead = await hub.postForm({ name: 'Olga Private', phone: PHONE, email: EMAIL, message: 'my secret wish', utm_source: 'google' });
    expect(lead.status).toBe(201);
    contactId = lead.body.contactId;
    expect((await hub.request({ method: 'POST', url: `/api/contacts/${contactId}/notes`, token: admin, body: { text: 'prefers evenings' } })).status).toBe(201);
    expect((await pbx({ callId: 'pbx-pd-1', event: 'started', direction: 'inbound', from: PHONE, to: '+74951234567' })).status).toBe(200);
    expect((await pbx({ callId: 'pbx-pd-1', event: 'answered', manager: { phone: '+79161110001' }, sequence: 2 })).status).toBe(200);
    expect((await pbx({ callId: 'pbx-pd-1', event: 'completed', durationSeconds: 95, sequence: 3 })).status).toBe(200);
    expect((await pbx({ callId: 'pbx-pd-1', event: 'recording', recording: { url: 'https://pbx.example.com/rec/pd.mp3', durationSeconds: 95 } })).status).toBe(200);
    const [activity] = await hub.query<{ id: string; deal_id: string }>(`SELECT id, deal_id FROM activity WHERE contact_id = $1 AND kind = 'lead'`, [contactId]);
    [{ id: emailId }] = await hub.query(`INSERT INTO email_message (external_id, html, contact_id, activity_id) VALUES ('<pd@x>', '<p>private mail</p>', $1, $2) RETURNING id`, [contactId, activity.id]);
    [{ id: attachmentId }] = await hub.query(
      `INSERT INTO email_attachment (email_id, position, filename, content_type, size, content) VALUES ($1, 0, 'passport.pdf', 'application/pdf', 5, '\\x2550444621'::bytea) RETURNING id`,
      [emailId],
    );
    [{ id: mergedId }] = await hub.query(`INSERT INTO contact (name, merged_into_id) VALUES ('Olga (old)', $1) RETURNING id`, [contactId]);
    await hub.query(`INSERT INTO contact_identity (contact_id, kind, value) VALUES ($1, 'email', 'olga.old@example.com')`, [mergedId]);
    // Someone else, who must not be touched.
    const other = await hub.postForm({ name: 'Pavel Other', phone: '+79035550202' });
    otherContactId = other.body.contactId;
    expect((await pbx({ callId: 'pbx-pd-2', event: 'started', direction: 'inbound', from: '+79035550202', to: '+74951234567' })).status).toBe(200);
    expect((await pbx({ callId: 'pbx-pd-2', event: 'completed', answered: true, manager: { phone: '+79161110001' }, durationSeconds: 30, sequence: 2 })).status).toBe(200);
  });
  afterAll(() => hub?.close());

  it('exports everything the hub holds on the person as a JSON download, with file links or embedded files', async () => {
    const res = await hub.request({ url: `/api/contacts/${contactId}/personal-data`, token: admin });
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="personal-data-${contactId}.json"`);
    const data = res.body;
    expect(data.contact).toMatchObject({ id: contactId, name: 'Olga Private' });
    expect(data.mergedContacts).toEqual([expect.objectContaining({ id: mergedId, name: 'Olga (old)' })]);
    expect(data.identities.map((i: { value: string }) => i.value).sort()).toEqual([PHONE, EMAIL, 'olga.old@example.com'].sort());
    expect(data.deals).toHaveLength(1);
    expect(data.deals[0].source.utm).toMatchObject({ source: "google" });
    expect(data.tasks.length).toBeGreaterThanOrEqual(1);
    const kinds = data.timeline.map((a: { kind: string }) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['lead', 'note', 'call_in']));
    expect(JSON.stringify(data.timeline)).toContain('my secret wish');
    expect(data.calls).toEqual([expect.objectContaining({ provider_call_id: 'pbx-pd-1', recording_url: 'https://pbx.example.com/rec/pd.mp3' })]);
    expect(data.callEvents.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['answered', 'completed', 'recording']));
    expect(data.emails).toEqual([expect.objectContaining({ id: emailId, html: '<p>private mail</p>' })]);
    expect(data.emailAttachments).toEqual([expect.objectContaining({ id: attachmentId, filename: 'passport.pdf', download: `/api/attachments/${attachmentId}` })]);
    expect(data.files).toEqual(
      expect.arrayContaining([
        { kind: 'email_attachment', id: attachmentId, download: `/api/attachments/${attachmentId}`, name: 'passport.pdf', contentType: 'application/pdf' },
        { kind: 'call_recording', id: data.calls[0].id, download: `/api/calls/${data.calls[0].id}/recording` },
      ]),
    );
    expect(data.receipts.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(data.receipts)).toContain(PHONE);
    expect(JSON.stringify(data)).not.toContain('Pavel Other');

    const inline = await hub.request({ url: `/api/contacts/${contactId}/personal-data?includeFiles=true`, token: admin });
    expect(Buffer.from(inline.body.emailAttachments[0].contentBase64, 'base64').toString('latin1')).toBe('%PDF!');

    const [entry] = (await hub.request({ url: `/api/audit?action=contact.export_personal_data`, token: admin })).body.items;
    expect(entry).toMatchObject({ entityId: contactId, actor: { name: 'Admin' } });
  });

  it('is for admins only; unknown contacts are 404', async () => {
    expect((await hub.request({ url: `/api/contacts/${contactId}/personal-data`, token: anna.token })).status).toBe(403);
    expect((await hub.request({ method: 'DELETE', url: `/api/contacts/${contactId}/personal-data`, token: anna.token })).status).toBe(403);
    expectError(await hub.request({ url: `/api/contacts/00000000-0000-4000-8000-000000000000/personal-data`, token: admin }), 404, 'not_found');
    expectError(await hub.request({ method: 'DELETE', url: `/api/contacts/00000000-0000-4000-8000-000000000000/personal-data`, token: admin }), 404, 'not_found');
  });

  it('erases the person with identities, messages, media and recordings; calls stay as anonymous counts; the audit log records it', async () => {
    const month = new Date().toISOString().slice(0, 10);
    const managersReport = async () => {
      const res = await hub.request({ url: `/api/reports/managers?from=${month}&to=${month}`, token: admin });
      expect(res.status).toBe(200);
      return res.body.managers.find((r: { managerId: string }) => r.managerId === anna.id);
    };
    const before = await managersReport();
    expect(before).toMatchObject({ callsAnswered: 2 });
    const factsBefore = await count(`SELECT count(*) AS n FROM call_fact`);

    const res = await hub.request({ method: 'DELETE', url: `/api/contacts/${contactId}/personal-data`, token: admin });
    expect(res.status).toBe(200);
    expect(res.body.deleted).toMatchObject({ contact: 2, deal: 1, activity: expect.any(Number), call: 1, email_message: 1 });

    const leftovers = `
      SELECT (SELECT count(*) FROM contact WHERE id IN ($1, $2))
           + (SELECT count(*) FROM contact_identity WHERE value IN ($3, $4, 'olga.old@example.com'))
           + (SELECT count(*) FROM activity WHERE contact_id IN ($1, $2))
           + (SELECT count(*) FROM deal WHERE contact_id IN ($1, $2))
           + (SELECT count(*) FROM task WHERE contact_id IN ($1, $2))
           + (SELECT count(*) FROM call WHERE provider_call_id = 'pbx-pd-1')
           + (SELECT count(*) FROM email_message WHERE id = $5)
           + (SELECT count(*) FROM email_attachment WHERE id = $6) AS n`;
    expect(await count(leftovers, [contactId, mergedId, PHONE, EMAIL, emailId, attachmentId])).toBe(0);
    // Nothing of the person anywhere in the database's text: receipts, notices, outbox, audit log.
    for (const table of ['inbound_receipt', 'notification', 'outbox', 'audit_log', 'call_event', 'activity']) {
      const rows = await hub.query(`SELECT to_jsonb(t)::text AS row FROM ${table} t`);
      const text = rows.map((r: { row: string }) => r.row).join('\n');
      for (const secret of [PHONE, EMAIL, 'Olga', 'my secret wish', 'prefers evenings', 'pd.mp3']) expect({ table, found: text.includes(secret) ? secret : null }).toEqual({ table, found: null });
    }
    // The other person is untouched; the calls still count.
    expect((await hub.request({ url: `/api/contacts/${otherContactId}`, token: admin })).status).toBe(200);
    expect(await count(`SELECT count(*) AS n FROM call_fact`)).toBe(factsBefore);
    expect(await managersReport()).toMatchObject({ callsAnswered: 2, talkSeconds: before.talkSeconds });

    expectError(await hub.request({ url: `/api/contacts/${contactId}`, token: admin }), 404, 'not_found');
    expect((await hub.request({ method: 'DELETE', url: `/api/contacts/${contactId}/personal-data`, token: admin })).status).toBe(404);
    const [entry] = (await hub.request({ url: `/api/audit?action=contact.erase`, token: admin })).body.items;
    expect(entry).toMatchObject({ entityId: contactId, actor: { name: 'Admin' }, details: { deleted: res.body.deleted } });
    // The same phone writing again is a new person.
    const again = await hub.postForm({ name: 'Olga Again', phone: PHONE });
    expect(again.status).toBe(201);
    expect(again.body.contactId).not.toBe(contactId);
  });
});
