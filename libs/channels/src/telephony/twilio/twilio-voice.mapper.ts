import type { CallEvent, InboundCallStart } from '@leadline/core';

/** Form parameters of a Twilio voice webhook, as received (strings). */
export type TwilioParams = Record<string, string | string[] | undefined>;

export class TwilioPayloadError extends Error {}

const TERMINAL_STATUSES = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

function str(p: TwilioParams, key: string): string | null {
  const v = p[key];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s !== '' ? s : null;
}

function int(p: TwilioParams, key: string): number | null {
  const s = str(p, key);
  if (s === null || !/^-?\d+$/.test(s)) return null;
  return Number(s);
}

function callSid(p: TwilioParams): string {
  const sid = str(p, 'CallSid');
  if (!sid || !CALL_SID.test(sid)) throw new TwilioPayloadError('CallSid is missing or not a Call SID');
  return sid;
}

/** Twilio's `Timestamp` ("Mon, 23 Nov 2026 08:20:21 +0000", RFC 2822); null when absent or unreadable. */
function timestamp(p: TwilioParams): Date | null {
  const s = str(p, 'Timestamp');
  const t = s ? Date.parse(s) : NaN;
  return Number.isFinite(t) ? new Date(t) : null;
}

/** Twilio's Direction: inbound, outbound-api (REST), outbound-dial (a <Dial> leg), trunking-*. */
export function directionOf(p: TwilioParams): 'inbound' | 'outbound' {
  return (str(p, 'Direction') ?? 'inbound').startsWith('outbound') ? 'outbound' : 'inbound';
}

/** The incoming-call webhook → the core's inbound call start. Withheld numbers ("anonymous", empty) stay null. */
export function mapIncomingCall(p: TwilioParams, huntMax: number): InboundCallStart {
  const from = str(p, 'From');
  return {
    provider: 'twilio',
    account: str(p, 'AccountSid'),
    providerCallId: callSid(p),
    from: from && /\d/.test(from) ? from : null,
    to: str(p, 'To'),
    callerName: str(p, 'CallerName'),
    huntMax,
    raw: p,
  };
}

/** StatusCallback → call event. Ordered by SequenceNumber; the final statuses end the call. */
export function mapStatusCallback(p: TwilioParams): CallEvent {
  const status = str(p, 'CallStatus');
  if (!status) throw new TwilioPayloadError('CallStatus is missing');
  const type = TERMINAL_STATUSES.has(status) ? 'completed' : status === 'queued' || status === 'initiated' ? 'started' : 'ringing';
  return {
    provider: 'twilio',
    providerCallId: callSid(p),
    type,
    eventKey: `status:${status}`,
    direction: directionOf(p),
    from: str(p, 'From'),
    to: str(p, 'To'),
    sequence: int(p, 'SequenceNumber'),
    providerAt: timestamp(p),
    status,
    durationSeconds: int(p, 'CallDuration'),
    raw: p,
  };
}

/** <Dial action> request: how one leg (a manager's phone, or the contact on click-to-call) ended. */
export function mapDialResult(p: TwilioParams): { callSid: string; answered: boolean; dialStatus: string; durationSeconds: number | null; dialCallSid: string | null } {
  const dialStatus = str(p, 'DialCallStatus') ?? 'failed';
  return {
    callSid: callSid(p),
    answered: dialStatus === 'completed' || dialStatus === 'answered',
    dialStatus,
    durationSeconds: int(p, 'DialCallDuration'),
    dialCallSid: str(p, 'DialCallSid'),
  };
}

/** RecordingStatusCallback → recording event; one per RecordingSid and status. */
export function mapRecordingCallback(p: TwilioParams): CallEvent {
  const recordingSid = str(p, 'RecordingSid');
  const url = str(p, 'RecordingUrl');
  if (!recordingSid || !/^RE[0-9a-fA-F]{32}$/.test(recordingSid)) throw new TwilioPayloadError('RecordingSid is missing or not a Recording SID');
  const status = str(p, 'RecordingStatus') ?? 'completed';
  if (status === 'completed' && !url) throw new TwilioPayloadError('RecordingUrl is missing');
  return {
    provider: 'twilio',
    providerCallId: callSid(p),
    type: 'recording',
    eventKey: `recording:${recordingSid}:${status}`,
    recording: { id: recordingSid, url: url ?? '', durationSeconds: int(p, 'RecordingDuration'), status },
    raw: p,
  };
}

/**
 * A status callback of one leg of a ring-all <Dial> (the <Number statusCallback>): Twilio posts the
 * child call — its own CallSid, ParentCallSid = the caller's call, To = the manager's phone. "answered"
 * (CallStatus in-progress) says whose phone picked up; the other statuses of a leg say nothing about the
 * caller's call and map to null.
 */
export function mapLegStatus(p: TwilioParams): CallEvent | null {
  const legSid = callSid(p);
  const parent = str(p, 'ParentCallSid');
  if (!parent || !CALL_SID.test(parent)) throw new TwilioPayloadError('ParentCallSid is missing or not a Call SID');
  const status = str(p, 'CallStatus');
  if (!status) throw new TwilioPayloadError('CallStatus is missing');
  if (status !== 'in-progress' && status !== 'answered') return null;
  return {
    provider: 'twilio',
    providerCallId: parent,
    type: 'answered',
    eventKey: `leg:${legSid}:answered`,
    legId: legSid,
    manager: { phone: str(p, 'To') },
    sequence: null,
    providerAt: timestamp(p),
    status: 'in-progress',
    raw: p,
  };
}
