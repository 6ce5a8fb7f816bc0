import { OutboxWorker } from '@leadline/core';
import { TestHub } from '../support/test-hub';
import { plainMessage } from './support/corpus';
import { Dovecot } from './support/dovecot';
import { SmtpCapture } from './support/smtp-capture';
import { waitFor } from './support/wait';

/**
 * Replies by email and their answers: a manager writes through the API, the outbox sends over SMTP
 * (a real SMTP server records it), the client answers, the answer lands on the same deal.
 */
describe('email conversation round trip', () => {
  let dovecot: Dovecot;
  let smtp: SmtpCapture;
  let hub: TestHub;
  let admin: string;
  let worker: OutboxWorker;
  let adminId: string;

  beforeAll(async () => {
    dovecot = await Dovecot.start();
    smtp = await SmtpCapture.start();
    hub = await TestHub.start({
      ...dovecot.imapEnv(),
      ...smtp.env(),
      MAIL_FROM: 'crm@test.local',
      MAIL_FROM_NAME: 'Acme',
      MAIL_FORM_SENDERS: 'wordpress@acme.example',
      // No polling to speak of: every message in this file must arrive through IMAP IDLE.
      IMAP_POLL_SECONDS: '600',
      OUTBOX_MAX_ATTEMPTS: '2',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    admin = await hub.adminToken();
    worker = hub.app.get(OutboxWorker);
    await hub.query(`UPDATE manager SET name = 'Anna Admin' WHERE email = 'admin@test.local'`);
    adminId = (await hub.query(`SELECT id FROM manager WHERE email = 'admin@test.local'`))[0].id;
  });
  afterAll(async () => {
    await hub?.close();
    await smtp?.close();
    await dovecot?.destroy();
  });

  const lastUid = async () => Number((await hub.query(`SELECT last_uid FROM mailbox_state`))[0]?.last_uid ?? 0);
  const deliverAndWait = async (raw: string) => {
    const [uid] = await dovecot.deliver([raw]);
    await waitFor(`uid ${uid} taken`, async () => (await lastUid()) >= uid);
  };
  const contactOf = async (email: string) =>
    (await hub.query(`SELECT c.id FROM contact c JOIN contact_identity i ON i.contact_id = c.id WHERE i.kind = 'email' AND i.value = $1`, [email]))[0]?.id;
  const activities = (contactId: string) => hub.query(`SELECT id, kind, deal_id, payload FROM activity WHERE contact_id = $1 ORDER BY occurred_at, created_at`, [contactId]);

  it('sends a threaded reply over SMTP, and the client answer (even from another address) joins the same deal', async () => {
    await deliverAndWait(plainMessage({ from: 'vera@client.example', name: 'Vera Client', subject: 'Need 5 chairs', messageId: '<vera-1@client.example>' }));
    const veraId = await contactOf('vera@client.example');
    const [lead] = await activities(veraId);
    expect(lead.kind).toBe('lead');

    const sent = await hub.request({ method: 'POST', url: `/api/contacts/${veraId}/messages`, token: admin, body: { text: 'Hello Vera, 5 chairs cost 500.' } });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ channel: 'email', dealId: lead.deal_id });
    await worker.runOnce(50);
    expect((await hub.query(`SELECT status FROM outbox WHERE id = $1`, [sent.body.outboxId]))[0].status).toBe('done');

    expect(smtp.received).toHaveLength(1);
    const out = smtp.received[0];
    expect(out.to).toEqual(['vera@client.example']);
    expect(out.from).toBe('crm@test.local');
    // From: the manager at the company, not a bare address.
    expect(out.parsed.from?.value[0]).toEqual({ name: 'Anna Admin from Acme', address: 'crm@test.local' });
    expect(out.parsed.subject).toBe('Re: Need 5 chairs');
    // The client's message quoted below the answer, in text and HTML.
    expect(out.parsed.text).toMatch(/^Hello Vera, 5 chairs cost 500\.\n\nOn .+, Vera Client <vera@client\.example> wrote:\n> Hello, please call me back\.\n?$/);
    expect(out.parsed.html).toContain('<blockquote type="cite"');
    expect(out.parsed.html).toContain('Hello, please call me back.</blockquote>');
    expect(out.parsed.html).toMatch(/^<div>Hello Vera, 5 chairs cost 500\.<\/div>/);
    expect(out.parsed.inReplyTo).toBe('<vera-1@client.example>');
    expect(out.parsed.references).toBe('<vera-1@client.example>');
    const ourId = out.parsed.messageId!;
    expect(ourId).toMatch(/^<[0-9a-f-]{36}@test\.local>$/);

    const [outAct] = (await activities(veraId)).filter((a: any) => a.kind === 'message_out');
    expect(outAct.payload).toMatchObject({ status: 'sent', details: { messageId: ourId, inReplyTo: '<vera-1@client.example>', mailboxId: expect.any(String) } });
    // First response recorded, callback task done.
    expect((await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [lead.deal_id]))[0].first_response_at).not.toBeNull();
    expect((await hub.query(`SELECT status FROM task WHERE deal_id = $1`, [lead.deal_id]))[0].status).toBe('done');

    // The client answers from her other address; In-Reply-To names our message.
    await deliverAndWait(
      plainMessage({ from: 'vera.home@other.example', name: 'Vera Client', subject: 'Re: Need 5 chairs', messageId: '<vera-2@other.example>', inReplyTo: ourId, references: ['<vera-1@client.example>', ourId], text: 'Deal. Send the invoice.' }),
    );
    const after = await activities(veraId);
    const answer = after.find((a: any) => a.kind === 'message_in');
    expect(answer).toBeDefined();
    expect(answer.deal_id).toBe(lead.deal_id);
    expect(answer.payload.message).toBe('Deal. Send the invoice.');
    expect(await contactOf('vera.home@other.example')).toBe(veraId);
    expect((await hub.query(`SELECT count(*)::int AS n FROM deal WHERE contact_id = $1`, [veraId]))[0].n).toBe(1);
    expect((await hub.query(`SELECT count(*)::int AS n FROM task WHERE deal_id = $1`, [lead.deal_id]))[0].n).toBe(1);

    // The next reply threads onto the client's answer.
    await hub.request({ method: 'POST', url: `/api/contacts/${veraId}/messages`, token: admin, body: { text: 'Invoice attached soon.' } });
    await worker.runOnce(50);
    const second = smtp.received[1].parsed;
    expect(second.inReplyTo).toBe('<vera-2@other.example>');
    expect(second.references).toEqual(['<vera-1@client.example>', ourId, '<vera-2@other.example>']);
    // It quotes her latest message, not the first one.
    expect(second.text).toContain('> Deal. Send the invoice.');
    expect(second.text).not.toContain('please call me back');

    // A copy of our own message arriving in the inbox (Bcc to self, a forwarder) is not a lead.
    const before = (await hub.query(`SELECT count(*)::int AS n FROM activity`))[0].n;
    await deliverAndWait(smtp.received[1].raw.toString('utf8'));
    expect((await hub.query(`SELECT count(*)::int AS n FROM activity`))[0].n).toBe(before);
  });

  it('shows a bounce of our message on the contact, and marks the message failed', async () => {
    await deliverAndWait(plainMessage({ from: 'gone@client.example', name: 'Gone Client', messageId: '<gone-1@client.example>' }));
    const goneId = await contactOf('gone@client.example');
    await hub.request({ method: 'POST', url: `/api/contacts/${goneId}/messages`, token: admin, body: { text: 'Hello?' } });
    await worker.runOnce(50);
    const ourId = smtp.received[smtp.received.length - 1].parsed.messageId!;
    const dsn = [
      'From: Mail Delivery System <MAILER-DAEMON@mx.client.example>',
      'To: crm@test.local',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <dsn-gone@mx.client.example>',
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      '',
      '--r',
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      '--r',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.client.example',
      '',
      'Final-Recipient: rfc822; gone@client.example',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 mailbox does not exist',
      '--r',
      'Content-Type: text/rfc822-headers',
      '',
      'From: crm@test.local',
      'To: gone@client.example',
      `Message-ID: ${ourId}`,
      '--r--',
      '',
    ].join('\r\n');
    await deliverAndWait(dsn);
    const acts = await activities(goneId);
    const bounce = acts.find((a: any) => a.kind === 'message_bounced');
    expect(bounce.payload).toMatchObject({ status: '5.1.1', diagnostic: '550 5.1.1 mailbox does not exist', recipients: ['gone@client.example'] });
    const outAct = acts.find((a: any) => a.kind === 'message_out');
    expect(outAct.payload).toMatchObject({ status: 'failed', error: expect.stringContaining('mailbox does not exist'), bounceActivityId: bounce.id });
    // The manager who wrote it is told, like any failed delivery.
    const notices = await hub.query(`SELECT kind, payload FROM outbox WHERE payload->>'event' = 'message_failed' AND payload->>'activityId' = $1`, [outAct.id]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: 'notify.manager', payload: { managerId: adminId, contactId: goneId, channel: 'email', reason: 'bounced', error: expect.stringContaining('mailbox does not exist') } });
    expect(acts.filter((a: any) => a.kind === 'lead' || a.kind === 'repeat_lead')).toHaveLength(1);
    expect(await contactOf('mailer-daemon@mx.client.example')).toBeUndefined();
    // The same report again changes nothing.
    await deliverAndWait(dsn);
    expect(await activities(goneId)).toHaveLength(acts.length);
  });

  it('reads the common non-standard bounces too (qmail, Exim): the message failed, its writer told', async () => {
    await deliverAndWait(plainMessage({ from: 'moved@client.example', name: 'Moved Client', messageId: '<moved-1@client.example>' }));
    const movedId = await contactOf('moved@client.example');
    const sent = await hub.request({ method: 'POST', url: `/api/contacts/${movedId}/messages`, token: admin, body: { text: 'Are you still there?' } });
    await worker.runOnce(50);
    const ourId = smtp.received[smtp.received.length - 1].parsed.messageId!;
    // qmail: prose, no multipart/report, the original pasted below the line.
    await deliverAndWait(
      [
        'From: MAILER-DAEMON@mx.client.example',
        'To: crm@test.local',
        'Subject: failure notice',
        'Message-ID: <qmail-moved@mx.client.example>',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Hi. This is the qmail-send program at mx.client.example.',
        "I'm afraid I wasn't able to deliver your message to the following addresses.",
        'This is a permanent error; I\'ve given up. Sorry it didn\'t work out.',
        '',
        '<moved@client.example>:',
        'Sorry, no mailbox here by that name. (#5.1.1)',
        '',
        '--- Below this line is a copy of the message.',
        '',
        'From: Anna Admin from Acme <crm@test.local>',
        'To: moved@client.example',
        `Message-ID: ${ourId}`,
        'Subject: Re: Hello',
        '',
        'Are you still there?',
        '',
      ].join('\r\n'),
    );
    const [act] = await hub.query(`SELECT payload FROM activity WHERE id = $1`, [sent.body.activityId]);
    expect(act.payload).toMatchObject({ status: 'failed', error: expect.stringContaining('no mailbox here by that name') });
    expect(await hub.query(`SELECT 1 FROM outbox WHERE payload->>'event' = 'message_failed' AND payload->>'activityId' = $1 AND payload->>'managerId' = $2`, [sent.body.activityId, adminId])).toHaveLength(1);
    expect(await contactOf('mailer-daemon@mx.client.example')).toBeUndefined();
  });

  it('a reply to a form lead starts a fresh thread to the client, quoting what they wrote in the form', async () => {
    await deliverAndWait(
      [
        'From: Acme site <wordpress@acme.example>',
        'To: crm@test.local',
        'Reply-To: Form Client <form.client@client.example>',
        'Subject: Acme "Quote request"',
        'Message-ID: <cf7-notification-1@acme.example>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'From: Form Client <form.client@client.example>',
        'Subject: Quote request',
        '',
        'Message Body:',
        'I need 30 chairs by Friday.',
        '',
        '-- ',
        'This e-mail was sent from a contact form on Acme (https://acme.example)',
        '',
      ].join('\r\n'),
    );
    const clientId = await contactOf('form.client@client.example');
    expect(clientId).toBeDefined();
    await hub.request({ method: 'POST', url: `/api/contacts/${clientId}/messages`, token: admin, body: { text: 'Thanks, 30 chairs are in stock.' } });
    await worker.runOnce(50);
    const out = smtp.received[smtp.received.length - 1];
    expect(out.to).toEqual(['form.client@client.example']);
    // Not threaded on the site's notification, which the client never saw.
    expect(out.parsed.inReplyTo).toBeUndefined();
    expect(out.parsed.references).toBeUndefined();
    expect(out.parsed.subject).toBe('Your enquiry');
    expect(out.raw.toString('utf8')).not.toContain('cf7-notification-1@acme.example');
    expect(out.parsed.text).toContain('Form Client <form.client@client.example> wrote:\n> I need 30 chairs by Friday.');
    // The client's answer to it threads back onto the deal.
    await deliverAndWait(plainMessage({ from: 'form.client@client.example', subject: 'Re: Your enquiry', messageId: '<form-client-2@client.example>', inReplyTo: out.parsed.messageId!, text: 'Great, send the invoice.' }));
    expect((await activities(clientId)).filter((a: any) => a.kind === 'message_in')).toHaveLength(1);
  });

  it('a fresh thread to a client who wrote in Russian gets a Russian subject', async () => {
    await deliverAndWait(
      [
        'From: Acme site <wordpress@acme.example>',
        'To: crm@test.local',
        'Reply-To: =?UTF-8?B?0JjQstCw0L0=?= <ru.client@client.example>',
        'Subject: Acme "Quote request"',
        'Message-ID: <cf7-notification-ru@acme.example>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'From: Ivan <ru.client@client.example>',
        'Subject: Quote request',
        '',
        'Message Body:',
        'Нужно 30 стульев к пятнице, пришлите счёт.',
        '',
        '-- ',
        'This e-mail was sent from a contact form on Acme (https://acme.example)',
        '',
      ].join('\r\n'),
    );
    const clientId = await contactOf('ru.client@client.example');
    expect(clientId).toBeDefined();
    const sent = await hub.request({ method: 'POST', url: `/api/contacts/${clientId}/messages`, token: admin, body: { text: 'Стулья есть, счёт во вложении.' } });
    expect((await hub.query(`SELECT payload->>'subject' AS subject FROM outbox WHERE id = $1`, [sent.body.outboxId]))[0].subject).toBe('Ваше обращение');
    await worker.runOnce(50);
    expect(smtp.received[smtp.received.length - 1].parsed.subject).toBe('Ваше обращение');
  });

  it('retries a refused send and, after the limit, shows it failed on the timeline', async () => {
    await deliverAndWait(plainMessage({ from: 'retry@client.example', messageId: '<retry-1@client.example>' }));
    const id = await contactOf('retry@client.example');
    const sent = await hub.request({ method: 'POST', url: `/api/contacts/${id}/messages`, token: admin, body: { text: 'Will you get this?' } });
    smtp.rejectWith = 'mailbox unavailable';
    try {
      await worker.runOnce(50);
      expect((await hub.query(`SELECT status FROM outbox WHERE id = $1`, [sent.body.outboxId]))[0].status).toBe('failed');
      let act = (await hub.query(`SELECT payload FROM activity WHERE id = $1`, [sent.body.activityId]))[0];
      expect(act.payload.status).toBe('queued');
      hub.clock.set(new Date(Date.now() + 3600_000));
      await worker.runOnce(50);
      expect((await hub.query(`SELECT status FROM outbox WHERE id = $1`, [sent.body.outboxId]))[0].status).toBe('dead');
      act = (await hub.query(`SELECT payload FROM activity WHERE id = $1`, [sent.body.activityId]))[0];
      expect(act.payload).toMatchObject({ status: 'failed', error: expect.stringContaining('mailbox unavailable') });
    } finally {
      smtp.rejectWith = null;
      hub.clock.useRealTime();
    }
  });
});

