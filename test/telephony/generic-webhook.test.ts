import { createHmac } from 'node:crypto';
import { postLead, raiseFormRateLimit } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

/** POST /api/inbound/telephony/generic: a PBX reports calls as HMAC-signed JSON. */
describe('generic telephony webhook', () => {
  let hub: TestHub;
  let anna: { id: string; token: string };
  const SECRET = 'pbx-shared-secret-0123456789';
  const ANNA_PHONE = '+79161110001';
  let seq = 0;
  const caller = () => `+7903${String(4_000_000 + ++seq).padStart(7, '0')}`;
  const callId = () => `pbx-1763900000.${++seq}`;

  /** Posts exactly these bytes with their signature over "<timestamp>.<body>" (or another one). */
  const post = (body: unknown, signature?: string | null) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const ts = String(Math.floor(hub.clock.now().getTime() / 1000));
    const sig = signature === undefined ? `sha256=${createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex')}` : signature;
    return hub.request({ method: 'POST', url: '/api/inbound/telephony/generic', body: raw, headers: { 'x-leadline-timestamp': ts, ...(sig === null ? {} : { 'x-leadline-signature': sig }) } });
  };

  beforeAll(async () => {
    hub = await TestHub.start({ TELEPHONY_WEBHOOK_SECRET: SECRET, BUSINESS_TIMEZONE: 'Europe/Moscow', CALL_RING_STRATEGY_BY_NUMBER: '+74957654321=simultaneous' });
    hub.clock.set('2026-11-23T08:00:00Z');
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna', phone: ANNA_PHONE, timezone: 'Europe/Moscow' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const counts = async () => (await hub.query(`SELECT (SELECT count(*) FROM call)::int AS calls, (SELECT count(*) FROM activity)::int AS activities, (SELECT count(*) FROM call_event)::int AS events`))[0];

  it('rejects a wrong, a missing and a stale-body signature with 403 and stores nothing', async () => {
    const before = await counts();
    const body = { callId: callId(), event: 'started', direction: 'inbound', from: caller(), to: '+74951234567' };
    const wrong = await post(body, `sha256=${createHmac('sha256', 'another-secret-000000000').update(JSON.stringify(body)).digest('hex')}`);
    const missing = await post(body, null);
    const otherBody = await post(body, `sha256=${createHmac('sha256', SECRET).update(JSON.stringify({ ...body, from: caller() })).digest('hex')}`);
    for (const res of [wrong, missing, otherBody]) expect(res.status).toBe(403);
    expect(await counts()).toEqual(before);
  });

  it('answers 400 naming the fields of a payload that is not a call event', async () => {
    const res = await post({ callId: '', event: 'exploded', durationSeconds: -3 });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.fields).sort()).toEqual(['callId', 'durationSeconds', 'event']);
  });

  it('started → a lead and the managers to ring; answered + completed → call_in by the manager found by phone; duplicates change nothing', async () => {
    const from = caller();
    const id = callId();
    const started = await post({ callId: id, event: 'started', direction: 'inbound', from, to: '+74951234567', callerName: 'Pavel' });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ status: 'applied', callId: expect.any(String), contactId: expect.any(String), ringStrategy: 'sequential', targets: [{ managerId: anna.id, name: 'Anna', phone: ANNA_PHONE }] });
    const [contact] = await hub.query(`SELECT name FROM contact WHERE id = $1`, [started.body.contactId]);
    expect(contact.name).toBe('Pavel');

    const answered = await post({ callId: id, event: 'answered', manager: { phone: '8 916 111-00-01' }, sequence: 2 });
    expect(answered.body.status).toBe('applied');
    hub.clock.set('2026-11-23T08:04:00Z');
    const completed = { callId: id, event: 'completed', durationSeconds: 215, sequence: 3, recording: { url: 'https://pbx.example.com/rec/1.mp3', durationSeconds: 215 } };
    expect((await post(completed)).body.status).toBe('applied');
    const before = await counts();
    expect((await post(completed)).body.status).toBe('duplicate');
    expect((await post({ callId: id, event: 'started', direction: 'inbound', from })).body.status).toBe('duplicate');
    expect(await counts()).toEqual(before);

    const [activity] = await hub.query(`SELECT actor_id, channel, payload FROM activity WHERE contact_id = $1 AND kind = 'call_in'`, [started.body.contactId]);
    expect(activity).toMatchObject({ actor_id: anna.id, channel: 'phone', payload: { answered: true, durationSeconds: 215, direction: 'inbound', from, text: 'incoming call, answered by Anna, 3:35' } });
    // The recording sent along with `completed` (as the docs allow) is stored and linked on the timeline.
    const [call] = await hub.query(`SELECT recording_url, recording_duration_seconds FROM call WHERE id = $1`, [started.body.callId]);
    expect(call).toEqual({ recording_url: 'https://pbx.example.com/rec/1.mp3', recording_duration_seconds: 215 });
    expect(activity.payload.recording).toEqual({ durationSeconds: 215, url: `/api/calls/${started.body.callId}/recording` });
    const [task] = await hub.query(`SELECT status FROM task WHERE contact_id = $1 AND kind = 'callback'`, [started.body.contactId]);
    expect(task.status).toBe('done');
  });

  it('tells the PBX to ring all available managers at once for a number set to simultaneous (number as people type it)', async () => {
    const res = await post({ callId: callId(), event: 'started', from: caller(), to: '8 (495) 765-43-21' });
    expect(res.body).toMatchObject({ status: 'applied', ringStrategy: 'simultaneous', targets: [{ managerId: anna.id }] });
    const [call] = await hub.query(`SELECT ring_strategy FROM call WHERE id = $1`, [res.body.callId]);
    expect(call.ring_strategy).toBe('simultaneous');
  });

  it('a recording event attaches the PBX recording to the call', async () => {
    const id = callId();
    await post({ callId: id, event: 'started', from: caller() });
    await post({ callId: id, event: 'completed', answered: true, manager: { email: 'anna@test.local' }, durationSeconds: 20 });
    const res = await post({ callId: id, event: 'recording', recording: { id: 'rec-1', url: 'https://pbx.example.com/rec/2.mp3', durationSeconds: 19 } });
    expect(res.body.status).toBe('applied');
    const [call] = await hub.query(`SELECT c.manager_id, c.recording_url, a.payload FROM call c JOIN activity a ON a.id = c.activity_id WHERE c.id = $1`, [res.body.callId]);
    expect(call).toMatchObject({ manager_id: anna.id, recording_url: 'https://pbx.example.com/rec/2.mp3', payload: { recording: { durationSeconds: 19, url: `/api/calls/${res.body.callId}/recording` } } });
  });

  it('missed → a callback task for the owner and a notice; a repeat missed call joins the task', async () => {
    const from = caller();
    const first = callId();
    await post({ callId: first, event: 'started', from });
    await post({ callId: first, event: 'missed', status: 'no-answer' });
    const [call] = await hub.query(`SELECT contact_id, deal_id, task_id FROM call WHERE provider_call_id = $1`, [first]);
    const [task] = await hub.query(`SELECT id, status, assignee_id, missed_calls FROM task WHERE id = $1`, [call.task_id]);
    expect(task).toMatchObject({ status: 'open', assignee_id: anna.id, missed_calls: 1 });
    const [notice] = await hub.query(`SELECT payload FROM outbox WHERE payload->>'event' = 'call_missed' AND payload->>'taskId' = $1`, [task.id]);
    expect(notice.payload.text).toMatch(/^Missed call from \+7 903 \d{3} \d{2} \d{2}, call back by \d{2}:\d{2}$/);

    // A call reported only when it is over (no `started`) is still logged.
    const second = callId();
    expect((await post({ callId: second, event: 'missed', from })).body.status).toBe('applied');
    const [again] = await hub.query(`SELECT task_id FROM call WHERE provider_call_id = $1`, [second]);
    expect(again.task_id).toBe(task.id);
    expect((await hub.query(`SELECT missed_calls FROM task WHERE id = $1`, [task.id]))[0].missed_calls).toBe(2);
  });

  it('an outbound call reported by the PBX completes the callback task only when it connects; unanswered ones are attempts', async () => {
    const phone = caller();
    const lead = await postLead(hub, { name: 'Client', phone });
    const task = async () => (await hub.query(`SELECT status, completed_by_id, call_attempts FROM task WHERE id = $1`, [lead.taskId]))[0];
    const unanswered = callId();
    const res = await post({ callId: unanswered, event: 'started', direction: 'outbound', from: ANNA_PHONE, to: phone, manager: { phone: ANNA_PHONE } });
    expect(res.body).toMatchObject({ status: 'applied', contactId: lead.contactId });
    expect(await task()).toEqual({ status: 'open', completed_by_id: null, call_attempts: 0 });
    expect((await post({ callId: unanswered, event: 'completed', status: 'no-answer', sequence: 2 })).body.status).toBe('applied');
    expect(await task()).toEqual({ status: 'open', completed_by_id: null, call_attempts: 1 });

    // A PBX that reports only the end: `completed` with answered: true is the connected call back.
    const connected = callId();
    expect((await post({ callId: connected, event: 'completed', direction: 'outbound', from: ANNA_PHONE, to: phone, manager: { phone: ANNA_PHONE }, answered: true, durationSeconds: 42 })).body.status).toBe('applied');
    expect(await task()).toEqual({ status: 'done', completed_by_id: anna.id, call_attempts: 1 });
    const [out] = await hub.query(`SELECT kind, payload FROM activity WHERE kind = 'call_out' AND payload->>'callId' = (SELECT id::text FROM call WHERE provider_call_id = $1)`, [connected]);
    expect(out.payload).toMatchObject({ answered: true, durationSeconds: 42, text: 'outgoing call by Anna, 0:42' });
  });

  it('a late `answered` after `missed` turns the missed call into an answered one and takes the missed-call notice back', async () => {
    const from = caller();
    const id = callId();
    const started = await post({ callId: id, event: 'started', from });
    await post({ callId: id, event: 'missed', status: 'no-answer', sequence: 3 });
    expect((await post({ callId: id, event: 'answered', manager: { phone: ANNA_PHONE }, durationSeconds: 75, sequence: 2 })).body.status).toBe('applied');
    const [activity] = await hub.query(`SELECT kind, actor_id, payload FROM activity WHERE id = (SELECT activity_id FROM call WHERE id = $1)`, [started.body.callId]);
    expect(activity).toMatchObject({ kind: 'call_in', actor_id: anna.id, payload: { answered: true, durationSeconds: 75, correctedFrom: 'call_missed' } });
    const [notice] = await hub.query(`SELECT payload FROM outbox WHERE payload->>'event' = 'call_missed' AND payload->>'callId' = $1`, [started.body.callId]);
    expect(notice.payload).toMatchObject({ withdrawn: true });
    const [followUp] = await hub.query(`SELECT payload FROM outbox WHERE payload->>'event' = 'call_missed_withdrawn' AND payload->>'callId' = $1`, [started.body.callId]);
    expect(followUp.payload).toMatchObject({ managerId: anna.id, answeredBy: 'Anna', durationSeconds: 75 });
    const [task] = await hub.query(`SELECT status, missed_calls FROM task WHERE contact_id = $1 AND kind = 'callback'`, [started.body.contactId]);
    expect(task).toEqual({ status: 'done', missed_calls: 0 });
  });
});

describe('telephony unconfigured', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await TestHub.start();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('registers no webhooks and click-to-call explains what to configure', async () => {
    expect((await hub.request({ method: 'POST', url: '/api/inbound/telephony/generic', body: { callId: 'x', event: 'started' } })).status).toBe(404);
    expect((await hub.request({ method: 'POST', url: '/api/inbound/twilio/voice', body: { CallSid: 'x' }, form: true })).status).toBe(404);
    const res = await hub.request({ method: 'POST', url: '/api/calls', token: await hub.adminToken(), body: { contactId: '00000000-0000-4000-8000-000000000000' } });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/TWILIO_ACCOUNT_SID/);
  });
});
