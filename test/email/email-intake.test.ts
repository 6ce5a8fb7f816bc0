import { ChannelStatusRegistry } from '@leadline/core';
import { TestHub } from '../support/test-hub';
import { corpusFile, corpusFiles, plainMessage } from './support/corpus';
import { Dovecot } from './support/dovecot';
import { waitFor } from './support/wait';

/**
 * A real Dovecot on loopback, a hub watching its INBOX (env mailbox), mail delivered by IMAP APPEND:
 * the corpus lands as leads / messages / bounces / nothing, exactly once.
 */
describe('email intake from a real IMAP server', () => {
  let dovecot: Dovecot;
  let hub: TestHub;
  let admin: string;

  beforeAll(async () => {
    dovecot = await Dovecot.start();
    hub = await TestHub.start({
      ...dovecot.imapEnv(),
      MAIL_FROM: 'crm@test.local',
      IMAP_POLL_SECONDS: '1',
      MAIL_FORM_SENDERS: 'forms@tilda.ws, wordpress@shop.example.ru',
      MAIL_ATTACHMENT_MAX_KB: '1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    admin = await hub.adminToken();
  });
  afterAll(async () => {
    await hub?.close();
    await dovecot?.destroy();
  });

  const lastUid = async () => Number((await hub.query(`SELECT last_uid FROM mailbox_state`))[0]?.last_uid ?? 0);
  const caughtUp = (uid: number) => waitFor(`last uid ${uid}`, async () => (await lastUid()) >= uid);
  const contactByEmail = async (email: string) =>
    (await hub.query(`SELECT c.id, c.name FROM contact c JOIN contact_identity i ON i.contact_id = c.id WHERE i.kind = 'email' AND i.value = $1`, [email]))[0];
  const activitiesOf = (contactId: string) => hub.query(`SELECT id, kind, deal_id, payload FROM activity WHERE contact_id = $1 ORDER BY occurred_at, created_at`, [contactId]);

  it('takes the whole corpus: leads for people and form notifications, nothing for auto-replies and our own mail', async () => {
    const uids = await dovecot.deliver(corpusFiles().map(corpusFile));
    await caughtUp(uids[uids.length - 1]);

    const leads = await hub.query(`SELECT kind, payload FROM activity WHERE channel = 'email' AND kind IN ('lead', 'repeat_lead', 'message_in') ORDER BY created_at`);
    const subjects = leads.map((a: any) => a.payload.subject);
    // 01-11, 17, 18, 20, 21, 22: people and forms. 12-14 auto-replies, 15-16 bounces, 19 our own.
    expect(leads).toHaveLength(16);
    for (const s of ['Automatic reply: Price for 20 licenses', 'Автоответ', 'November digest', 'Undelivered Mail Returned to Sender', 'failure notice']) expect(subjects).not.toContain(s);
    expect(await contactByEmail('crm@test.local')).toBeUndefined();
    expect(await contactByEmail('news@vendor.example')).toBeUndefined();
    expect(await contactByEmail('mailer-daemon@mx.test.local')).toBeUndefined();

    // Charsets decoded all the way to the database.
    expect((await contactByEmail('olga@example.ru')).name).toBe('Ольга Сидорова');
    expect((await contactByEmail('petr@example.ru')).name).toBe('Пётр Волков');
    const [koi] = await activitiesOf((await contactByEmail('petr@example.ru')).id);
    expect(koi.kind).toBe('lead');
    expect(koi.payload).toMatchObject({ subject: 'Счёт на оплату', message: expect.stringContaining('ООО "Ромашка"') });
    expect(koi.payload.details).toMatchObject({ messageId: '<koi8-008@example.ru>', mailboxId: expect.any(String) });

    // Reply-To wins over a no-reply From.
    expect((await contactByEmail('farid@example.az')).name).toBe('Farid Aliyev');
    expect(await contactByEmail('noreply@chat-service.example')).toBeUndefined();

    // Anna's follow-ups (11, 22) are messages on her open deal: no second deal, no second callback task.
    const anna = await contactByEmail('anna.petrova@example.com');
    const annaActivities = await activitiesOf(anna.id);
    expect(annaActivities.filter((a: any) => a.kind === 'lead')).toHaveLength(1);
    expect(annaActivities.filter((a: any) => a.kind === 'message_in')).toHaveLength(2);
    expect(new Set(annaActivities.filter((a: any) => a.deal_id).map((a: any) => a.deal_id)).size).toBe(1);
    // "My phone is +7 999 123-45-67." in her first email: a phone identity marked as found in the text.
    const [annaPhone] = await hub.query(`SELECT value, details FROM contact_identity WHERE contact_id = $1 AND kind = 'phone'`, [anna.id]);
    expect(annaPhone).toEqual({ value: '+79991234567', details: { input: '+7 999 123-45-67', foundInText: true } });
    expect(annaActivities.find((a: any) => a.kind === 'identity_added').payload).toMatchObject({ foundInText: true, identities: [{ kind: 'phone', value: '+79991234567' }] });
    expect((await hub.query(`SELECT count(*)::int AS n FROM task WHERE contact_id = $1`, [anna.id]))[0].n).toBe(1);

    // Form notifications: a form lead with phone and email identities, as if the form had posted.
    const [gleb] = await hub.query(
      `SELECT c.id, c.name, array_agg(i.kind || ':' || i.value ORDER BY i.kind) AS ids FROM contact c JOIN contact_identity i ON i.contact_id = c.id
        WHERE c.name = 'Gleb Morozov' GROUP BY c.id`,
    );
    expect(gleb.ids).toEqual(['email:gleb@example.com', 'phone:+79165551234']);
    const [glebLead] = await activitiesOf(gleb.id);
    expect(glebLead.payload).toMatchObject({ message: 'Call me after 18:00', source: { utm: { source: 'yandex', campaign: 'winter' } } });
    const [zarina] = await hub.query(`SELECT i.value FROM contact c JOIN contact_identity i ON i.contact_id = c.id WHERE c.name = 'Зарина Юсупова'`);
    expect(zarina.value).toBe('+998901234567');
    expect(await contactByEmail('forms@tilda.ws')).toBeUndefined();

    // The message without a Message-ID is keyed by the mailbox and its content.
    const [receipt] = await hub.query(`SELECT external_id FROM inbound_receipt WHERE raw::jsonb->'from'->>'address' = 'hana@example.cz'`);
    expect(receipt.external_id).toMatch(/^[0-9a-f-]{36}:sha256:[0-9a-f]{64}$/);

    const status = hub.app.get(ChannelStatusRegistry).list().find((s) => s.channel === 'email');
    expect(status).toMatchObject({ name: 'crm@test.local', status: 'connected' });
  });

  it('serves email HTML only sanitised, and attachments through the authenticated API', async () => {
    const igor = await contactByEmail('igor@example.com');
    const [act] = await activitiesOf(igor.id);
    expect(act.payload.details.html).toBe(true);
    const res = await hub.request({ url: `/api/activities/${act.id}/html`, token: admin });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.text).toContain('https://example.com/offer');
    expect(res.text).not.toMatch(/<script|onload|onerror|javascript:|<iframe|<form|tracker\.example/i);
    // The raw HTML is kept as received.
    const [raw] = await hub.query(`SELECT html FROM email_message WHERE message_id = '<xss-021@example.com>'`);
    expect(raw.html).toContain('<script>');
    expect((await hub.request({ url: `/api/activities/${act.id}/html` })).status).toBe(401);

    // An inline (cid:) image shows: served from the stored part, inside the same sanitised document.
    const elena = await contactByEmail('elena@example.com');
    const [withImage] = await activitiesOf(elena.id);
    const inlineHtml = await hub.request({ url: `/api/activities/${withImage.id}/html`, token: admin });
    expect(inlineHtml.status).toBe(200);
    expect(inlineHtml.text).toMatch(/<img alt="logo" src="data:image\/png;base64,iVBORw0KGgo[^"]+" \/>/);
    expect(inlineHtml.text).not.toContain('cid:');
    expect(inlineHtml.headers['content-security-policy']).toContain('img-src data:');

    const dmitry = await contactByEmail('dmitry@example.com');
    const [withFile] = await activitiesOf(dmitry.id);
    const [file] = withFile.payload.details.attachments;
    expect(file).toMatchObject({ filename: 'requirements.pdf', contentType: 'application/pdf', size: 69, stored: true });
    const download = await hub.request({ url: `/api/attachments/${file.id}`, token: admin });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toContain('attachment; filename="requirements.pdf"');
    expect(download.text.startsWith('%PDF-1.4')).toBe(true);

    // Over the cap (1 KB here): listed, not stored.
    const big = Buffer.alloc(3000, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
    const uid = (await dovecot.deliver([
      [
        'From: Big Sender <big@example.com>',
        'To: crm@test.local',
        'Subject: Big file',
        'Message-ID: <big-file@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Attached.',
        '--b',
        'Content-Type: application/octet-stream; name="big.bin"',
        'Content-Disposition: attachment; filename="big.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        big,
        '--b--',
        '',
      ].join('\r\n'),
    ]))[0];
    await caughtUp(uid);
    const [bigAct] = await activitiesOf((await contactByEmail('big@example.com')).id);
    const [bigFile] = bigAct.payload.details.attachments;
    expect(bigFile).toMatchObject({ filename: 'big.bin', size: 3000, stored: false });
    const missing = await hub.request({ url: `/api/attachments/${bigFile.id}`, token: admin });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('size limit');

    // A manager who does not own the contact gets 404 for both.
    const other = await hub.createManager({ name: 'Other Manager', available: false });
    expect((await hub.request({ url: `/api/attachments/${file.id}`, token: other.token })).status).toBe(404);
    expect((await hub.request({ url: `/api/activities/${act.id}/html`, token: other.token })).status).toBe(404);
  });

  it('takes a message once, whatever happens: the same Message-ID again changes nothing', async () => {
    const msg = plainMessage({ from: 'dup@example.com', name: 'Dup Client', messageId: '<dup-1@example.com>' });
    const [first] = await dovecot.deliver([msg]);
    await caughtUp(first);
    const count = async () => (await hub.query(`SELECT count(*)::int AS n FROM activity a JOIN contact_identity i ON i.contact_id = a.contact_id WHERE i.value = 'dup@example.com'`))[0].n;
    const before = await count();
    const receipts = (await hub.query(`SELECT count(*)::int AS n FROM inbound_receipt`))[0].n;
    const [second] = await dovecot.deliver([msg]);
    await caughtUp(second);
    expect(await count()).toBe(before);
    expect((await hub.query(`SELECT count(*)::int AS n FROM inbound_receipt`))[0].n).toBe(receipts);
  });

  it('rescans on a UIDVALIDITY change without duplicates, and takes what is new', async () => {
    const before = (await hub.query(`SELECT count(*)::int AS n FROM activity WHERE channel = 'email'`))[0].n;
    const oldValidity = Number((await hub.query(`SELECT uid_validity FROM mailbox_state`))[0].uid_validity);
    await dovecot.setUidValidity(oldValidity + 1000);
    // The watcher notices on its next connection: cut it by restarting the server.
    await dovecot.restart();
    const [uid] = await dovecot.deliver([plainMessage({ from: 'after-rebuild@example.com', messageId: '<after-rebuild@example.com>' })]);
    await waitFor('new UIDVALIDITY taken', async () => {
      const [s] = await hub.query(`SELECT uid_validity, last_uid FROM mailbox_state`);
      return Number(s.uid_validity) === oldValidity + 1000 && Number(s.last_uid) >= uid;
    });
    expect(await contactByEmail('after-rebuild@example.com')).toBeDefined();
    const after = (await hub.query(`SELECT count(*)::int AS n FROM activity WHERE channel = 'email'`))[0].n;
    // Only the new message's lead (+ its task/assignment entries, which are not channel 'email').
    expect(after).toBe(before + 1);
  });

  it('survives the server going away while watching: reconnects and takes mail sent meanwhile', async () => {
    await dovecot.stop();
    await waitFor('mailbox status error', async () => (await hub.query(`SELECT status FROM mailbox`))[0].status === 'error');
    const [row] = await hub.query(`SELECT last_error FROM mailbox`);
    expect(row.last_error).toBeTruthy();
    await dovecot.restart();
    const [uid] = await dovecot.deliver([plainMessage({ from: 'after-outage@example.com', messageId: '<after-outage@example.com>' })]);
    await caughtUp(uid);
    expect(await contactByEmail('after-outage@example.com')).toBeDefined();
    expect((await hub.query(`SELECT status FROM mailbox`))[0].status).toBe('connected');
    // The outage is over: its error text is not left behind for an operator to chase.
    expect((await hub.query(`SELECT last_error FROM mailbox`))[0].last_error).toBeNull();
  });
});
