import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { toDatabaseText } from '@leadline/core';
import { FakeBotApi } from '../telegram/fake-bot-api';
import { CLIENT_TOKEN, SECRET as TG_SECRET } from '../telegram/telegram-helpers';
import { TestHub } from '../support/test-hub';
import { deeplyNested, expectNo5xx, expectStoredOrKept, FUZZ_TIMEOUT_MS, fuzzParams, hostileJson, hostileString, hostileText } from './fuzz-support';

jest.setTimeout(FUZZ_TIMEOUT_MS);

const PUBLIC_URL = 'https://crm.example.com';
const ACCOUNT = { sid: 'AC0123456789abcdef0123456789abcdef', token: 'f3a1c2b4d5e6f708192a3b4c5d6e7f80' };
const PBX_SECRET = 'pbx-shared-secret-fuzz-0123456789';
const twilioFixture = (name: string): Record<string, string> =>
  JSON.parse(readFileSync(join(__dirname, '../../libs/channels/src/telephony/twilio/__fixtures__', `${name}.json`), 'utf8'));

/**
 * Every public door, fed arbitrary strings and shapes: never a 5xx (the database is up), and every 2xx
 * of a lead door is a stored lead or a replayable failed receipt, checked in the database.
 */
describe('fuzz: public inbound doors', () => {
  let hub: TestHub;
  let fake: FakeBotApi;
  let seq = 0;

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    fake.addBot(CLIENT_TOKEN, 'leadline_fuzz_bot');
    hub = await TestHub.start({
      PUBLIC_URL,
      TELEGRAM_BOT_TOKEN: CLIENT_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      TELEGRAM_API_ROOT: fake.url,
      TWILIO_ACCOUNT_SID: ACCOUNT.sid,
      TWILIO_AUTH_TOKEN: ACCOUNT.token,
      TWILIO_NUMBER: '+74951234567',
      TELEPHONY_WEBHOOK_SECRET: PBX_SECRET,
    });
    const admin = await hub.adminToken();
    const forms = await hub.request({ url: '/api/forms', token: admin });
    await hub.request({ method: 'PATCH', url: `/api/forms/${forms.body[0].id}`, token: admin, body: { rateLimitPerMinute: 100_000 } });
  }, FUZZ_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.close();
    await fake?.stop();
  });

  /** A form body: arbitrary fields, often with a readable phone so the lead path runs, not only the 400. */
  const formFields = fc.record(
    {
      name: hostileText(),
      phone: fc.oneof(hostileString(30), fc.constantFrom('+7 912 000-00-00', '00994501234567', '8~10 375 29 123 45 67')).map((p) => p.replace(/0{2}-00$/, () => String(++seq % 100).padStart(2, '0'))),
      email: fc.oneof(hostileString(30), fc.constant('fuzz@example.com')),
      message: hostileText(),
      extra: hostileJson(),
    },
    { requiredKeys: [] },
  );

  const checkFormAnswer = async (res: Awaited<ReturnType<TestHub['postForm']>>, what: string) => {
    expectNo5xx(res, what);
    if (res.status === 201 || (res.status === 200 && res.body?.leadId)) await expectStoredOrKept(hub, res.body.leadId, what);
    if (res.status === 202) await expectStoredOrKept(hub, res.body.receiptId, what);
    if (res.status >= 400) expect(typeof res.body?.message).toBe('string');
  };

  it('web form, JSON: arbitrary fields and keys', async () => {
    await fc.assert(
      fc.asyncProperty(formFields, fc.dictionary(hostileString(20), hostileJson(), { maxKeys: 3 }), async (fields, more) => {
        await checkFormAnswer(await hub.postForm({ ...more, ...fields }), 'form JSON');
      }),
      fuzzParams(1),
    );
  });

  it('web form, urlencoded: arbitrary (percent-encoded) fields', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(hostileString(20), hostileString(80)), { maxLength: 6 }), fc.constantFrom('+7 912 111-22-33', '0079121112234', ''), async (pairs, phone) => {
        const entries: Array<[string, string]> = pairs.map(([k, v]) => [toDatabaseText(k), v]);
        if (phone) entries.push(['phone', phone]);
        const body = new URLSearchParams(entries).toString();
        await checkFormAnswer(await hub.postForm(body, { form: true }), 'form urlencoded');
      }),
      fuzzParams(2),
    );
  });

  it('web form: raw bytes, broken JSON and deep nesting are a 4xx with a message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileString(300), fc.integer({ min: 65, max: 20_000 }).map((n) => `{"phone":"+79120000000","x":${deeplyNested(n)}}`)), async (raw) => {
        const res = await hub.postForm(raw);
        await checkFormAnswer(res, 'form raw');
      }),
      fuzzParams(3),
    );
  });

  it('Telegram webhook: messages with arbitrary text and names are stored; any other update is acknowledged', async () => {
    const messageUpdate = fc.record({
      text: hostileText(),
      first_name: hostileString(40),
      last_name: hostileString(40),
      username: hostileString(20),
      language_code: hostileString(5),
      junk: hostileJson(),
    });
    await fc.assert(
      fc.asyncProperty(messageUpdate, fc.boolean(), hostileJson(), async (m, wellFormed, junk) => {
        const updateId = 700_000_000 + ++seq;
        const userId = 900_000 + seq;
        const update = wellFormed
          ? {
              update_id: updateId,
              message: {
                message_id: seq,
                from: { id: userId, is_bot: false, first_name: m.first_name, last_name: m.last_name, username: m.username, language_code: m.language_code },
                chat: { id: userId, type: 'private', first_name: m.first_name },
                date: Math.floor(Date.now() / 1000),
                text: m.text,
                junk: m.junk,
              },
            }
          : { update_id: updateId, junk };
        const res = await hub.request({
          method: 'POST',
          url: '/api/inbound/telegram/client',
          body: JSON.stringify(update),
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TG_SECRET },
        });
        expectNo5xx(res, 'telegram');
        if (res.status === 200 && wellFormed && m.text.length <= 4096) {
          const [r] = await hub.query(`SELECT id FROM inbound_receipt WHERE channel = 'telegram' AND external_id LIKE $1`, [`%:${updateId}`]);
          if (!r) throw new Error(`telegram update ${updateId} acknowledged but neither stored nor kept`);
          await expectStoredOrKept(hub, r.id, 'telegram');
        }
      }),
      fuzzParams(4),
    );
  });

  it('Twilio voice webhooks with valid signatures over arbitrary parameters', async () => {
    const base = twilioFixture('incoming-call');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(hostileString(15).filter((k) => k.length > 0), hostileString(60), { maxKeys: 5 }),
        fc.oneof(hostileString(30), fc.constantFrom('+79121234567', 'anonymous', '00994501234567')),
        hostileString(40),
        fc.constantFrom('voice', 'status', 'recording'),
        async (extra, from, callerName, path) => {
          const callSid = `CA${String(++seq).padStart(32, '0')}`;
          // Twilio sends form parameters; keys and values are whatever callers and carriers put there.
          const params: Record<string, string> = {};
          for (const [k, v] of Object.entries({ ...extra, ...base, CallSid: callSid, From: from, Caller: from, CallerName: callerName })) params[toDatabaseText(k)] = v;
          const url = `/api/inbound/twilio/${path}`;
          const res = await hub.request({
            method: 'POST',
            url,
            body: new URLSearchParams(params).toString(),
            form: true,
            headers: { 'x-twilio-signature': getExpectedTwilioSignature(ACCOUNT.token, `${PUBLIC_URL}${url}`, params) },
          });
          expectNo5xx(res, `twilio ${path}`);
          if (path === 'voice' && res.status === 200) {
            const [call] = await hub.query(`SELECT id, contact_id FROM call WHERE provider = 'twilio' AND provider_call_id = $1`, [callSid]);
            if (!call) throw new Error(`twilio voice ${callSid}: 200 but no call logged`);
            if (!call.contact_id) {
              // The caller still rang through; the lead waits as a failed receipt.
              const failed = await hub.query(`SELECT id FROM inbound_receipt WHERE channel = 'phone' AND status = 'failed' AND raw LIKE $1`, [`%${callSid}%`]);
              if (!failed.length && from !== 'anonymous' && from.trim() !== '') throw new Error(`twilio voice ${callSid}: no contact and no failed receipt`);
            }
          }
        },
      ),
      fuzzParams(5),
    );
  });

  it('generic PBX webhook with valid signatures over arbitrary payloads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            // Mostly well-formed events with hostile text in them, so the call path runs, not only the 400.
            callId: fc.oneof({ weight: 4, arbitrary: hostileString(40).filter((c) => c.trim().length > 0) }, { weight: 1, arbitrary: hostileString(40) }),
            event: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('started', 'ringing', 'answered', 'completed', 'missed') }, { weight: 1, arbitrary: hostileString(10) }),
            direction: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('inbound', 'outbound') }, { weight: 1, arbitrary: hostileString(8) }),
            from: fc.oneof(hostileString(30), fc.constant('+79121234567'), fc.constant('00994501234567')),
            to: hostileString(30),
            callerName: hostileText(),
            status: hostileString(20),
            durationSeconds: fc.oneof({ weight: 4, arbitrary: fc.nat(100_000) }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), hostileString(5)) }),
            manager: fc.oneof({ weight: 3, arbitrary: fc.record({ phone: hostileString(20) }) }, { weight: 1, arbitrary: hostileJson(2) }),
          },
          { requiredKeys: ['callId', 'event'] },
        ),
        async (payload) => {
          const raw = JSON.stringify(payload);
          const ts = String(Math.floor(hub.clock.now().getTime() / 1000));
          const res = await hub.request({
            method: 'POST',
            url: '/api/inbound/telephony/generic',
            body: raw,
            headers: { 'content-type': 'application/json', 'x-leadline-timestamp': ts, 'x-leadline-signature': `sha256=${createHmac('sha256', PBX_SECRET).update(`${ts}.${raw}`).digest('hex')}` },
          });
          expectNo5xx(res, 'pbx');
          if (res.status === 200 && res.body.status === 'applied') {
            const calls = await hub.query(`SELECT 1 FROM call WHERE provider = 'generic' AND provider_call_id = $1`, [toDatabaseText(payload.callId.trim())]);
            if (!calls.length) throw new Error(`pbx ${JSON.stringify(payload.callId)} applied but no call stored`);
          }
        },
      ),
      fuzzParams(6),
    );
  });
});
