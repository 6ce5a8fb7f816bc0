import { deriveCallOutcome, type CallFact } from './call-outcome';

const ANNA = '11111111-1111-4111-8111-111111111111';
const BORIS = '22222222-2222-4222-8222-222222222222';
const CHILD = 'CAd1a2b3c4d5e6f708192a3b4c5d6e7f80';

const fact = (f: Partial<CallFact> & Pick<CallFact, 'key' | 'type'>): CallFact => ({
  sequence: null,
  occurredAt: '2026-11-23T08:20:00.000Z',
  providerAt: null,
  status: null,
  durationSeconds: null,
  answered: null,
  managerId: null,
  legId: null,
  ...f,
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** Every arrival order of the events (each prefix applied in turn, as the hub does) ends in the same outcome. */
function expectOrderIndependent(events: CallFact[]) {
  const outcomes = permutations(events).map((order) => deriveCallOutcome(order, 'ringing'));
  for (const o of outcomes) expect(o).toEqual(outcomes[0]);
  return outcomes[0];
}

describe('deriveCallOutcome', () => {
  // An incoming Twilio call Anna answered for 120 s: progress callbacks, the Dial action and the final status
  // callback, each received at a different time (the Dial action typically last, a few seconds late).
  const answeredCall = [
    fact({ key: 'status:ringing', type: 'ringing', sequence: 1, status: 'ringing', occurredAt: '2026-11-23T08:17:02.000Z', providerAt: '2026-11-23T08:17:02.000Z' }),
    fact({ key: 'status:in-progress', type: 'ringing', sequence: 2, status: 'in-progress', occurredAt: '2026-11-23T08:17:05.000Z', providerAt: '2026-11-23T08:17:05.000Z' }),
    fact({ key: 'status:completed', type: 'completed', sequence: 3, status: 'completed', durationSeconds: 130, occurredAt: '2026-11-23T08:19:15.000Z', providerAt: '2026-11-23T08:19:15.000Z' }),
    fact({ key: 'dial:0', type: 'answered', status: 'in-progress', durationSeconds: 120, managerId: ANNA, legId: CHILD, occurredAt: '2026-11-23T08:19:40.000Z' }),
  ];

  it('a call answered for 120 s is answered, by Anna, for 120 s, in all 24 arrival orders', () => {
    const outcome = expectOrderIndependent(answeredCall);
    expect(outcome).toEqual({
      status: 'completed',
      ended: true,
      endedAt: new Date('2026-11-23T08:19:15.000Z'),
      answered: true,
      // Counted back from the call's end, not from the late arrival of the Dial action.
      answeredAt: new Date('2026-11-23T08:17:15.000Z'),
      managerId: ANNA,
      durationSeconds: 120,
      lastSequence: 3,
    });
  });

  it('the late Dial action turns "missed" into "answered": without it the same call is a missed call', () => {
    const withoutDial = deriveCallOutcome(answeredCall.slice(0, 3), 'ringing');
    expect(withoutDial).toMatchObject({ ended: true, answered: false, managerId: null, durationSeconds: 0, status: 'completed' });
    expect(deriveCallOutcome(answeredCall, 'ringing')).toMatchObject({ answered: true, managerId: ANNA, durationSeconds: 120 });
  });

  it('ring-all: the leg callback names who answered, joined with the Dial action by the bridged leg, in all 120 orders', () => {
    const events = [
      ...answeredCall.slice(0, 3),
      fact({ key: 'dial:0', type: 'answered', status: 'in-progress', durationSeconds: 120, legId: CHILD, occurredAt: '2026-11-23T08:19:16.000Z' }),
      fact({ key: `leg:${CHILD}:answered`, type: 'answered', status: 'in-progress', managerId: BORIS, legId: CHILD, occurredAt: '2026-11-23T08:17:15.000Z' }),
    ];
    // Another leg answered too late to be bridged (Twilio hangs it up): it does not take the call.
    const loser = fact({ key: 'leg:CA99999999999999999999999999999999:answered', type: 'answered', status: 'in-progress', managerId: ANNA, legId: 'CA99999999999999999999999999999999', occurredAt: '2026-11-23T08:17:14.000Z' });
    expect(expectOrderIndependent(events)).toMatchObject({ answered: true, managerId: BORIS, durationSeconds: 120 });
    expect(deriveCallOutcome([...events, loser], 'ringing')).toMatchObject({ managerId: BORIS });
  });

  it('a missed call: progress and a final no-answer, in any order; an older progress status never reopens it', () => {
    const events = [
      fact({ key: 'status:ringing', type: 'ringing', sequence: 1, status: 'ringing' }),
      fact({ key: 'status:no-answer', type: 'completed', sequence: 3, status: 'no-answer', durationSeconds: 0 }),
      fact({ key: 'status:in-progress', type: 'ringing', sequence: 2, status: 'in-progress' }),
    ];
    expect(expectOrderIndependent(events)).toMatchObject({ ended: true, answered: false, status: 'no-answer', durationSeconds: 0, lastSequence: 3 });
  });

  it('progress status follows SequenceNumber, then Twilio Timestamp, not arrival', () => {
    const bySequence = [
      fact({ key: 'status:in-progress', type: 'ringing', sequence: 2, status: 'in-progress', occurredAt: '2026-11-23T08:00:00.000Z' }),
      fact({ key: 'status:ringing', type: 'ringing', sequence: 1, status: 'ringing', occurredAt: '2026-11-23T08:00:09.000Z' }),
    ];
    expect(expectOrderIndependent(bySequence)).toMatchObject({ ended: false, status: 'in-progress' });
    const byTimestamp = [
      fact({ key: 'a', type: 'ringing', status: 'in-progress', providerAt: '2026-11-23T08:00:05.000Z', occurredAt: '2026-11-23T08:00:01.000Z' }),
      fact({ key: 'b', type: 'ringing', status: 'ringing', providerAt: '2026-11-23T08:00:01.000Z', occurredAt: '2026-11-23T08:00:09.000Z' }),
    ];
    expect(expectOrderIndependent(byTimestamp)).toMatchObject({ status: 'in-progress' });
  });

  it('a PBX: answered then completed with the talk time; a late `answered` after `missed` wins', () => {
    const pbx = [
      fact({ key: 'event:answered', type: 'answered', managerId: ANNA, sequence: 2, status: 'in-progress' }),
      fact({ key: 'event:completed', type: 'completed', sequence: 3, status: 'completed', durationSeconds: 215, occurredAt: '2026-11-23T08:24:00.000Z' }),
    ];
    expect(expectOrderIndependent(pbx)).toMatchObject({ answered: true, managerId: ANNA, durationSeconds: 215, status: 'completed' });
    const missedThenAnswered = [
      fact({ key: 'event:missed', type: 'missed', status: 'no-answer' }),
      fact({ key: 'event:answered', type: 'answered', managerId: BORIS, durationSeconds: 40 }),
    ];
    expect(expectOrderIndependent(missedThenAnswered)).toMatchObject({ answered: true, managerId: BORIS, durationSeconds: 40, status: 'completed' });
    // `completed` with answered: true and a manager (a PBX that reports only the end).
    expect(deriveCallOutcome([fact({ key: 'event:completed', type: 'completed', answered: true, managerId: ANNA, durationSeconds: 20 })], 'ringing')).toMatchObject({
      answered: true,
      managerId: ANNA,
      durationSeconds: 20,
      answeredAt: new Date('2026-11-23T08:19:40.000Z'),
    });
  });

  it('recordings say nothing about the outcome; no events keep the initial status', () => {
    expect(deriveCallOutcome([fact({ key: 'recording:RE1', type: 'recording' })], 'queued')).toEqual({
      status: 'queued',
      ended: false,
      endedAt: null,
      answered: false,
      answeredAt: null,
      managerId: null,
      durationSeconds: 0,
      lastSequence: -1,
    });
  });
});