describe('mailbox admin API', () => {
  let hub: TestHub;
  let admin: string;

  beforeAll(async () => {
    // No mail configuration at all: the hub runs, email is simply off.
    hub = await TestHub.start({ MAIL_WATCHER: 'false' });
    admin = await hub.adminToken();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const base = { name: 'Sales', address: 'Sales@Shop.example', imap: { host: 'imap.shop.example', user: 'sales', password: 'imap-secret' }, smtp: { host: 'smtp.shop.example', password: 'smtp-secret' } };

  it('creates, lists, updates and deletes mailboxes; passwords are never returned', async () => {
    expect((await hub.request({ url: '/api/mailboxes', token: admin })).body).toEqual([]);
    const created = await hub.request({ method: 'POST', url: '/api/mailboxes', token: admin, body: { ...base, formSenders: ['Forms@Tilda.ws'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Sales',
      address: 'sales@shop.example',
      imap: { host: 'imap.shop.example', port: 993, tls: true, user: 'sales', folder: 'INBOX' },
      smtp: { host: 'smtp.shop.example', port: 465, tls: true, user: 'sales' },
      formSenders: ['forms@tilda.ws'],
      enabled: true,
      status: 'connecting',
      lastError: null,
    });
    expect(created.text).not.toMatch(/secret|password/i);
    const list = await hub.request({ url: '/api/mailboxes', token: admin });
    expect(list.text).not.toMatch(/secret|password/i);
    expect(list.body).toHaveLength(1);

    const patched = await hub.request({ method: 'PATCH', url: `/api/mailboxes/${created.body.id}`, token: admin, body: { enabled: false, imap: { folder: 'Leads' } } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: false, status: 'disabled', imap: { folder: 'Leads', host: 'imap.shop.example' } });
    // The password survives a PATCH that does not name it.
    expect((await hub.query(`SELECT imap_password FROM mailbox`))[0].imap_password).toBe('imap-secret');

    expect((await hub.request({ method: 'POST', url: '/api/mailboxes', token: admin, body: base })).status).toBe(409);
    expect((await hub.request({ method: 'DELETE', url: `/api/mailboxes/${created.body.id}`, token: admin })).status).toBe(204);
    expect((await hub.request({ method: 'DELETE', url: `/api/mailboxes/${created.body.id}`, token: admin })).status).toBe(404);
  });

  it('answers 400 naming the field for bad input, and 403 to managers', async () => {
    const bad = await hub.request({ method: 'POST', url: '/api/mailboxes', token: admin, body: { ...base, address: 'not-an-address' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('address');
    const noPassword = await hub.request({ method: 'POST', url: '/api/mailboxes', token: admin, body: { ...base, imap: { host: 'x', user: 'y' } } });
    expect(noPassword.status).toBe(400);
    const manager = await hub.createManager({ name: 'Plain Manager' });
    expect((await hub.request({ url: '/api/mailboxes', token: manager.token })).status).toBe(403);
  });
});
