import type { CallEventType } from './call-event';

/**
 * One stored call event, normalised: what the provider told us, with the manager already resolved.
 * Kept in call_event.fact so the outcome can be derived again from all of a call's events.
 */
export interface CallFact {
  /** The event's dedupe key within the call ("status:completed", "dial:0", "leg:CA…:in-progress"). */
  key: string;
  type: CallEventType;
  /** Provider's order of progress callbacks (Twilio SequenceNumber); null when it has none. */
  sequence: number | null;
  /** When the hub received it (ISO), or when the provider says it happened where we trust that (PBX occurredAt). */
  occurredAt: string;
  /** The provider's own timestamp (Twilio `Timestamp`), used only to order events, never as a business time. */
  providerAt: string | null;
  status: string | null;
  durationSeconds: number | null;
  /** completed: the provider says somebody answered (when it sent no `answered` event). */
  answered: boolean | null;
  /** answered: the manager who took the call (resolved when the event was stored). */
  managerId: string | null;
  /** The provider's id of the leg this event is about (Twilio DialCallSid / child CallSid). */
  legId: string | null;
}

/** A call as all its events say it went. */
export interface CallOutcome {
  /** The provider's status word: the latest progress status, or the final one once ended. */
  status: string;
  ended: boolean;
  endedAt: Date | null;
  answered: boolean;
  answeredAt: Date | null;
  /** Who answered (inbound), as far as the events tell. */
  managerId: string | null;
  /** Talk time; 0 when nobody answered. */
  durationSeconds: number;
  /** Highest provider sequence seen, -1 when none. */
  lastSequence: number;
}

const TERMINAL: ReadonlySet<CallEventType> = new Set(['completed', 'missed']);

const time = (f: CallFact) => new Date(f.occurredAt).getTime();

/**
 * Total order of facts that does not depend on arrival: provider sequence first (when both have one),
 * then the time it happened, then the key. Events reordered by the network sort the same every time.
 */
function compareFacts(a: CallFact, b: CallFact): number {
  if (a.sequence !== null && b.sequence !== null && a.sequence !== b.sequence) return a.sequence - b.sequence;
  if (a.providerAt && b.providerAt && a.providerAt !== b.providerAt) return new Date(a.providerAt).getTime() - new Date(b.providerAt).getTime();
  const dt = time(a) - time(b);
  if (dt !== 0) return dt;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * The outcome of a call from ALL its events, whatever order they arrived in (a pure function: the same
 * set of events always gives the same outcome). Answer evidence wins over "missed": a Dial action
 * saying "answered, 120 s" that arrives after the final status callback still makes the call answered.
 * `initialStatus` is the status before any event (e.g. 'ringing' for a routed inbound call).
 */
export function deriveCallOutcome(facts: readonly CallFact[], initialStatus: string): CallOutcome {
  const sorted = facts.filter((f) => f.type !== 'recording').sort(compareFacts);
  const terminals = sorted.filter((f) => TERMINAL.has(f.type));
  const answers = sorted.filter((f) => f.type === 'answered');
  const answeredTerminals = terminals.filter((f) => f.type === 'completed' && f.answered === true);
  const answered = answers.length > 0 || answeredTerminals.length > 0;
  const lastSequence = sorted.reduce((max, f) => (f.sequence !== null && f.sequence > max ? f.sequence : max), -1);

  // Who answered: a leg report naming the manager of the leg the Dial action says was bridged, else any
  // answer naming a manager (first in the order above), else a `completed` that names one.
  const bridgedLeg = answers.find((f) => f.legId && f.durationSeconds !== null)?.legId ?? null;
  const named = [...answers, ...answeredTerminals].filter((f) => f.managerId);
  const managerId = (bridgedLeg ? named.find((f) => f.legId === bridgedLeg) : undefined)?.managerId ?? named[0]?.managerId ?? null;

  const ended = terminals.length > 0;
  const endedAt = ended ? new Date(Math.min(...terminals.map(time))) : null;

  let durationSeconds = 0;
  if (answered) {
    const talk = answers.map((f) => f.durationSeconds).filter((d): d is number => d !== null);
    const reported = [...answeredTerminals, ...terminals].map((f) => f.durationSeconds).find((d): d is number => d !== null);
    durationSeconds = talk.length ? Math.max(...talk) : (reported ?? 0);
  }

  let answeredAt: Date | null = null;
  if (answered) {
    const timed = answers.find((f) => f.durationSeconds !== null);
    // A Dial action is sent when the bridged leg ends: its talk time counts back from then, or from the
    // call's end when the action arrived late.
    if (timed) answeredAt = new Date(Math.min(time(timed), endedAt?.getTime() ?? Infinity) - timed.durationSeconds! * 1000);
    else if (answers.length) answeredAt = new Date(Math.min(...answers.map(time)));
    else if (endedAt) answeredAt = new Date(endedAt.getTime() - durationSeconds * 1000);
  }

  let status: string;
  if (ended) {
    const last = terminals[terminals.length - 1];
    status = answered ? 'completed' : (last.status ?? (last.type === 'missed' ? 'no-answer' : 'completed'));
  } else {
    const sequenced = sorted.filter((f) => f.sequence !== null);
    const latest = sequenced.length ? sequenced[sequenced.length - 1] : sorted[sorted.length - 1];
    status = answered ? (answers[answers.length - 1].status ?? 'in-progress') : (latest?.status ?? latest?.type ?? initialStatus);
  }
  return { status, ended, endedAt, answered, answeredAt, managerId, durationSeconds, lastSequence };
}
