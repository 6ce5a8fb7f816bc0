import type { DealSource } from '../entities';

/** The name of the channel the event came through (ChannelPlugin.name: 'web_form', 'email', 'telegram', …). */
export type ChannelKind = string;

/** One account of the sender on a channel, as InboundEvent.contact.identities carries it. */
export interface InboundIdentity {
  kind: string;
  value: string;
  details?: Record<string, unknown>;
}

/** What every channel adapter turns provider traffic into. Provider-neutral and JSON-serialisable. */
export interface InboundEvent {
  channel: ChannelKind;
  /**
   * 'lead' (default): an enquiry; a known contact's repeat lead joins the open deal and gets a callback
   * task if none is open. 'message': a chat or mail message; with an open deal it is only a timeline
   * message (message_in) and the owner is told, with no new task. With no open deal both are a new lead.
   */
  kind?: 'lead' | 'message';
  /** Dedupe key within the channel (Idempotency-Key, Message-ID, update_id, CallSid:event). */
  externalId: string;
  /**
   * Content key for senders that give no id: the same key seen within `CoreOptions.submissionDedupeSeconds`
   * is the same submission. Optional.
   */
  dedupeKey?: string;
  /**
   * When the SENDER says it happened (email Date header, Telegram message date, a form's timestamp,
   * a PBX event time). Information only: kept on the timeline entry as `claimedAt` ("sent at").
   * Every SLA clock (task due, lead time, deal created) starts when the hub received the event —
   * a sender's clock can be hours off, missing, or 1970. See IntakeService.
   */
  occurredAt?: Date;
  contact: {
    name?: string | null;
    phones?: string[];
    emails?: string[];
    /**
     * The sender's accounts on channels (a Telegram user id, a VK id): `kind` is the channel's own
     * lowercase token (IDENTITY_KIND_FORMAT), `value` its id as the channel gives it (kept trimmed,
     * matched exactly), `details` what the channel keeps beside it (a username). A 'phone' or 'email'
     * kind here is normalised like `phones` and `emails`.
     */
    identities?: InboundIdentity[];
    /**
     * Phones the person wrote in the message text (see phonesInText), as written. They never decide
     * WHO the contact is; one not yet known anywhere becomes a phone identity of the resolved
     * contact marked `foundInText` (so click-to-call works).
     */
    phonesInText?: string[];
  };
  message?: {
    subject?: string | null;
    text?: string | null;
    /** Channel specifics kept on the activity as `payload.details` (message ids, media, threading headers). */
    details?: Record<string, unknown>;
  } | null;
  source?: DealSource;
  /**
   * The name of the pipeline a new deal enters (a channel's per-number routing, e.g. a WhatsApp or SMS
   * number); absent or unknown = the default pipeline.
   */
  pipeline?: string | null;
  /** Every other field the sender gave us, kept for the timeline. */
  fields?: Record<string, unknown>;
}

export interface IngestResult {
  /** The inbound receipt: one per lead event. */
  leadId: string;
  contactId: string;
  dealId: string;
  /** The open callback task for this deal (new or the one already open). */
  taskId: string | null;
  ownerId: string | null;
  /** The timeline entry written for this event (lead, repeat_lead or message_in). */
  activityId: string;
  /** True when this exact event was already processed; ids are those of the first time. */
  duplicate: boolean;
  /** True when the lead joined an open deal of a known contact. */
  repeatLead: boolean;
}

/** The sender must not be answered 2xx-with-ids: we kept the payload as a failed receipt for replay. */
export interface IngestFailure {
  failed: true;
  receiptId: string;
  error: string;
}
