import { OutboxWorker } from '@leadline/core';
import { raiseFormRateLimit } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';
import { FakeTwilio, fixture as voiceFixture, MESSAGING_FIXTURES } from '../telephony/fake-twilio';
import { ACCOUNT, COMPANY_NUMBER, newCallSid, PUBLIC_URL, SUBACCOUNT, twilioPost } from '../telephony/twilio-helpers';
import { readFileSync } from 'node:fs';
import { FakeGraphApi } from '../whatsapp/fake-graph-api';
import { ACCESS_TOKEN, APP_SECRET, delivery, PHONE_NUMBER_IDS, postDelivery, VERIFY_TOKEN } from '../whatsapp/whatsapp-helpers';
import { join } from 'node:path';

const fixture = (name: string): Record<string, string> => JSON.parse(readFileSync(join(MESSAGING_FIXTURES, `${name}.json`), 'utf8'));
const WHATSAPP_SENDER = '+14155238886';
const INBOUND = '/api/inbound/twilio/messaging';
const STATUS = '/api/inbound/twilio/messaging/status';

/**
 * SMS and WhatsApp through Twilio Messaging: signed incoming-message webhooks (the documented
 * parameters), replies through a local fake of the Messages resource, status callbacks in any order,
 * Twilio's error codes, and the automatic missed-call SMS.
 */
