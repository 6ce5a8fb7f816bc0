import { Logger } from '@nestjs/common';
import { MISSING_ID, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';
import { FakeTwilio, fixture } from './fake-twilio';
import { ACCOUNT, COMPANY_NUMBER, parseTwiml, PUBLIC_URL, twilioPost, verbs } from './twilio-helpers';

/** POST /api/calls through the real twilio client, pointed at a local fake of Twilio's REST API. */
describe('click-to-call', () => {
  let hub: TestHub;
  let fake: FakeTwilio;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let noPhone: { id: string; token: string };
  const ANNA_PHONE = '+79161110001';
  let seq = 0;
  const clientPhone = () => `+7926${String(3_000_000 + ++seq).padStart(7, '0')}`;

  beforeAll(async () => {
    fake = await new FakeTwilio([ACCOUNT]).start();
    hub = await TestHub.start({
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT.sid,
      TWILIO_AUTH_TOKEN: ACCOUNT.token,
      TWILIO_NUMBER: COMPANY_NUMBER,
      TWILIO_API_BASE_URL: fake.origin,
      CALL_RING_SECONDS: '30',
    });
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna', phone: ANNA_PHONE, timezone: 'Europe/Moscow' });
    boris = await hub.createManager({ name: 'Boris', phone: '+79161110002', available: false });
    noPhone = await hub.createManager({ name: 'Vera', available: false });
  });
  afterAll(async () => {
    await hub?.close();
    await fake?.stop();
  });

  /** A lead owned by Anna (the only available manager). */
  const annasLead = async () => {
    const phone = clientPhone();
    const lead = await postLead(hub, { name: 'Client', phone });
    const [deal] = await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId]);
    expect(deal.owner_id).toBe(anna.id);
    return { ...lead, phone };
  };

  it('creates the call through Twilio REST to the manager, bridges to the contact with the company caller id; the callback task is done when the contact answers, not before', async () => {
    hub.clock.set('2026-11-23T08:00:00Z');
    const lead = await annasLead();
    hub.clock.set('2026-11-23T08:07:00Z');
    fake.requests.length = 0;
    const res = await hub.request({ method: 'POST', url: '/api/calls', token: anna.token, body: { contactId: lead.contactId } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ callId: expect.any(String), status: 'queued' });
    const { callId } = res.body;

    // What Twilio received: the documented Calls.json create, Basic auth, form body.
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe(`/2010-04-01/Accounts/${ACCOUNT.sid}/Calls.json`);
    expect(sent.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.token}`).toString('base64')}`);
    expect(sent.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(sent.form).toMatchObject({
      To: ANNA_PHONE,
      From: COMPANY_NUMBER,
      Url: `${PUBLIC_URL}/api/inbound/twilio/outbound?callId=${callId}`,
      Method: 'POST',
      StatusCallback: `${PUBLIC_URL}/api/inbound/twilio/status`,
      StatusCallbackMethod: 'POST',
      StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      Timeout: '30',
    });

    const [call] = await hub.query(`SELECT * FROM call WHERE id = $1`, [callId]);
    expect(call).toMatchObject({ direction: 'outbound', provider: 'twilio', contact_id: lead.contactId, placed_by_id: anna.id, to_number: lead.phone, from_number: COMPANY_NUMBER, status: 'queued' });
    expect(call.provider_call_id).toMatch(/^CA[0-9a-f]{32}$/);

    // Twilio accepting the request is not a call back: the task stays open, no first response yet.
    const [pending] = await hub.query(`SELECT status, completed_by_id FROM task WHERE id = $1`, [lead.taskId]);
    expect(pending).toEqual({ status: 'open', completed_by_id: null });
    expect((await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [lead.dealId]))[0].first_response_at).toBeNull();

    // Anna picks up: Twilio asks for TwiML, which dials the contact showing the company number.
    const base = { ...fixture('status-ringing'), CallSid: call.provider_call_id, Direction: 'outbound-api', From: COMPANY_NUMBER, To: ANNA_PHONE };
    const bridge = verbs(parseTwiml(await twilioPost(hub, `/api/inbound/twilio/outbound?callId=${callId}`, { ...base, CallStatus: 'in-progress' })));
    expect(bridge).toHaveLength(1);
    expect(bridge[0]).toMatchObject({ verb: 'Dial', attrs: { callerId: COMPANY_NUMBER, timeout: '30', action: `${PUBLIC_URL}/api/inbound/twilio/dial?callId=${callId}&leg=0` } });
    expect(bridge[0].children).toEqual([{ verb: 'Number', text: lead.phone, attrs: {} }]);

    // The client talks 45 s; the call ends.
    hub.clock.set('2026-11-23T08:09:00Z');
    const dial = { ...fixture('dial-action-completed'), CallSid: call.provider_call_id, Direction: 'outbound-api', DialCallDuration: '45' };
    expect(verbs(parseTwiml(await twilioPost(hub, `/api/inbound/twilio/dial?callId=${callId}&leg=0`, dial))).map((v) => v.verb)).toEqual(['Hangup']);
    await twilioPost(hub, '/api/inbound/twilio/status', { ...base, CallStatus: 'completed', CallDuration: '60', SequenceNumber: '3' });
    const [activity] = await hub.query(`SELECT * FROM activity WHERE contact_id = $1 AND kind = 'call_out'`, [lead.contactId]);
    expect(activity.actor_id).toBe(anna.id);
    expect(activity.payload).toMatchObject({ callId, direction: 'outbound', status: 'completed', answered: true, durationSeconds: 45, from: COMPANY_NUMBER, to: lead.phone, text: 'outgoing call by Anna, 0:45' });

    // The contact answered at 08:08:15 (45 s before the Dial action): that connected call is the call back.
    const [task] = await hub.query(`SELECT status, completed_by_id, call_attempts FROM task WHERE id = $1`, [lead.taskId]);
    expect(task).toEqual({ status: 'done', completed_by_id: anna.id, call_attempts: 0 });
    const [done] = await hub.query(`SELECT channel, payload FROM activity WHERE deal_id = $1 AND kind = 'task_done'`, [lead.dealId]);
    expect(done).toMatchObject({ channel: 'phone', payload: { via: 'phone', afterMinutes: 8 } });
    const [deal] = await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [lead.dealId]);
    expect(new Date(deal.first_response_at).toISOString()).toBe('2026-11-23T08:08:15.000Z');
  });

  it('calls nobody answers are attempts: counted on the open callback task and shown; a connected call completes it', async () => {
    const lead = await annasLead();
    const attempt = async () => {
      const res = await hub.request({ method: 'POST', url: '/api/calls', token: anna.token, body: { contactId: lead.contactId } });
      expect(res.status).toBe(201);
      const [call] = await hub.query(`SELECT * FROM call WHERE id = $1`, [res.body.callId]);
      const base = { ...fixture('status-ringing'), CallSid: call.provider_call_id, Direction: 'outbound-api', From: COMPANY_NUMBER, To: ANNA_PHONE };
      return { call, base };
    };
    for (const n of [1, 2]) {
      const { call, base } = await attempt();
      await twilioPost(hub, `/api/inbound/twilio/dial?callId=${call.id}&leg=0`, { ...fixture('dial-action-no-answer'), CallSid: call.provider_call_id, Direction: 'outbound-api' });
      await twilioPost(hub, '/api/inbound/twilio/status', { ...base, CallStatus: 'completed', CallDuration: '35', SequenceNumber: '3' });
      const [activity] = await hub.query(`SELECT actor_id, payload FROM activity WHERE kind = 'call_out' AND payload->>'callId' = $1`, [call.id]);
      expect(activity.actor_id).toBe(anna.id);
      expect(activity.payload).toMatchObject({ answered: false, durationSeconds: 0, taskId: lead.taskId, attempt: n, text: n === 1 ? 'outgoing call by Anna, no answer' : 'outgoing call by Anna, no answer (attempt 2)' });
    }
    const card = (await hub.request({ url: '/api/tasks', token: anna.token })).body.find((t: { id: string }) => t.id === lead.taskId);
    expect(card).toMatchObject({ status: 'open', callAttempts: 2 });
    expect((await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [lead.dealId]))[0].first_response_at).toBeNull();

    // Third call: Twilio's final status callback first, the Dial action ("the contact answered, 20 s") late.
    const { call, base } = await attempt();
    await twilioPost(hub, '/api/inbound/twilio/status', { ...base, CallStatus: 'completed', CallDuration: '40', SequenceNumber: '3' });
    expect((await hub.query(`SELECT status, call_attempts FROM task WHERE id = $1`, [lead.taskId]))[0]).toEqual({ status: 'open', call_attempts: 3 });
    await twilioPost(hub, `/api/inbound/twilio/dial?callId=${call.id}&leg=0`, { ...fixture('dial-action-completed'), CallSid: call.provider_call_id, Direction: 'outbound-api', DialCallDuration: '20' });
    expect((await hub.query(`SELECT status, call_attempts, completed_by_id FROM task WHERE id = $1`, [lead.taskId]))[0]).toEqual({ status: 'done', call_attempts: 2, completed_by_id: anna.id });
    const [connected] = await hub.query(`SELECT kind, payload FROM activity WHERE id = (SELECT activity_id FROM call WHERE id = $1)`, [call.id]);
    expect(connected).toMatchObject({ kind: 'call_out', payload: { answered: true, durationSeconds: 20, correctedFrom: 'call_out' } });
    expect(connected.payload.text).toMatch(/^outgoing call by Anna, 0:20 \(first logged as not answered/);
  });

  it('answers 422 with Twilio’s code when Twilio refuses the number (21211), logs one line, the call as failed, the task open', async () => {
    const lead = await annasLead();
    fake.failNextCreate = { status: 400, body: fixture('rest-error-invalid-to') };
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const error = jest.spyOn(Logger.prototype, 'error');
    let res;
    try {
      res = await hub.request({ method: 'POST', url: '/api/calls', token: anna.token, body: { contactId: lead.contactId } });
      const lines = warn.mock.calls.filter(([l]) => (l as { msg?: string })?.msg === 'twilio refused the outbound call');
      expect(lines).toHaveLength(1);
      expect(lines[0][0]).toMatchObject({ httpStatus: 400, code: 21211 });
      expect(error).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ error: 'provider_rejected', providerCode: 21211, message: expect.stringMatching(/Invalid 'To' Phone Number.*\(Twilio error 21211\)$/) });
    expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const [call] = await hub.query(`SELECT status, error, provider_call_id FROM call WHERE contact_id = $1`, [lead.contactId]);
    expect(call).toMatchObject({ status: 'failed', provider_call_id: null });
    expect(call.error).toMatch(/Invalid 'To' Phone Number/);
    const [activity] = await hub.query(`SELECT payload FROM activity WHERE contact_id = $1 AND kind = 'call_out'`, [lead.contactId]);
    expect(activity.payload).toMatchObject({ status: 'failed', answered: false, text: 'outgoing call by Anna, failed' });
    const [task] = await hub.query(`SELECT status FROM task WHERE id = $1`, [lead.taskId]);
    expect(task.status).toBe('open');
  });

  it('answers 502 JSON when Twilio cannot be reached, with one log line and no stack trace', async () => {
    const lead = await annasLead();
    fake.dropNextConnection = true;
    const error = jest.spyOn(Logger.prototype, 'error');
    const warn = jest.spyOn(Logger.prototype, 'warn');
    let res;
    try {
      res = await hub.request({ method: 'POST', url: '/api/calls', token: anna.token, body: { contactId: lead.contactId } });
      expect(error).not.toHaveBeenCalled();
      const lines = warn.mock.calls.filter(([l]) => (l as { msg?: string })?.msg === 'twilio refused the outbound call');
      expect(lines).toHaveLength(1);
      expect(lines[0][0]).toMatchObject({ httpStatus: null, network: expect.any(String) });
    } finally {
      error.mockRestore();
      warn.mockRestore();
    }
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ error: 'provider_unavailable', providerCode: null, message: expect.stringMatching(/^Twilio did not place the call: unreachable/) });
    expect((await hub.query(`SELECT status FROM task WHERE id = $1`, [lead.taskId]))[0].status).toBe('open');
  });

  it('refuses what cannot be called: another manager’s contact (404), a manager without a phone, a bad body (400)', async () => {
    const lead = await annasLead();
    fake.requests.length = 0;
    const others = await hub.request({ method: 'POST', url: '/api/calls', token: boris.token, body: { contactId: lead.contactId } });
    expect(others.status).toBe(404);
    const missing = await hub.request({ method: 'POST', url: '/api/calls', token: anna.token, body: { contactId: MISSING_ID } });
    expect(missing.status).toBe(404);
    const admin = await hub.request({ method: 'POST', url: '/api/calls', token: await hub.adminToken(), body: { contactId: lead.contactId } });
    expect(admin.status).toBe(400);
    expect(admin.body.fields).toHaveProperty('phone');
    await hub.query(`UPDATE contact SET owner_id = $1 WHERE id = $2`, [noPhone.id, lead.contactId]);
    const withoutPhone = await hub.request({ method: 'POST', url: '/api/calls', token: noPhone.token, body: { contactId: lead.contactId } });
    expect(withoutPhone.status).toBe(400);
    const bad = await hub.request({ method: 'POST', url: '/api/calls', token: anna.token, body: { contactId: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty('contactId');
    expect(fake.requests).toEqual([]);
  });
});
