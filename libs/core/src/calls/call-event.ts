/**
 * The provider-neutral call-event port. A telephony adapter (Twilio, a PBX posting JSON, …) turns its
 * provider's callbacks into these events and hands them to CallLogService; everything else (the call
 * log, timeline, missed-call tasks, notices) is provider independent.
 */
export type CallEventType = 'started' | 'ringing' | 'answered' | 'completed' | 'missed' | 'recording';

export type CallDirection = 'inbound' | 'outbound';

/** Who took the call, as the provider knows them (one of the fields is enough). */
export interface CallManagerRef {
  id?: string | null;
  phone?: string | null;
  email?: string | null;
}

export interface CallEvent {
  /** 'twilio', 'generic', … — provider + providerCallId identify a call. */
  provider: string;
  providerCallId: string;
  type: CallEventType;
  /**
   * Dedupe key of this event within the call ("status:completed", "recording:RE…:completed"): a
   * provider retry with the same key changes nothing.
   */
  eventKey: string;
  direction?: CallDirection;
  from?: string | null;
  to?: string | null;
  occurredAt?: Date;
  /** The provider's own timestamp of the event (Twilio `Timestamp`): orders events, never a business time. */
  providerAt?: Date | null;
  /** Provider's ordering of callbacks for one call (they may arrive out of order). */
  sequence?: number | null;
  /** The provider's own status word ("no-answer", "busy", …), kept on the call. */
  status?: string | null;
  /** answered: who took it. */
  manager?: CallManagerRef | null;
  /** answered / completed: seconds of conversation. */
  durationSeconds?: number | null;
  /** completed: the provider says whether somebody answered (when it did not report `answered` before). */
  answered?: boolean | null;
  recording?: { id: string; url: string; durationSeconds: number | null; status?: string | null } | null;
  /**
   * The provider's id of the leg (one manager's phone) this event is about: Twilio's DialCallSid on a
   * Dial action, the child CallSid on a leg's status callback. Joins "which leg was bridged" with "whose
   * phone that leg rang" when all managers are rung at once.
   */
  legId?: string | null;
  /** The provider payload, kept in the call's event log. */
  raw?: unknown;
}

/**
 * How an incoming call rings the managers: one after another, owner first (`sequential`), or the owner
 * and every available manager at once, first to answer wins (`simultaneous`).
 */
export type RingStrategy = 'sequential' | 'simultaneous';

export const RING_STRATEGIES: readonly RingStrategy[] = ['sequential', 'simultaneous'];

/** A manager's phone to ring for an incoming call, in order. */
export interface CallTarget {
  managerId: string;
  name: string;
  phone: string;
}

export interface InboundCallStart {
  provider: string;
  /** Provider account the call belongs to (chooses credentials later, e.g. to fetch a recording). */
  account?: string | null;
  providerCallId: string;
  from: string | null;
  to: string | null;
  callerName?: string | null;
  occurredAt?: Date;
  /** How many managers' phones to ring (owner first). */
  huntMax: number;
  /** Default: sequential. */
  ringStrategy?: RingStrategy;
  raw: unknown;
}

/** What the provider adapter needs to answer an incoming call. */
export interface InboundCallRoute {
  callId: string;
  contactId: string | null;
  dealId: string | null;
  /** The caller in E.164; null for a withheld or unparseable number. */
  caller: string | null;
  targets: CallTarget[];
  ringStrategy: RingStrategy;
  /** Outside business hours: speak the after-hours message and offer voicemail instead of ringing. */
  afterHours: boolean;
  /** The provider asked again for a call we already routed. */
  duplicate: boolean;
}

export type CallEventOutcome = 'applied' | 'duplicate' | 'unknown_call' | 'stale';

/** The call log entry as the API and the adapters see it. */
export interface CallView {
  id: string;
  provider: string;
  providerAccount: string | null;
  providerCallId: string | null;
  direction: CallDirection;
  from: string | null;
  to: string | null;
  contactId: string | null;
  dealId: string | null;
  managerId: string | null;
  status: string;
  answered: boolean;
  durationSeconds: number | null;
  targets: CallTarget[];
  ringStrategy: RingStrategy;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  recording: { sid: string | null; url: string; durationSeconds: number | null } | null;
}