describe('Twilio Messaging (SMS and WhatsApp through Twilio)', () => {
  let hub: TestHub;
  let fake: FakeTwilio;
  let admin: string;
  let seq = 0;
  const newSender = () => `+7999${String(3_000_000 + ++seq).padStart(7, '0')}`;
  const newSid = (prefix = 'SM') => `${prefix}${(Date.now().toString(16) + (++seq).toString(16)).padStart(32, '0').slice(-32)}`;
  // Monday 11:17 in Moscow: inside business hours.
  const OPEN = '2026-11-23T08:17:00Z';

  beforeAll(async () => {
    fake = await new FakeTwilio([ACCOUNT, SUBACCOUNT]).start();
    hub = await TestHub.start({
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT.sid,
      TWILIO_AUTH_TOKEN: ACCOUNT.token,
      TWILIO_ACCOUNTS: `${SUBACCOUNT.sid}:${SUBACCOUNT.token}`,
      TWILIO_NUMBER: COMPANY_NUMBER,
      TWILIO_WHATSAPP_NUMBER: WHATSAPP_SENDER,
      TWILIO_API_BASE_URL: fake.origin,
      MISSED_CALL_SMS: 'true',
      BUSINESS_HOURS: 'Mon-Fri 09:00-18:00',
      BUSINESS_TIMEZONE: 'Europe/Moscow',
    });
    await raiseFormRateLimit(hub);
    await hub.createManager({ name: 'Anna', phone: '+79161110001', timezone: 'Europe/Moscow' });
    admin = await hub.adminToken();
  });
  afterAll(async () => {
    await hub?.close();
    await fake?.stop();
  });
  beforeEach(() => hub.clock.set(OPEN));

  const sms = (from: string, extra: Record<string, string> = {}) => {
    const sid = newSid();
    return { ...fixture('sms-inbound'), MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, From: from, ...extra };
  };
  const contactOf = async (phone: string) => (await hub.query(`SELECT contact_id FROM contact_identity WHERE kind = 'phone' AND value = $1`, [phone]))[0]?.contact_id as string | undefined;
  const drain = async () => {
    const totals = { deferred: 0 };
    for (let i = 0; i < 10; i++) {
      const r = await hub.app.get(OutboxWorker).runOnce(50);
      totals.deferred += r.deferred;
      if (r.claimed === 0) break;
    }
    return totals;
  };
  const entry = async (activityId: string) => (await hub.query(`SELECT payload FROM activity WHERE id = $1`, [activityId]))[0].payload;
  const reply = (contactId: string, text: string, channel?: string) => hub.request({ method: 'POST', url: `/api/contacts/${contactId}/messages`, token: admin, body: { text, ...(channel ? { channel } : {}) } });
  const status = (sid: string, name: string, extra: Record<string, string> = {}) => twilioPost(hub, STATUS, { ...fixture(name), MessageSid: sid, SmsSid: sid, ...extra });
  const callback = async (contactId: string) =>
    (await hub.query(`SELECT t.status, d.first_response_at FROM task t JOIN deal d ON d.id = t.deal_id WHERE t.contact_id = $1 AND t.kind = 'callback' ORDER BY t.created_at DESC`, [contactId]))[0];

  describe('incoming messages', () => {
    it('refuses a missing or wrong X-Twilio-Signature with 403 and stores nothing', async () => {
      const from = newSender();
      const params = sms(from);
      expect((await twilioPost(hub, INBOUND, params, { signature: null })).status).toBe(403);
      expect((await twilioPost(hub, INBOUND, params, { token: 'ffffffffffffffffffffffffffffffff' })).status).toBe(403);
      // Signed for another URL (PUBLIC_URL mismatch behind a proxy): refused too.
      expect((await twilioPost(hub, INBOUND, params, { signedUrl: `http://internal${INBOUND}` })).status).toBe(403);
      expect(await contactOf(from)).toBeUndefined();
      expect(await hub.query(`SELECT 1 FROM inbound_receipt WHERE external_id = $1`, [params.MessageSid])).toHaveLength(0);
    });

    it('an SMS to the company number is a lead like a call from it: contact by phone, callback task, once however often Twilio posts it', async () => {
      const from = newSender();
      const params = sms(from);
      const res = await twilioPost(hub, INBOUND, params);
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^text\/xml/);
      expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
      expect((await twilioPost(hub, INBOUND, params)).status).toBe(200);
      const contactId = (await contactOf(from))!;
      const activities = await hub.query(`SELECT kind, channel, payload FROM activity WHERE contact_id = $1 AND kind IN ('lead', 'message_in')`, [contactId]);
      expect(activities).toHaveLength(1);
      expect(activities[0]).toMatchObject({ kind: 'lead', channel: 'sms', payload: { message: 'Здравствуйте, перезвоните пожалуйста насчёт кухни', details: { provider: 'twilio', messageSid: params.MessageSid, to: COMPANY_NUMBER, from } } });
      expect(await callback(contactId)).toMatchObject({ status: 'open' });
      // A call from the same number is the same person.
      const callSid = newCallSid();
      await twilioPost(hub, '/api/inbound/twilio/voice', { ...voiceFixture('incoming-call'), CallSid: callSid, From: from, Caller: from });
      expect((await hub.query(`SELECT contact_id FROM call WHERE provider_call_id = $1`, [callSid]))[0].contact_id).toBe(contactId);
    });

    it('checks Messaging Service traffic of a subaccount with that subaccount\'s token', async () => {
      const from = newSender();
      const sid = newSid();
      const params = { ...fixture('sms-inbound-messaging-service'), AccountSid: SUBACCOUNT.sid, MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, From: from };
      expect((await twilioPost(hub, INBOUND, params, { token: ACCOUNT.token })).status).toBe(403);
      expect((await twilioPost(hub, INBOUND, params, { token: SUBACCOUNT.token })).status).toBe(200);
      const [lead] = await hub.query(`SELECT payload FROM activity WHERE contact_id = $1 AND kind = 'lead'`, [await contactOf(from)]);
      expect(lead.payload.details).toMatchObject({ accountSid: SUBACCOUNT.sid, messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' });
    });

    it('a WhatsApp message through Twilio (From: whatsapp:+…) is a WhatsApp lead with the profile name and the number as phone', async () => {
      const sid = newSid();
      const params = { ...fixture('whatsapp-inbound'), MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, From: 'whatsapp:+77019990001', WaId: '77019990001' };
      expect((await twilioPost(hub, INBOUND, params)).status).toBe(200);
      const contactId = (await contactOf('+77019990001'))!;
      const [c] = await hub.query(`SELECT name FROM contact WHERE id = $1`, [contactId]);
      expect(c.name).toBe('Айгуль');
      const [lead] = await hub.query(`SELECT channel, payload FROM activity WHERE contact_id = $1 AND kind = 'lead'`, [contactId]);
      expect(lead).toMatchObject({ channel: 'whatsapp', payload: { message: 'Салем! Доставка в Алматы есть?', details: { provider: 'twilio', to: WHATSAPP_SENDER, waId: '77019990001' } } });
    });

    it('keeps a message it cannot read (a short-code sender) as a failed receipt and still answers 200', async () => {
      const params = sms('+79990000000', { From: '900' });
      expect((await twilioPost(hub, INBOUND, params)).status).toBe(200);
      const [r] = await hub.query(`SELECT channel, status, error FROM inbound_receipt WHERE external_id = $1`, [params.MessageSid]);
      expect(r).toMatchObject({ channel: 'sms', status: 'failed' });
      expect(r.error).toMatch(/not a phone number/);
    });
  });

  describe('replies and status callbacks', () => {
    async function smsClient(): Promise<{ from: string; contactId: string }> {
      const from = newSender();
      await twilioPost(hub, INBOUND, sms(from));
      return { from, contactId: (await contactOf(from))! };
    }

    it('replies by SMS from the company number with a status callback; delivered (even before sent) is the first response; repeats change nothing', async () => {
      const { from, contactId } = await smsClient();
      const res = await reply(contactId, 'Перезвоню через 10 минут');
      expect(res.status).toBe(201);
      expect(res.body.channel).toBe('sms');
      await drain();
      const m = fake.messages.at(-1)!;
      expect(m.form).toMatchObject({ To: from, From: COMPANY_NUMBER, Body: 'Перезвоню через 10 минут', StatusCallback: `${PUBLIC_URL}${STATUS}` });
      expect(await entry(res.body.activityId)).toMatchObject({ status: 'sent', providerMessageId: m.sid });
      expect(await callback(contactId)).toMatchObject({ status: 'open', first_response_at: null });

      expect((await status(m.sid, 'status-queued')).status).toBe(204);
      expect((await status(m.sid, 'status-delivered')).status).toBe(204);
      expect(await entry(res.body.activityId)).toMatchObject({ status: 'delivered' });
      const answered = await callback(contactId);
      expect(answered.status).toBe('done');
      expect(answered.first_response_at).not.toBeNull();
      await status(m.sid, 'status-sent');
      await status(m.sid, 'status-delivered');
      const after = await entry(res.body.activityId);
      expect(after.status).toBe('delivered');
      expect(Object.keys(after.deliveryTimes).sort()).toEqual(['delivered', 'sent']);
      expect(await hub.query(`SELECT 1 FROM activity WHERE contact_id = $1 AND kind = 'task_done'`, [contactId])).toHaveLength(1);
    });

    it('undelivered with Twilio\'s ErrorCode (30003) fails the message with the reason; no first response', async () => {
      const { contactId } = await smsClient();
      const res = await reply(contactId, 'Алло?');
      await drain();
      const sid = fake.messages.at(-1)!.sid;
      await status(sid, 'status-sent');
      await status(sid, 'status-undelivered-30003');
      const e = await entry(res.body.activityId);
      expect(e).toMatchObject({ status: 'failed', errorState: 'undeliverable', errorCode: '30003' });
      expect(e.error).toMatch(/unreachable.*\[30003\]/);
      expect(await callback(contactId)).toMatchObject({ status: 'open', first_response_at: null });
    });

    it('Twilio\'s 429 (20429) puts the reply back for later; a refusal for good (21610 unsubscribed) fails at once', async () => {
      const { contactId } = await smsClient();
      fake.messageErrors.push({ status: 429, fixture: 'rest-error-20429' });
      const before = fake.messages.length;
      const res = await reply(contactId, 'Добрый день');
      expect((await drain()).deferred).toBe(1);
      expect(await entry(res.body.activityId)).toMatchObject({ status: 'queued' });
      await hub.query(`UPDATE outbox SET next_attempt_at = now() WHERE id = $1`, [res.body.outboxId]);
      await drain();
      expect(fake.messages.length).toBe(before + 1);
      expect(await entry(res.body.activityId)).toMatchObject({ status: 'sent' });

      fake.messageErrors.push({ status: 400, fixture: 'rest-error-21610' });
      const stop = await reply(contactId, 'Ещё раз добрый день');
      await drain();
      expect(await entry(stop.body.activityId)).toMatchObject({ status: 'failed', errorState: 'opted_out' });
      expect(fake.messages.length).toBe(before + 1);
    });

    it('answers a client who wrote on WhatsApp through Twilio from the WhatsApp sender; read is reported', async () => {
      const sid = newSid();
      await twilioPost(hub, INBOUND, { ...fixture('whatsapp-inbound'), MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, From: 'whatsapp:+77019990002', WaId: '77019990002' });
      const contactId = (await contactOf('+77019990002'))!;
      const res = await reply(contactId, 'Да, доставляем');
      expect(res.body.channel).toBe('whatsapp');
      await drain();
      const m = fake.messages.at(-1)!;
      expect(m.form).toMatchObject({ To: 'whatsapp:+77019990002', From: `whatsapp:${WHATSAPP_SENDER}`, Body: 'Да, доставляем' });
      await status(m.sid, 'status-whatsapp-read');
      expect(await entry(res.body.activityId)).toMatchObject({ status: 'read' });
      await status(m.sid, 'status-whatsapp-failed-63016');
      expect(await entry(res.body.activityId)).toMatchObject({ status: 'read' });
    });
  });

  describe('automatic SMS after a missed call', () => {
    it('tells the caller when we will call back, in their language, once per callback task; it is no answer by a manager', async () => {
      const caller = newSender();
      const missCall = async () => {
        const callSid = newCallSid();
        await twilioPost(hub, '/api/inbound/twilio/voice', { ...voiceFixture('incoming-call'), CallSid: callSid, From: caller, Caller: caller });
        const res = await twilioPost(hub, '/api/inbound/twilio/status', { ...voiceFixture('status-completed'), CallSid: callSid, From: caller, Caller: caller, CallStatus: 'no-answer', SequenceNumber: '2', CallDuration: '0' });
        expect(res.status).toBe(204);
      };
      const before = fake.messages.length;
      await missCall();
      await drain();
      expect(fake.messages.length).toBe(before + 1);
      // The caller never wrote: the hub's default language (ru); due 15 business minutes after 11:17 Moscow time.
      expect(fake.messages.at(-1)!.form).toMatchObject({ To: caller, From: COMPANY_NUMBER, Body: 'Здравствуйте! Мы пропустили ваш звонок и перезвоним вам до 11:32.' });
      const contactId = (await contactOf(caller))!;
      const [sms] = await hub.query(`SELECT actor_id, channel, payload FROM activity WHERE contact_id = $1 AND kind = 'message_out'`, [contactId]);
      expect(sms).toMatchObject({ actor_id: null, channel: 'sms', payload: { automatic: 'missed_call', status: 'sent' } });
      // Delivered, but nobody called back yet: the task stays open.
      await status(fake.messages.at(-1)!.sid, 'status-delivered');
      expect(await callback(contactId)).toMatchObject({ status: 'open', first_response_at: null });

      // Calling again joins the open task: no second SMS.
      hub.clock.set('2026-11-23T08:20:00Z');
      await missCall();
      await drain();
      expect(fake.messages.length).toBe(before + 1);
      expect(await hub.query(`SELECT 1 FROM activity WHERE contact_id = $1 AND kind = 'message_out'`, [contactId])).toHaveLength(1);
    });

    it('writes in English to a client whose last words were English, with the day when the call back is not today', async () => {
      const caller = newSender();
      await twilioPost(hub, INBOUND, sms(caller, { Body: 'Hi, please call me about the kitchen order' }));
      const contactId = (await contactOf(caller))!;
      // The SMS lead's callback task is done by a call back; a missed call on Friday at 17:55 opens a new one, due Monday.
      await hub.query(`UPDATE task SET status = 'done', completed_at = now() WHERE contact_id = $1`, [contactId]);
      hub.clock.set('2026-11-27T14:55:00Z');
      const callSid = newCallSid();
      await twilioPost(hub, '/api/inbound/twilio/voice', { ...voiceFixture('incoming-call'), CallSid: callSid, From: caller, Caller: caller });
      await twilioPost(hub, '/api/inbound/twilio/status', { ...voiceFixture('status-completed'), CallSid: callSid, From: caller, Caller: caller, CallStatus: 'no-answer', SequenceNumber: '2', CallDuration: '0' });
      await drain();
      expect(fake.messages.at(-1)!.form).toMatchObject({ To: caller, Body: 'Hello! We missed your call and will call you back by Mon 30 Nov 09:10.' });
    });
  });
});

/** Both WhatsApp providers on one hub: each client is answered through the provider they wrote through. */
describe('WhatsApp through Twilio next to the Cloud API', () => {
  let hub: TestHub;
  let fake: FakeTwilio;
  let graph: FakeGraphApi;

  beforeAll(async () => {
    fake = await new FakeTwilio([ACCOUNT]).start();
    graph = await FakeGraphApi.start(ACCESS_TOKEN);
    hub = await TestHub.start({
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT.sid,
      TWILIO_AUTH_TOKEN: ACCOUNT.token,
      TWILIO_NUMBER: COMPANY_NUMBER,
      TWILIO_WHATSAPP_NUMBER: WHATSAPP_SENDER,
      TWILIO_API_BASE_URL: fake.origin,
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
      WHATSAPP_GRAPH_BASE_URL: graph.url,
      WHATSAPP_PHONE_NUMBER_IDS: PHONE_NUMBER_IDS.join(','),
    });
    await hub.createManager({ name: 'Anna' });
  });
  afterAll(async () => {
    await hub?.close();
    await graph?.stop();
    await fake?.stop();
  });

  it('answers a Twilio WhatsApp client through Twilio and a Cloud API client through the Graph API', async () => {
    const admin = await hub.adminToken();
    const sid = `SM${'7'.repeat(31)}1`;
    await twilioPost(hub, INBOUND, { ...fixture('whatsapp-inbound'), MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, From: 'whatsapp:+77014440001', WaId: '77014440001' });
    await postDelivery(hub, delivery('text', { from: '77014440002' }));
    const contactOf = async (phone: string) => (await hub.query(`SELECT contact_id FROM contact_identity WHERE kind = 'phone' AND value = $1`, [phone]))[0].contact_id;
    for (const [phone, text] of [['+77014440001', 'через Twilio'], ['+77014440002', 'через Cloud API']]) {
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${await contactOf(phone)}/messages`, token: admin, body: { text } });
      expect(res.body.channel).toBe('whatsapp');
    }
    for (let i = 0; i < 5; i++) if ((await hub.app.get(OutboxWorker).runOnce(50)).claimed === 0) break;
    expect(fake.messages.map((m) => m.form)).toEqual([expect.objectContaining({ To: 'whatsapp:+77014440001', From: `whatsapp:${WHATSAPP_SENDER}`, Body: 'через Twilio' })]);
    expect(graph.sent.map((m) => [m.body.to, m.body.text?.body])).toEqual([['77014440002', 'через Cloud API']]);
  });
});
