import { OutboxWorker, SlaService } from '@leadline/core';
import { raiseFormRateLimit } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';
import { FakeTwilio, fixture } from './fake-twilio';
import { ACCOUNT, COMPANY_NUMBER, newCallSid, parseTwiml, PUBLIC_URL, twilioPost, verbs } from './twilio-helpers';

/**
 * Call truth at Twilio's HTTP boundary: signed webhooks (documented payloads as fixtures) arriving in
 * every order and late. The call's outcome is derived from all its events; a late "answered" corrects
 * a call logged as missed, with everything that followed from the false "missed".
 */
describe('call truth: Twilio callbacks in any order and late', () => {
  let hub: TestHub;
  let fake: FakeTwilio;
  let sla: SlaService;
  const managers: Record<string, { id: string; token: string; phone: string }> = {};
  const PHONES = { Anna: '+79161110001', Boris: '+79161110002', Vera: '+79161110003' };
  const RING_ALL_NUMBER = '+74957654321';
  const OPEN = '2026-11-23T08:17:00Z'; // Monday 11:17 in Moscow
  let callerSeq = 0;
  const newCaller = () => `+7999${String(5_000_000 + ++callerSeq).padStart(7, '0')}`;

  const incoming = (from: string, callSid: string, to = COMPANY_NUMBER) => ({ ...fixture('incoming-call'), CallSid: callSid, From: from, Caller: from, To: to, Called: to });
  const dialAction = (callSid: string, status: string, duration?: number, dialCallSid?: string) => {
    const p: Record<string, string> = { ...fixture(status === 'completed' ? 'dial-action-completed' : 'dial-action-no-answer'), CallSid: callSid, DialCallStatus: status };
    if (duration !== undefined) p.DialCallDuration = String(duration);
    else delete p.DialCallDuration;
    if (dialCallSid) p.DialCallSid = dialCallSid;
    return p;
  };
  const status = (callSid: string, from: string, callStatus: string, sequence: number, duration = 0) => ({
    ...fixture('status-completed'),
    CallSid: callSid,
    From: from,
    Caller: from,
    CallStatus: callStatus,
    SequenceNumber: String(sequence),
    CallDuration: String(duration),
  });
  const inProgress = (callSid: string, from: string) => ({ ...fixture('status-in-progress'), CallSid: callSid, From: from, Caller: from });
  const leg = (parentSid: string, legSid: string, to: string) => ({ ...fixture('leg-status-answered'), CallSid: legSid, ParentCallSid: parentSid, To: to, Called: to });
  const callRow = async (sid: string) => (await hub.query(`SELECT * FROM call WHERE provider_call_id = $1`, [sid]))[0];
  const dialPathOf = (xml: ReturnType<typeof parseTwiml>) => verbs(xml).find((v) => v.verb === 'Dial')!.attrs.action.slice(PUBLIC_URL.length);
  const nameOf = (id: string | null) => Object.entries(managers).find(([, m]) => m.id === id)?.[0] ?? null;
  const callActivities = (callId: string) => hub.query(`SELECT * FROM activity WHERE kind LIKE 'call_%' AND payload->>'callId' = $1`, [callId]);

  beforeAll(async () => {
    fake = await new FakeTwilio([ACCOUNT]).start();
    hub = await TestHub.start({
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT.sid,
      TWILIO_AUTH_TOKEN: ACCOUNT.token,
      TWILIO_NUMBER: COMPANY_NUMBER,
      TWILIO_API_BASE_URL: fake.origin,
      CALL_RING_SECONDS: '20',
      CALL_HUNT_MAX: '2',
      CALL_RING_STRATEGY: 'sequential',
      CALL_RING_STRATEGY_BY_NUMBER: `${RING_ALL_NUMBER}=simultaneous`,
      BUSINESS_HOURS: 'Mon-Fri 09:00-18:00',
      BUSINESS_TIMEZONE: 'Europe/Moscow',
      ESCALATION_POLICY: 'reassign',
      ESCALATION_MINUTES: '10',
    });
    hub.clock.set(OPEN);
    await raiseFormRateLimit(hub);
    for (const [name, phone] of Object.entries(PHONES)) managers[name] = { ...(await hub.createManager({ name, phone, timezone: 'Europe/Moscow' })), phone };
    sla = hub.app.get(SlaService);
  });
  afterAll(async () => {
    await hub?.close();
    await fake?.stop();
  });
  beforeEach(() => hub.clock.set(OPEN));

  it('a Dial action "answered, 120 s" after the final status callback and after the escalation: the missed call becomes answered and everything that followed is undone', async () => {
    const caller = newCaller();
    const sid = newCallSid();
    const first = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid)));
    const call = await callRow(sid);
    const owner = call.targets[0];
    const ownerName = nameOf(owner.managerId)!;

    // The final status callback arrives first: nothing says anybody answered yet — logged as missed.
    hub.clock.set('2026-11-23T08:19:15Z');
    expect((await twilioPost(hub, '/api/inbound/twilio/status', status(sid, caller, 'completed', 3, 130))).status).toBe(204);
    const [missed] = await callActivities(call.id);
    expect(missed).toMatchObject({ kind: 'call_missed', actor_id: null });
    const [task] = await hub.query(`SELECT * FROM task WHERE deal_id = $1 AND kind = 'callback'`, [call.deal_id]);
    expect(task).toMatchObject({ status: 'open', assignee_id: owner.managerId, missed_calls: 1 });
    // The missed-call notice reaches the owner's in-app list.
    await hub.app.get(OutboxWorker).runOnce(100);
    const [notice] = await hub.query(`SELECT * FROM notification WHERE event = 'call_missed' AND payload->>'callId' = $1`, [call.id]);
    expect(notice).toMatchObject({ manager_id: owner.managerId });
    expect(notice.payload.withdrawn).toBeUndefined();

    // Nobody "called back": overdue, then escalated to another manager.
    hub.clock.set('2026-11-23T08:43:00Z');
    await sla.tick();
    const [escalated] = await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [call.deal_id]);
    expect(escalated.owner_id).not.toBe(owner.managerId);
    const escalatedTo = escalated.owner_id;
    expect((await hub.query(`SELECT assignee_id FROM task WHERE id = $1`, [task.id]))[0].assignee_id).toBe(escalatedTo);

    // Now Twilio's Dial action arrives: the owner's leg was answered and talked 120 s.
    hub.clock.set('2026-11-23T08:45:00Z');
    const late = verbs(parseTwiml(await twilioPost(hub, dialPathOf(first), dialAction(sid, 'completed', 120))));
    expect(late.map((v) => v.verb)).toEqual(['Hangup']);

    const corrected = await callRow(sid);
    expect(corrected).toMatchObject({ answered: true, manager_id: owner.managerId, duration_seconds: 120, status: 'completed' });
    // Counted back from the end of the call, not from the Dial action's late arrival.
    expect(new Date(corrected.answered_at).toISOString()).toBe('2026-11-23T08:17:15.000Z');
    const activities = await callActivities(call.id);
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({ id: missed.id, kind: 'call_in', actor_id: owner.managerId });
    expect(activities[0].payload).toMatchObject({ answered: true, durationSeconds: 120, correctedFrom: 'call_missed', managerName: ownerName });
    expect(activities[0].payload.text).toBe(`incoming call, answered by ${ownerName}, 2:00 (first logged as missed; the answer was reported late)`);
    expect(activities[0].payload.attempt).toBeUndefined();
    // The UI renders the line from these facts in the reader's language.
    expect(activities[0].payload).toMatchObject({ code: 'call', direction: 'inbound', correctionCode: 'answer_reported_late' });
    // The managers report counts it as an answered call of the owner.
    expect((await hub.query(`SELECT kind, answered, talk_seconds, manager_id FROM call_fact WHERE activity_id = $1`, [missed.id]))[0]).toEqual({
      kind: 'call_in',
      answered: true,
      talk_seconds: 120,
      manager_id: owner.managerId,
    });

    // The callback task is done by who answered; the false attempt is gone.
    const [done] = await hub.query(`SELECT * FROM task WHERE id = $1`, [task.id]);
    expect(done).toMatchObject({ status: 'done', completed_by_id: owner.managerId, assignee_id: owner.managerId, missed_calls: 0 });

    // The escalation made on the false premise is undone: deal and contact back to the owner, the timeline says why.
    const [deal] = await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [call.deal_id]);
    expect(deal.owner_id).toBe(owner.managerId);
    expect((await hub.query(`SELECT owner_id FROM contact WHERE id = $1`, [call.contact_id]))[0].owner_id).toBe(owner.managerId);
    const [undone] = await hub.query(`SELECT payload FROM activity WHERE deal_id = $1 AND kind = 'assigned' ORDER BY occurred_at DESC, created_at DESC LIMIT 1`, [call.deal_id]);
    expect(undone.payload).toMatchObject({ managerId: owner.managerId, rule: 'manual' });
    expect(undone.payload.reason).toMatch(new RegExp(`^escalation undone: the call from .* at 11:17 was answered by ${ownerName}`));
    const told = await hub.query(`SELECT payload FROM outbox WHERE payload->>'event' = 'escalation_undone' AND payload->>'callId' = $1`, [call.id]);
    expect(told.map((r: { payload: { managerId: string } }) => r.payload.managerId)).toEqual([escalatedTo]);
    expect(undone.payload.params).toEqual({ escalationUndone: { from: call.from_number, answeredAt: '2026-11-23T08:17:15.000Z', managerName: ownerName } });
    expect(told[0].payload).toMatchObject({ toManagerName: ownerName, from: call.from_number, answeredAt: '2026-11-23T08:17:15.000Z' });

    // The missed-call notice is withdrawn: marked in the in-app list, and a follow-up says who answered.
    await hub.app.get(OutboxWorker).runOnce(100);
    const [withdrawn] = await hub.query(`SELECT payload FROM notification WHERE id = $1`, [notice.id]);
    expect(withdrawn.payload).toMatchObject({ withdrawn: true, withdrawnReason: 'answered' });
    const followUps = await hub.query(`SELECT manager_id, payload FROM notification WHERE event = 'call_missed_withdrawn' AND payload->>'callId' = $1`, [call.id]);
    expect(followUps).toHaveLength(1);
    expect(followUps[0].manager_id).toBe(owner.managerId);
    expect(followUps[0].payload).toMatchObject({ answeredByName: ownerName, durationSeconds: 120, from: call.from_number });
    expect(followUps[0].payload.text).toMatch(new RegExp(`was answered by ${ownerName} at 11:17 \\(2:00\\); no call back needed$`));

    // Twilio retrying the late Dial action changes nothing more.
    const snapshot = async () => (await hub.query(`SELECT (SELECT count(*) FROM activity)::int AS a, (SELECT count(*) FROM outbox)::int AS o, (SELECT count(*) FROM call_event)::int AS e`))[0];
    const before = await snapshot();
    await twilioPost(hub, dialPathOf(first), dialAction(sid, 'completed', 120));
    expect(await snapshot()).toEqual(before);
  });

  describe('every arrival order of one answered call ends the same', () => {
    const orders = [
      ['progress', 'dial', 'final'],
      ['progress', 'final', 'dial'],
      ['dial', 'progress', 'final'],
      ['dial', 'final', 'progress'],
      ['final', 'progress', 'dial'],
      ['final', 'dial', 'progress'],
    ];
    it.each(orders)('%s → %s → %s', async (...order: string[]) => {
      const caller = newCaller();
      const sid = newCallSid();
      const first = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid)));
      const call = await callRow(sid);
      const owner = call.targets[0];
      const events: Record<string, () => Promise<unknown>> = {
        progress: () => twilioPost(hub, '/api/inbound/twilio/status', inProgress(sid, caller)),
        dial: () => twilioPost(hub, dialPathOf(first), dialAction(sid, 'completed', 95)),
        final: () => twilioPost(hub, '/api/inbound/twilio/status', status(sid, caller, 'completed', 3, 104)),
      };
      let t = Date.parse('2026-11-23T08:19:00Z');
      for (const name of order) {
        hub.clock.set(new Date((t += 2000)));
        await events[name]();
      }
      // Twilio retries all of them once more: nothing changes.
      for (const name of order) await events[name]();
      const ended = await callRow(sid);
      expect(ended).toMatchObject({ answered: true, manager_id: owner.managerId, duration_seconds: 95, status: 'completed', last_sequence: 3 });
      const activities = await callActivities(call.id);
      expect(activities.map((a: { kind: string }) => a.kind)).toEqual(['call_in']);
      expect(activities[0].payload).toMatchObject({ answered: true, durationSeconds: 95 });
      const [task] = await hub.query(`SELECT status, completed_by_id, missed_calls FROM task WHERE deal_id = $1 AND kind = 'callback'`, [call.deal_id]);
      expect(task).toEqual({ status: 'done', completed_by_id: owner.managerId, missed_calls: 0 });
      // A missed-call notice written before the Dial action arrived is withdrawn; none is left standing.
      const standing = await hub.query(`SELECT id FROM outbox WHERE payload->>'event' = 'call_missed' AND payload->>'callId' = $1 AND payload->>'withdrawn' IS NULL`, [call.id]);
      expect(standing).toEqual([]);
    });
  });

  describe('ring-all (CALL_RING_STRATEGY_BY_NUMBER)', () => {
    it('rings the owner and every available manager at once, each leg reporting its answer; logged as answered by whoever answered', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const doc = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid, RING_ALL_NUMBER)));
      const call = await callRow(sid);
      expect(call.ring_strategy).toBe('simultaneous');
      const [dial, ...rest] = verbs(doc);
      expect(rest).toEqual([]);
      expect(dial).toMatchObject({ verb: 'Dial', attrs: { timeout: '20', action: `${PUBLIC_URL}/api/inbound/twilio/dial?callId=${call.id}&leg=0` } });
      // All three (CALL_HUNT_MAX=2 limits only the sequential hunt), owner first.
      expect(dial.children.map((n) => n.text)).toEqual(call.targets.map((t: { phone: string }) => t.phone));
      expect(dial.children).toHaveLength(3);
      for (const n of dial.children) {
        expect(n).toMatchObject({ verb: 'Number', attrs: { statusCallback: `${PUBLIC_URL}/api/inbound/twilio/leg?callId=${call.id}`, statusCallbackEvent: 'answered', statusCallbackMethod: 'POST' } });
      }
      // Not the owner: the third phone picks up first.
      const winner = call.targets[2];
      const legSid = newCallSid();
      const legPath = `/api/inbound/twilio/leg?callId=${call.id}`;
      expect((await twilioPost(hub, legPath, leg(sid, legSid, winner.phone))).status).toBe(204);
      // A leg callback must be signed and belong to this call.
      expect((await twilioPost(hub, legPath, leg(sid, newCallSid(), winner.phone), { signature: null })).status).toBe(403);
      expect((await twilioPost(hub, legPath, leg(newCallSid(), newCallSid(), winner.phone))).status).toBe(404);
      hub.clock.set('2026-11-23T08:19:00Z');
      expect(verbs(parseTwiml(await twilioPost(hub, dialPathOf(doc), dialAction(sid, 'completed', 61, legSid)))).map((v) => v.verb)).toEqual(['Hangup']);
      await twilioPost(hub, '/api/inbound/twilio/status', status(sid, caller, 'completed', 3, 70));
      const ended = await callRow(sid);
      expect(ended).toMatchObject({ answered: true, manager_id: winner.managerId, duration_seconds: 61 });
      const [activity] = await callActivities(call.id);
      expect(activity).toMatchObject({ kind: 'call_in', actor_id: winner.managerId });
      expect(activity.payload.text).toBe(`incoming call, answered by ${winner.name}, 1:01`);
      const [task] = await hub.query(`SELECT status, completed_by_id FROM task WHERE deal_id = $1 AND kind = 'callback'`, [call.deal_id]);
      expect(task).toEqual({ status: 'done', completed_by_id: winner.managerId });
    });

    it('the leg callback arriving after the call ended still names who answered', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const doc = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid, RING_ALL_NUMBER)));
      const call = await callRow(sid);
      const winner = call.targets[1];
      const legSid = newCallSid();
      await twilioPost(hub, dialPathOf(doc), dialAction(sid, 'completed', 33, legSid));
      await twilioPost(hub, '/api/inbound/twilio/status', status(sid, caller, 'completed', 3, 40));
      expect((await callActivities(call.id))[0]).toMatchObject({ kind: 'call_in', actor_id: null });
      await twilioPost(hub, `/api/inbound/twilio/leg?callId=${call.id}`, leg(sid, legSid, winner.phone));
      const [activity] = await callActivities(call.id);
      expect(activity).toMatchObject({ kind: 'call_in', actor_id: winner.managerId });
      expect(activity.payload).toMatchObject({ managerId: winner.managerId, text: `incoming call, answered by ${winner.name}, 0:33` });
      expect((await callRow(sid)).manager_id).toBe(winner.managerId);
    });

    it('nobody answers a ring-all: straight to voicemail (no second round), a missed call', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const doc = parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(caller, sid, RING_ALL_NUMBER)));
      const next = verbs(parseTwiml(await twilioPost(hub, dialPathOf(doc), dialAction(sid, 'no-answer'))));
      expect(next.map((v) => v.verb)).toEqual(['Say', 'Record', 'Hangup']);
      await twilioPost(hub, '/api/inbound/twilio/status', status(sid, caller, 'completed', 3, 30));
      const call = await callRow(sid);
      expect((await callActivities(call.id)).map((a: { kind: string }) => a.kind)).toEqual(['call_missed']);
    });

    it('the company number without an override keeps the hub default (sequential: one phone)', async () => {
      const sid = newCallSid();
      const doc = verbs(parseTwiml(await twilioPost(hub, '/api/inbound/twilio/voice', incoming(newCaller(), sid))));
      expect(doc[0].children).toHaveLength(1);
      expect((await callRow(sid)).ring_strategy).toBe('sequential');
    });
  });

  describe('ESCALATION_POLICY=notify', () => {
    let notifyHub: TestHub;
    beforeAll(async () => {
      notifyHub = await TestHub.start({
        PUBLIC_URL,
        TWILIO_ACCOUNT_SID: ACCOUNT.sid,
        TWILIO_AUTH_TOKEN: ACCOUNT.token,
        TWILIO_NUMBER: COMPANY_NUMBER,
        TWILIO_API_BASE_URL: fake.origin,
        BUSINESS_HOURS: 'Mon-Fri 09:00-18:00',
        BUSINESS_TIMEZONE: 'Europe/Moscow',
        ESCALATION_POLICY: 'notify',
        ESCALATION_MINUTES: '10',
      });
      notifyHub.clock.set(OPEN);
      await notifyHub.createManager({ name: 'Anna', phone: PHONES.Anna, timezone: 'Europe/Moscow' });
    });
    afterAll(async () => {
      await notifyHub?.close();
    });

    it('the admins told "did not call back" are told it was answered, and their escalation notice is withdrawn', async () => {
      const caller = newCaller();
      const sid = newCallSid();
      const first = parseTwiml(await twilioPost(notifyHub, '/api/inbound/twilio/voice', incoming(caller, sid)));
      const [call] = await notifyHub.query(`SELECT * FROM call WHERE provider_call_id = $1`, [sid]);
      notifyHub.clock.set('2026-11-23T08:19:15Z');
      await twilioPost(notifyHub, '/api/inbound/twilio/status', status(sid, caller, 'completed', 3, 130));
      notifyHub.clock.set('2026-11-23T08:43:00Z');
      await notifyHub.app.get(SlaService).tick();
      await notifyHub.app.get(OutboxWorker).runOnce(100);
      const escalations = await notifyHub.query(`SELECT id, payload FROM notification WHERE event = 'task_escalated' AND payload->>'dealId' = $1`, [call.deal_id]);
      expect(escalations.length).toBeGreaterThan(0);
      expect(escalations[0].payload.withdrawn).toBeUndefined();

      notifyHub.clock.set('2026-11-23T08:45:00Z');
      await twilioPost(notifyHub, dialPathOf(first), dialAction(sid, 'completed', 120));
      await notifyHub.app.get(OutboxWorker).runOnce(100);
      for (const n of await notifyHub.query(`SELECT payload FROM notification WHERE event = 'task_escalated' AND payload->>'dealId' = $1`, [call.deal_id])) {
        expect(n.payload).toMatchObject({ withdrawn: true, withdrawnReason: 'answered' });
      }
      const [withdrawn] = await notifyHub.query(`SELECT payload FROM notification WHERE event = 'escalation_withdrawn' AND payload->>'callId' = $1`, [call.id]);
      expect(withdrawn.payload).toMatchObject({ answeredByName: 'Anna', from: call.from_number, answeredAt: expect.any(String) });
      expect(withdrawn.payload.text).toMatch(/^Escalation withdrawn: the call from .* at 11:17 was answered by Anna \(reported late\)/);
      expect((await notifyHub.query(`SELECT status FROM task WHERE deal_id = $1 AND kind = 'callback'`, [call.deal_id]))[0].status).toBe('done');
    });
  });
});
