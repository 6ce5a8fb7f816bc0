import { ChannelStatusRegistry } from '@leadline/core';
import { Logger } from '@nestjs/common';
import { postLead, raiseFormRateLimit } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';
import { FakeTwilio, fixture, RECORDING_BYTES } from './fake-twilio';
import { ACCOUNT, COMPANY_NUMBER, newCallSid, parseTwiml, PUBLIC_URL, SUBACCOUNT, twilioPost, verbs } from './twilio-helpers';

/** Twilio voice webhooks end to end: signatures, TwiML routing, call log, missed calls, recordings. */
describe('Twilio voice webhooks', () => {
  let hub: TestHub;
  let fake: FakeTwilio;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  const ANNA_PHONE = '+79161110001';
  const BORIS_PHONE = '+79161110002';
  // Monday 11:17 in Moscow: inside business hours.
  const OPEN = '2026-11-23T08:17:00Z';
  let callerSeq = 0;
  const newCaller = () => `+7999${String(2_000_000 + ++callerSeq).padStart(7, '0')}`;

  const incoming = (from: string, callSid = newCallSid()) => ({ ...fixture('incoming-call'), CallSid: callSid, From: from, Caller: from });
  const dialResult = (callSid: string, status: string, duration?: number) => {
    const p: Record<string, string> = { ...fixture(status === 'completed' ? 'dial-action-completed' : 'dial-action-no-answer'), CallSid: callSid, DialCallStatus: status };
    if (duration !== undefined) p.DialCallDuration = String(duration);
    return p;
  };
  const statusCallback = (callSid: string, from: string, status: string, sequence: number, duration = 0) => ({
    ...fixture('status-completed'),
    CallSid: callSid,
    From: from,
    Caller: from,
    CallStatus: status,
    SequenceNumber: String(sequence),
    CallDuration: String(duration),
  });
  const callRow = async (callSid: string) => (await hub.query(`SELECT * FROM call WHERE provider_call_id = $1`, [callSid]))[0];
  const dialPath = (doc: ReturnType<typeof parseTwiml>) => {
    const dial = verbs(doc).find((v) => v.verb === 'Dial')!;
    return dial.attrs.action.slice(PUBLIC_URL.length);
  };

  beforeAll(async () => {
    fake = await new FakeTwilio([ACCOUNT, SUBACCOUNT]).start();
    hub = await TestHub.start({
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT.sid,
      TWILIO_AUTH_TOKEN: ACCOUNT.token,
      TWILIO_ACCOUNTS: `${SUBACCOUNT.sid}:${SUBACCOUNT.token}`,
      TWILIO_NUMBER: COMPANY_NUMBER,
      TWILIO_API_BASE_URL: fake.origin,
      CALL_RING_SECONDS: '25',
      CALL_HUNT_MAX: '2',
      CALL_RECORD: 'true',
      CALL_VOICE_LOCALE: 'ru-RU',
      CALL_AFTER_HOURS_MESSAGE: 'Мы работаем с девяти до шести. Оставьте сообщение.',
      BUSINESS_HOURS: 'Mon-Fri 09:00-18:00',
      BUSINESS_TIMEZONE: 'Europe/Moscow',
    });
    hub.clock.set(OPEN);
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna', phone: ANNA_PHONE, timezone: 'Europe/Moscow' });
    boris = await hub.createManager({ name: 'Boris', phone: BORIS_PHONE, timezone: 'Europe/Moscow' });
  });
  afterAll(async () => {
    await hub?.close();
    await fake?.stop();
  });
  beforeEach(() => hub.clock.set(OPEN));

  describe('signature', () => {
    const counts = async () => (await hub.query(`SELECT (SELECT count(*) FROM call)::int AS calls, (SELECT count(*) FROM inbound_receipt)::int AS receipts`))[0];

    it('rejects a forged, a missing and a wrong-URL signature with 403 and stores nothing', async () => {
      const before = await counts();
      const params = incoming(newCaller());
      const forged = await twilioPost(hub, '/api/inbound/twilio/voice', params, { token: 'not-the-token-0000000000000000000' });
      const missing = await twilioPost(hub, '/api/inbound/twilio/voice', params, { signature: null });
      // Signed for the URL the hub sees behind the proxy, not the public one Twilio called.
      const wrongUrl = await twilioPost(hub, '/api/inbound/twilio/voice', params, { signedUrl: 'http://localhost:3000/api/inbound/twilio/voice' });
      const tampered = await twilioPost(hub, '/api/inbound/twilio/voice', params, { signature: (await import('twilio/lib/webhooks/webhooks')).getExpectedTwilioSignature(ACCOUNT.token, `${PUBLIC_URL}/api/inbound/twilio/voice`, { ...params, From: '+79990000000' }) });
      for (const res of [forged, missing, wrongUrl, tampered]) expect(res.status).toBe(403);
      expect(await counts()).toEqual(before);
    });

    it('logs one diagnostic line per rejection (expected URL, AccountSid, no secrets) and counts it on the channel status, never as "error"', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      try {
        const res = await twilioPost(hub, '/api/inbound/twilio/voice?source=proxy', incoming(newCaller()), { signedUrl: 'http://10.0.0.7:3000/api/inbound/twilio/voice?source=proxy' });
        expect(res.status).toBe(403);
        const lines = warn.mock.calls.filter(([line]) => (line as { msg?: string })?.msg === 'twilio signature rejected');
        expect(lines).toHaveLength(1);
        expect(lines[0][0]).toMatchObject({ reason: 'signature mismatch', expectedUrl: `${PUBLIC_URL}/api/inbound/twilio/voice?source=proxy`, accountSid: ACCOUNT.sid });
        const logged = JSON.stringify(lines[0]);
        expect(logged).not.toContain(ACCOUNT.token);
        expect(logged).not.toContain(SUBACCOUNT.token);
      } finally {
        warn.mockRestore();
      }
      // A forged request carrying the real AccountSid is anyone's to send: it must not turn the channel to "error".
      const status = hub.app.get(ChannelStatusRegistry).list().find((s) => s.name === `twilio ${ACCOUNT.sid}`);
      expect(status?.status).not.toBe('error');
      expect(status?.rejectedRequests).toMatchObject({ lastHour: expect.any(Number), lastReason: expect.stringContaining(`${PUBLIC_URL}/api/inbound/twilio/voice?source=proxy`) });
      expect(status!.rejectedRequests.lastHour).toBeGreaterThanOrEqual(1);
      // A genuine request shows the account as working.
      expect((await twilioPost(hub, '/api/inbound/twilio/voice', incoming(newCaller()))).status).toBe(200);
      expect(hub.app.get(ChannelStatusRegistry).list().find((s) => s.name === `twilio ${ACCOUNT.sid}`)?.status).toBe('connected');
    });

    it('signs over the exact query string Twilio called', async () => {
      const sid = newCallSid();
      const route = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(newCaller(), sid)));
      const path = dialPath(route);
      expect(path).toMatch(/^\/api\/inbound\/twilio\/dial\?callId=[0-9a-f-]{36}&leg=0$/);
      const withoutQuery = await twilioPost(hub, path, dialResult(sid, 'no-answer'), { signedUrl: `${PUBLIC_URL}/api/inbound/twilio/dial` });
      expect(withoutQuery.status).toBe(403);
      expect(parseTwiml(await twilioPost(hub, path, dialResult(sid, 'no-answer')))).toBeTruthy();
    });

    it('chooses the auth token by AccountSid: a subaccount request passes, the main token under its SID does not', async () => {
      const params = { ...incoming(newCaller()), AccountSid: SUBACCOUNT.sid };
      expect((await twilioPost(hub, '/api/inbound/twilio/voice', params, { token: SUBACCOUNT.token })).status).toBe(200);
      expect((await twilioPost(hub, '/api/inbound/twilio/voice', { ...params, CallSid: newCallSid() }, { token: ACCOUNT.token })).status).toBe(403);
      expect((await twilioPost(hub, '/api/inbound/twilio/voice', { ...params, CallSid: newCallSid(), AccountSid: 'AC99999999999999999999999999999999' })).status).toBe(403);
    });
  });

  describe('incoming calls', () => {
    it('a known caller reaches their owner first: Dial with caller id, ring timeout, recording, hunt action', async () => {
      const caller = newCaller();
      const lead = await postLead(hub, { name: 'Olga', phone: caller });
      await hub.query(`UPDATE deal SET owner_id = $1 WHERE id = $2`, [boris.id, lead.dealId]);
      await hub.query(`UPDATE contact SET owner_id = $1 WHERE id = $2`, [boris.id, lead.contactId]);
      await hub.query(`UPDATE task SET assignee_id = $1 WHERE deal_id = $2`, [boris.id, lead.dealId]);
      const sid = newCallSid();
      const doc = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid)));
      const [dial, ...rest] = verbs(doc);
      expect(rest).toEqual([]);
      expect(dial.verb).toBe('Dial');
      expect(dial.attrs).toMatchObject({ callerId: caller, timeout: '25', record: 'record-from-answer', method: 'POST', recordingStatusCallback: `${PUBLIC_URL}/api/inbound/twilio/recording` });
      expect(dial.children).toEqual([{ verb: 'Number', text: BORIS_PHONE, attrs: {} }]);
      const call = await callRow(sid);
      expect(call).toMatchObject({ direction: 'inbound', contact_id: lead.contactId, deal_id: lead.dealId, from_number: caller, to_number: COMPANY_NUMBER, status: 'ringing' });
      expect(call.targets.map((t: { name: string }) => t.name)).toEqual(['Boris', 'Anna']);
      // The call joined the contact's deal as a repeat lead on the phone channel.
      const [repeat] = await hub.query(`SELECT channel FROM activity WHERE deal_id = $1 AND kind = 'repeat_lead'`, [lead.dealId]);
      expect(repeat.channel).toBe('phone');
    });

    it('an unknown caller becomes a new contact with a phone-channel lead and is routed to the new owner', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const doc = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid)));
      const call = await callRow(sid);
      const [deal] = await hub.query(`SELECT owner_id, source_channel FROM deal WHERE id = $1`, [call.deal_id]);
      expect(deal.source_channel).toBe('phone');
      const [identity] = await hub.query(`SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'phone'`, [call.contact_id]);
      expect(identity.value).toBe(caller);
      const ownerPhone = deal.owner_id === anna.id ? ANNA_PHONE : BORIS_PHONE;
      expect(verbs(doc)[0].children[0].text).toBe(ownerPhone);
      const [task] = await hub.query(`SELECT kind, status, due_at FROM task WHERE deal_id = $1`, [call.deal_id]);
      expect(task).toMatchObject({ kind: 'callback', status: 'open' });
    });

    it('rings only managers taking calls now: off shift or paused managers are skipped', async () => {
      const admin = await hub.adminToken();
      expect((await hub.request({ method: 'PATCH', url: `/api/managers/${anna.id}`, token: admin, body: { shift: 'Sat 10:00-11:00' } })).status).toBe(200);
      try {
        const sid = newCallSid();
        const doc = verbs(parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(newCaller(), sid))));
        expect(doc[0].children.map((n) => n.text)).toEqual([BORIS_PHONE]);
        expect((await callRow(sid)).targets.map((t: { name: string }) => t.name)).toEqual(['Boris']);
      } finally {
        expect((await hub.request({ method: 'PATCH', url: `/api/managers/${anna.id}`, token: admin, body: { shift: null } })).status).toBe(200);
      }
      expect((await hub.request({ method: 'PATCH', url: `/api/managers/${boris.id}`, token: admin, body: { available: false } })).status).toBe(200);
      try {
        const sid = newCallSid();
        await twilioPost(hub, '/api/inbound/twilio/voice', incoming(newCaller(), sid));
        expect((await callRow(sid)).targets.map((t: { name: string }) => t.name)).toEqual(['Anna']);
      } finally {
        expect((await hub.request({ method: 'PATCH', url: `/api/managers/${boris.id}`, token: admin, body: { available: true } })).status).toBe(200);
      }
    });

    it('a withheld number works: a contact without identities, the company number as caller id', async () => {
      const sid = newCallSid();
      const params = { ...fixture('incoming-call-anonymous'), CallSid: sid };
      const doc = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', params));
      const [dial] = verbs(doc);
      expect(dial.verb).toBe('Dial');
      expect(dial.attrs.callerId).toBe(COMPANY_NUMBER);
      const call = await callRow(sid);
      expect(call.from_number).toBeNull();
      expect(call.contact_id).toBeTruthy();
      expect(await hub.query(`SELECT * FROM contact_identity WHERE contact_id = $1`, [call.contact_id])).toEqual([]);
    });

    it('a retried incoming webhook answers the same TwiML and stores nothing new', async () => {
      const params = incoming(newCaller());
      const first = await twilioPost(hub, '/api/inbound/twilio/voice', params);
      const counts = async () => (await hub.query(`SELECT (SELECT count(*) FROM call)::int AS c, (SELECT count(*) FROM activity)::int AS a, (SELECT count(*) FROM inbound_receipt)::int AS r, (SELECT count(*) FROM outbox)::int AS o`))[0];
      const before = await counts();
      const again = await twilioPost(hub, '/api/inbound/twilio/voice', params);
      expect(again.text).toBe(first.text);
      expect(await counts()).toEqual(before);
    });

    it('answered by the owner: call_in with the manager as actor, talk time, timeline text; the callback task is done', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const path = dialPath(parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid))));
      const call = await callRow(sid);
      const owner = call.targets[0];
      hub.clock.set('2026-11-23T08:20:30Z');
      const after = verbs(parseTwiml(await twilioPost(hub, path, dialResult(sid, 'completed', 192))));
      expect(after.map((v) => v.verb)).toEqual(['Hangup']);
      expect((await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid, caller, 'completed', 3, 201))).status).toBe(204);
      const [activity] = await hub.query(`SELECT * FROM activity WHERE contact_id = $1 AND kind LIKE 'call_%'`, [call.contact_id]);
      expect(activity.kind).toBe('call_in');
      expect(activity.actor_id).toBe(owner.managerId);
      expect(activity.payload).toMatchObject({
        callId: call.id,
        direction: 'inbound',
        status: 'completed',
        answered: true,
        durationSeconds: 192,
        from: caller,
        to: COMPANY_NUMBER,
        text: `incoming call, answered by ${owner.name}, 3:12`,
      });
      const ended = await callRow(sid);
      expect(ended).toMatchObject({ answered: true, manager_id: owner.managerId, duration_seconds: 192, status: 'completed' });
      expect(ended.ended_at).not.toBeNull();
      const [task] = await hub.query(`SELECT status FROM task WHERE deal_id = $1 AND kind = 'callback'`, [call.deal_id]);
      expect(task.status).toBe('done');
    });

    it('hunts to the second manager when the owner does not answer, then voicemail; missed → task + notice', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const first = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid)));
      const call = await callRow(sid);
      const [owner, second] = call.targets;
      expect(verbs(first)[0].children[0].text).toBe(owner.phone);
      const next = parseTwiml(await twilioPost(hub, dialPath(first), dialResult(sid, 'no-answer')));
      const [dial2] = verbs(next);
      expect(dial2.verb).toBe('Dial');
      expect(dial2.children[0].text).toBe(second.phone);
      expect(dial2.attrs.timeout).toBe('25');
      expect(dialPath(next)).toBe(`/api/inbound/twilio/dial?callId=${call.id}&leg=1`);
      const voicemail = verbs(parseTwiml(await twilioPost(hub, dialPath(next), dialResult(sid, 'busy'))));
      expect(voicemail.map((v) => v.verb)).toEqual(['Say', 'Record', 'Hangup']);
      expect(voicemail[0].attrs).toMatchObject({ language: 'ru-RU' });
      expect(voicemail[0].text).toMatch(/Оставьте сообщение/);
      expect(voicemail[1].attrs).toMatchObject({ action: `${PUBLIC_URL}/api/inbound/twilio/voicemail?callId=${call.id}`, maxLength: '120', recordingStatusCallback: `${PUBLIC_URL}/api/inbound/twilio/recording` });

      hub.clock.set('2026-11-23T08:18:10Z');
      expect((await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid, caller, 'completed', 2, 70))).status).toBe(204);
      const [missed] = await hub.query(`SELECT * FROM activity WHERE contact_id = $1 AND kind LIKE 'call_%'`, [call.contact_id]);
      expect(missed.kind).toBe('call_missed');
      expect(missed.actor_id).toBeNull();
      expect(missed.payload).toMatchObject({ answered: false, durationSeconds: 0, text: 'missed call', attempt: 1 });
      const [task] = await hub.query(`SELECT * FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open'`, [call.deal_id]);
      expect(task.assignee_id).toBe(owner.managerId);
      expect(task.missed_calls).toBe(1);
      // Created with the call at 11:17 Moscow time, due 15 minutes later.
      expect(new Date(task.due_at).toISOString()).toBe('2026-11-23T08:32:00.000Z');
      const notices = await hub.query(`SELECT payload FROM outbox WHERE kind = 'notify.manager' AND payload->>'event' = 'call_missed' AND payload->>'callId' = $1`, [call.id]);
      expect(notices).toHaveLength(1);
      const formatted = `+7 999 ${caller.slice(5, 8)} ${caller.slice(8, 10)} ${caller.slice(10)}`;
      expect(notices[0].payload).toMatchObject({ managerId: owner.managerId, taskId: task.id, attempt: 1, text: `Missed call from ${formatted}, call back by 11:32` });

      // Calling again while the task is open joins it: one task, attempt 2.
      const sid2 = newCallSid();
      hub.clock.set('2026-11-23T08:25:00Z');
      const again = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid2)));
      await twilioPost(hub, dialPath(again), dialResult(sid2, 'no-answer'));
      await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid2, caller, 'no-answer', 2));
      const tasks = await hub.query(`SELECT id, missed_calls FROM task WHERE deal_id = $1 AND kind = 'callback'`, [call.deal_id]);
      expect(tasks).toEqual([{ id: task.id, missed_calls: 2 }]);
      const card = (await hub.request({ url: '/api/tasks', token: owner.managerId === anna.id ? anna.token : boris.token })).body.find((t: { id: string }) => t.id === task.id);
      expect(card).toMatchObject({ kind: 'callback', status: 'open', missedCalls: 2 });
      const [secondNotice] = await hub.query(`SELECT payload FROM outbox WHERE payload->>'event' = 'call_missed' AND payload->>'callId' = (SELECT id::text FROM call WHERE provider_call_id = $1)`, [sid2]);
      expect(secondNotice.payload.text).toBe(`Missed call from ${formatted} (attempt 2), call back by 11:32`);
      const [missed2] = await hub.query(`SELECT payload FROM activity WHERE kind = 'call_missed' AND payload->>'callId' = (SELECT id::text FROM call WHERE provider_call_id = $1)`, [sid2]);
      expect(missed2.payload).toMatchObject({ attempt: 2, taskId: task.id, status: 'no-answer', text: 'missed call (attempt 2)' });
    });

    it('outside business hours speaks the configured message in the configured voice and offers voicemail', async () => {
      hub.clock.set('2026-11-23T20:00:00Z'); // 23:00 in Moscow
      const sid = newCallSid();
      const doc = verbs(parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(newCaller(), sid))));
      expect(doc.map((v) => v.verb)).toEqual(['Say', 'Record', 'Hangup']);
      expect(doc[0]).toMatchObject({ text: 'Мы работаем с девяти до шести. Оставьте сообщение.', attrs: { language: 'ru-RU', voice: 'Polly.Tatyana' } });
      const call = await callRow(sid);
      expect(doc[1].attrs.action).toBe(`${PUBLIC_URL}/api/inbound/twilio/voicemail?callId=${call.id}`);
      // The missed after-hours call is due 15 business minutes after the next opening (Tuesday 09:00).
      await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid, call.from_number, 'completed', 1, 30));
      const [task] = await hub.query(`SELECT due_at FROM task WHERE deal_id = $1 AND status = 'open'`, [call.deal_id]);
      expect(new Date(task.due_at).toISOString()).toBe('2026-11-24T06:15:00.000Z');
      // Due tomorrow for the recipient: the notice gives the day, and carries dueAt + tz for other renderers.
      const [notice] = await hub.query(`SELECT payload FROM outbox WHERE payload->>'event' = 'call_missed' AND payload->>'callId' = $1`, [call.id]);
      expect(notice.payload).toMatchObject({ dueAt: '2026-11-24T06:15:00.000Z', tz: 'Europe/Moscow' });
      expect(notice.payload.text).toMatch(/, call back by Tue 24 Nov 09:15$/);
    });
  });

  describe('call log', () => {
    it('duplicate and out-of-order status callbacks change nothing', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid));
      const ringing = { ...fixture('status-ringing'), CallSid: sid, From: caller, SequenceNumber: '1' };
      expect((await twilioPost(hub, '/api/inbound/twilio/status', ringing)).status).toBe(204);
      await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid, caller, 'no-answer', 3));
      const snapshot = async () => (await hub.query(`SELECT (SELECT count(*) FROM activity)::int AS a, (SELECT count(*) FROM outbox)::int AS o, (SELECT count(*) FROM call_event)::int AS e, (SELECT status FROM call WHERE provider_call_id = $1) AS s`, [sid]))[0];
      const before = await snapshot();
      expect(before.s).toBe('no-answer');
      expect((await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid, caller, 'no-answer', 3))).status).toBe(204);
      // An in-progress callback that arrives late (lower sequence) does not reopen the call.
      expect((await twilioPost(hub, '/api/inbound/twilio/status', { ...ringing, CallStatus: 'in-progress', SequenceNumber: '2' })).status).toBe(204);
      const after = await snapshot();
      expect({ ...after, e: before.e }).toEqual(before);
      expect(await hub.query(`SELECT count(*)::int AS n FROM activity WHERE kind = 'call_missed' AND payload->>'callId' = (SELECT id::text FROM call WHERE provider_call_id = $1)`, [sid])).toEqual([{ n: 1 }]);
    });

    it('orders progress callbacks by SequenceNumber', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid));
      const progress = (status: string, seq: number) => ({ ...fixture('status-ringing'), CallSid: sid, From: caller, CallStatus: status, SequenceNumber: String(seq) });
      await twilioPost(hub, '/api/inbound/twilio/status', progress('in-progress', 2));
      await twilioPost(hub, '/api/inbound/twilio/status', progress('ringing', 1));
      expect((await callRow(sid)).status).toBe('in-progress');
    });

    it('attaches the recording to the call and its timeline entry, once, and streams it to who may see the contact', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const path = dialPath(parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid))));
      await twilioPost(hub, path, dialResult(sid, 'completed', 190));
      await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid, caller, 'completed', 3, 200));
      const call = await callRow(sid);
      const recordingSid = fixture('recording-completed').RecordingSid;
      const recording = { ...fixture('recording-completed'), CallSid: sid, RecordingUrl: fake.recordingUrl(ACCOUNT.sid, recordingSid) };
      expect((await twilioPost(hub, '/api/inbound/twilio/recording', recording)).status).toBe(204);
      const snapshot = async () => (await hub.query(`SELECT c.recording_sid, c.recording_url, c.recording_duration_seconds, a.payload FROM call c JOIN activity a ON a.id = c.activity_id WHERE c.id = $1`, [call.id]))[0];
      const attached = await snapshot();
      expect(attached).toMatchObject({ recording_sid: recordingSid, recording_url: recording.RecordingUrl, recording_duration_seconds: 190 });
      expect(attached.payload.recording).toEqual({ durationSeconds: 190, url: `/api/calls/${call.id}/recording` });
      expect((await twilioPost(hub, '/api/inbound/twilio/recording', recording)).status).toBe(204);
      expect(await snapshot()).toEqual(attached);

      const ownerToken = call.manager_id === anna.id ? anna.token : boris.token;
      const otherToken = call.manager_id === anna.id ? boris.token : anna.token;
      fake.requests.length = 0;
      const res = await hub.app.inject({ method: 'GET', url: `/api/calls/${call.id}/recording`, headers: { authorization: `Bearer ${ownerToken}` } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('audio/mpeg');
      expect(Buffer.compare(res.rawPayload, RECORDING_BYTES)).toBe(0);
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0].path).toBe(`/2010-04-01/Accounts/${ACCOUNT.sid}/Recordings/${recordingSid}.mp3`);
      expect(fake.requests[0].headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.token}`).toString('base64')}`);
      expect((await hub.request({ url: `/api/calls/${call.id}/recording`, token: otherToken })).status).toBe(404);
      expect((await hub.request({ url: `/api/calls/${call.id}/recording` })).status).toBe(401);
      expect((await hub.request({ url: `/api/calls/${call.id}/recording`, token: await hub.adminToken() })).status).toBe(200);
      const view = await hub.request({ url: `/api/calls/${call.id}`, token: ownerToken });
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ id: call.id, direction: 'inbound', answered: true, durationSeconds: 190, recording: { durationSeconds: 190, url: `/api/calls/${call.id}/recording` } });
      expect(view.text).not.toContain('api.twilio.com');
      expect(view.text).not.toContain(fake.origin);
      expect((await hub.request({ url: `/api/calls/${call.id}`, token: otherToken })).status).toBe(404);
    });

    it('fetches Twilio’s own RecordingUrl (api.twilio.com) from TWILIO_API_BASE_URL; a deleted or unreachable recording is a clear 404/502 JSON and one log line', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const path = dialPath(parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid))));
      await twilioPost(hub, path, dialResult(sid, 'completed', 50));
      await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid, caller, 'completed', 3, 55));
      const recordingSid = 'RE' + 'cd'.repeat(16);
      // The documented callback as Twilio sends it: RecordingUrl on https://api.twilio.com.
      const documented = fixture('recording-completed');
      const recording = { ...documented, CallSid: sid, RecordingSid: recordingSid, RecordingUrl: documented.RecordingUrl.replace(documented.RecordingSid, recordingSid) };
      expect(recording.RecordingUrl).toMatch(/^https:\/\/api\.twilio\.com\//);
      expect((await twilioPost(hub, '/api/inbound/twilio/recording', recording)).status).toBe(204);
      const call = await callRow(sid);
      const admin = await hub.adminToken();
      fake.requests.length = 0;
      const res = await hub.app.inject({ method: 'GET', url: `/api/calls/${call.id}/recording`, headers: { authorization: `Bearer ${admin}` } });
      expect(res.statusCode).toBe(200);
      expect(Buffer.compare(res.rawPayload, RECORDING_BYTES)).toBe(0);
      expect(fake.requests.map((r) => r.path)).toEqual([`/2010-04-01/Accounts/${ACCOUNT.sid}/Recordings/${recordingSid}.mp3`]);

      const warn = jest.spyOn(Logger.prototype, 'warn');
      const error = jest.spyOn(Logger.prototype, 'error');
      try {
        fake.deletedRecordings.add(recordingSid);
        const gone = await hub.request({ url: `/api/calls/${call.id}/recording`, token: admin });
        expect(gone.status).toBe(404);
        expect(gone.body).toEqual({ error: 'not_found', providerCode: 20404, message: 'the provider no longer has this recording (HTTP 404, code 20404)' });
        fake.deletedRecordings.delete(recordingSid);
        fake.dropNextConnection = true;
        const unreachable = await hub.request({ url: `/api/calls/${call.id}/recording`, token: admin });
        expect(unreachable.status).toBe(502);
        expect(unreachable.body).toMatchObject({ error: 'provider_unavailable', providerCode: null, message: expect.stringMatching(/^the recording could not be fetched: unreachable/) });
        const lines = warn.mock.calls.map(([l]) => (l as { msg?: string })?.msg).filter((m) => m?.startsWith('recording fetch'));
        expect(lines).toEqual(['recording fetch refused', 'recording fetch failed']);
        expect(error).not.toHaveBeenCalled();
      } finally {
        warn.mockRestore();
        error.mockRestore();
        fake.deletedRecordings.clear();
      }
    });

    it('a voicemail recording arriving before the call ends is shown on the missed call', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      hub.clock.set('2026-11-23T21:00:00Z');
      await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid));
      const recordingSid = 'RE' + 'ab'.repeat(16);
      await twilioPost(hub, '/api/inbound/twilio/recording', { ...fixture('recording-completed'), CallSid: sid, RecordingSid: recordingSid, RecordingSource: 'RecordVerb', RecordingDuration: '12', RecordingUrl: fake.recordingUrl(ACCOUNT.sid, recordingSid) });
      await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(sid, caller, 'completed', 2, 25));
      const call = await callRow(sid);
      const [missed] = await hub.query(`SELECT payload FROM activity WHERE id = $1`, [call.activity_id]);
      expect(missed.payload).toMatchObject({ answered: false, recording: { durationSeconds: 12, url: `/api/calls/${call.id}/recording` } });
    });

    it('answers 400 to a callback without a CallSid and 204 to a callback for a call it does not know', async () => {
      const bad = await twilioPost(hub, '/api/inbound/twilio/status', { AccountSid: ACCOUNT.sid, CallStatus: 'completed' });
      expect(bad.status).toBe(400);
      const unknown = await twilioPost(hub, '/api/inbound/twilio/status', statusCallback(newCallSid(), newCaller(), 'completed', 1));
      expect(unknown.status).toBe(204);
    });
  });
});
