import { SlaService } from '@leadline/core';
import { Dovecot } from '../email/support/dovecot';
import { waitFor } from '../email/support/wait';
import type { TestHub } from '../support/test-hub';
import { FakeBotApi } from '../telegram/fake-bot-api';
import { HUB_START_MS, messageUpdate, postUpdate, startTelegramHub, type TgPerson } from '../telegram/telegram-helpers';

/**
 * Time truth: a lead's SLA clock (callback task due, deal created, the lead's time on the timeline)
 * starts when the hub RECEIVED it. What the sender claims (the email Date header, Telegram's message
 * date, a timestamp field in a form) is kept only as `claimedAt` ("sent at"). A claim 30 minutes old
 * must not make a task overdue on arrival; no Date header must not give 1970; a clock two hours
 * ahead must not postpone the callback.
 */
describe('the SLA clock starts when the hub received the lead, whatever the sender claims', () => {
  let dovecot: Dovecot;
  let fake: FakeBotApi;
  let hub: TestHub;
  // Received at this instant (the hub's clock is held still for the whole file).
  const received = new Date(Math.floor(Date.now() / 1000) * 1000);
  const minutes = (n: number) => new Date(received.getTime() + n * 60_000);

  beforeAll(async () => {
    dovecot = await Dovecot.start();
    fake = await FakeBotApi.start();
    hub = await startTelegramHub(fake, { ...dovecot.imapEnv(), MAIL_FROM: 'crm@test.local', MAIL_FORM_SENDERS: 'forms@time.example', IMAP_POLL_SECONDS: '1', CALLBACK_SLA_MINUTES: '15', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
    await hub.createManager({ name: 'Olga' });
    hub.clock.set(received);
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await fake?.stop();
    await dovecot?.destroy();
  }, HUB_START_MS);

  /** The lead of a contact: its task, deal and timeline entry. */
  const leadOf = async (identityKind: string, value: string) => {
    const [row] = await hub.query(
      `SELECT t.due_at, t.created_at AS task_created, t.status, d.created_at AS deal_created, a.occurred_at, a.payload
         FROM contact_identity i JOIN deal d ON d.contact_id = i.contact_id
         JOIN task t ON t.deal_id = d.id AND t.kind = 'callback'
         JOIN activity a ON a.deal_id = d.id AND a.kind = 'lead'
        WHERE i.kind = $1 AND i.value = $2`,
      [identityKind, value],
    );
    return row;
  };
  const expectReceivedClock = (lead: { due_at: Date; task_created: Date; deal_created: Date; occurred_at: Date }) => {
    expect(new Date(lead.due_at).toISOString()).toBe(minutes(15).toISOString());
    expect(new Date(lead.task_created).toISOString()).toBe(received.toISOString());
    expect(new Date(lead.deal_created).toISOString()).toBe(received.toISOString());
    expect(new Date(lead.occurred_at).toISOString()).toBe(received.toISOString());
  };
  const email = (from: string, date: Date | null) =>
    [
      `From: Client <${from}>`,
      'To: crm@test.local',
      'Subject: Please call me',
      ...(date ? [`Date: ${date.toUTCString()}`] : []),
      `Message-ID: <${from}>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Please call me back.',
      '',
    ].join('\r\n');
  const deliver = async (raw: string, from: string) => {
    await dovecot.deliver([raw]);
    await waitFor(`lead of ${from}`, () => leadOf('email', from));
  };

  it('email: sent 30 minutes ago → due 15 minutes after we received it, not overdue, nobody escalated', async () => {
    await deliver(email('late@time.example', minutes(-30)), 'late@time.example');
    const lead = await leadOf('email', 'late@time.example');
    expectReceivedClock(lead);
    expect(lead.payload.claimedAt).toBe(minutes(-30).toISOString());
    // The SLA scheduler at the moment of arrival finds nothing overdue.
    await hub.app.get(SlaService).tick();
    expect((await leadOf('email', 'late@time.example')).status).toBe('open');
    expect((await hub.query(`SELECT count(*)::int AS n FROM activity WHERE kind IN ('task_overdue', 'task_escalated')`))[0].n).toBe(0);
  });

  it('email without a Date header: received now, no 1970 anywhere', async () => {
    await deliver(email('nodate@time.example', null), 'nodate@time.example');
    const lead = await leadOf('email', 'nodate@time.example');
    expectReceivedClock(lead);
    expect(lead.payload).not.toHaveProperty('claimedAt');
    expect(JSON.stringify(lead.payload)).not.toContain('1970');
  });

  it('a site-form notification email without a Date header: received now, not 1970 (overdue for 56 years)', async () => {
    const raw = ['From: Site <forms@time.example>', 'To: crm@test.local', 'Subject: New form submission', 'Message-ID: <form-nodate@time.example>', 'Content-Type: text/plain; charset=utf-8', '', 'Name: Form Nodate', 'Phone: +7 999 555-66-77', ''].join('\r\n');
    await dovecot.deliver([raw]);
    await waitFor('form lead', () => leadOf('phone', '+79995556677'));
    const lead = await leadOf('phone', '+79995556677');
    expectReceivedClock(lead);
    expect(JSON.stringify(lead.payload)).not.toContain('1970');
  });

  it('email from a clock 2 hours ahead: the callback is not postponed', async () => {
    await deliver(email('ahead@time.example', minutes(120)), 'ahead@time.example');
    const lead = await leadOf('email', 'ahead@time.example');
    expectReceivedClock(lead);
    expect(lead.payload.claimedAt).toBe(minutes(120).toISOString());
  });

  it('Telegram: a message dated 30 minutes ago (delivered late, retried) starts the clock on receipt', async () => {
    const person: TgPerson = { id: 555000901, first_name: 'Late', username: 'late_tg', language_code: 'en' };
    const res = await postUpdate(hub, messageUpdate(person, { text: 'call me', date: Math.floor(minutes(-30).getTime() / 1000) }));
    expect(res.status).toBe(200);
    const lead = await leadOf('telegram', String(person.id));
    expectReceivedClock(lead);
    expect(lead.payload.claimedAt).toBe(minutes(-30).toISOString());
  });

  it('web form: a timestamp field in the body is just a field; the clock starts on receipt', async () => {
    const res = await hub.postForm({ name: 'Form Client', phone: '+7 999 555-44-33', date: '2020-01-01T10:00:00Z', timestamp: String(Math.floor(minutes(-45).getTime() / 1000)) });
    expect(res.status).toBe(201);
    const lead = await leadOf('phone', '+79995554433');
    expectReceivedClock(lead);
  });
});
