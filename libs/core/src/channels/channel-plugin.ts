import type { EntityManager } from 'typeorm';
import type { ClientLanguage } from '../conversations/client-language';

/**
 * The contract a channel (libs/channels/<name>) fulfils to plug into the hub. The core knows channels
 * only through it: it never names one. A channel module registers its plugin with ChannelRegistry at
 * module init, configured or not (an unconfigured channel still has a name, an icon and a way to be
 * turned on, and old timeline entries still render), and the admin UI reads the list from
 * GET /api/channels. docs/architecture.md "How to add a channel" walks through a whole one.
 */
export interface ChannelPlugin {
  /** The key stored in `activity.channel`, `inbound_receipt.channel`, outbox payloads: 'telegram', 'email', … Never renamed. */
  readonly name: string;
  /** Which glyph the admin UI draws (its own icon table; an unknown key gets a neutral one). */
  readonly iconKey: string;
  /** The channel's name in the admin UI's languages. */
  readonly label: ChannelLabel;
  /** Position in lists (settings, filters): lower first. */
  readonly order: number;
  readonly capabilities: ChannelCapabilities;
  /**
   * Identity kinds (`contact_identity.kind`) this channel owns: it creates them from its traffic and
   * the admin UI shows them with this channel's icon. A kind is owned by one channel at most.
   */
  readonly identityKinds: readonly string[];
  /**
   * URL prefixes of the channel's inbound routes (webhooks, form posts): the hub's metrics label their
   * latency with the channel, and with `signed` count a 401/403 as a request refused by its signature.
   */
  readonly inboundRoutes?: { prefixes: readonly string[]; signed: boolean };
  /** What this hub has switched on right now and what turns the rest on; read per request (config, mailbox rows). */
  availability(): Promise<ChannelAvailability>;
  /** Managers' messages to clients through this channel; absent = the channel cannot reply. */
  readonly outbound?: ChannelOutbound;
  /** Client files the provider keeps, streamed by GET /api/activities/:id/media; absent = none. */
  readonly media?: ChannelMediaSource;
}

export interface ChannelLabel {
  en: string;
  ru: string;
}

/** What the channel can do at all (whether this hub has it switched on is `availability`). */
export interface ChannelCapabilities {
  /** Clients' messages or leads arrive through it. */
  inbound: boolean;
  /** Managers can answer through it (it has `outbound`). */
  reply: boolean;
  /** It carries files both ways or keeps clients' files at the provider. */
  media: boolean;
  /** Outside a reply window only pre-approved templates go out (WhatsApp). */
  templates: boolean;
  /** Click-to-call through the provider. */
  calls: boolean;
  /** Messages carry a subject line the manager may set (email). */
  subject: boolean;
}

/** Which parts of the channel this hub has switched on, and what an admin sets to switch on the rest. */
export interface ChannelAvailability {
  receives: boolean;
  sends: boolean;
  calls: boolean;
  /** Environment variables, or 'settings:channels' (an admin page), that turn the missing part on. */
  enableWith: string[];
}

/**
 * Outbound messaging. ConversationsService writes the timeline entry and one generic 'message.send'
 * outbox row ({@link MessageSendPayload}) in the manager's transaction; the outbox worker hands the
 * row to `deliver` and records the outcome (markSent / markFailed) — the channel never writes the
 * delivery status itself.
 */
export interface ChannelOutbound {
  /** Identity kinds that are an address on this channel, e.g. ['telegram'], ['email'], ['phone'] for WhatsApp/SMS. */
  readonly addressKinds: readonly string[];
  /**
   * When the client never wrote on a replying channel, the one with the lowest rank the contact has an
   * address for is used (direct messengers before email).
   */
  readonly fallbackRank: number;
  /**
   * Whether a manager's delivered-or-not matters enough to tell them when it fails for good (a client
   * who blocked the bot); email bounces come back later as mail and are told by the email channel.
   */
  readonly notifyAuthorOnFailure: boolean;
  /**
   * The provider reports later whether the message reached the client's phone (WhatsApp and SMS status
   * callbacks, applied by DeliveryStatusService). Then the message counts as the manager's answer
   * (completes the callback task, records the first response) only when delivered or read, not when
   * the provider accepted it: a message that fails after acceptance was no answer. Absent = on send.
   */
  readonly answersOnDelivery?: boolean;
  /**
   * Whether a free-form message may go to this contact now (WhatsApp's 24-hour customer-service
   * window). Absent = always. A refusal stops the send with 409 and its `reason` code, and the
   * composer shows the reason instead of offering the channel.
   */
  canReply?(em: EntityManager, contactId: string): Promise<ReplyPermission>;
  /**
   * Pre-approved message templates the manager may send when `canReply` refuses free text (WhatsApp
   * outside the 24-hour window); for channels with `capabilities.templates`. GET /api/channels/:key/templates.
   */
  templates?(): Promise<MessageTemplateInfo[]>;
  /**
   * The channel's part of the outbox payload and of the timeline entry, from the message and the
   * thread (e.g. email's subject and In-Reply-To). Runs inside the send transaction; read only.
   */
  compose(context: ComposeContext): Promise<ComposedMessage>;
  /**
   * Sends one message through the provider. Returns how it ended; throwing (or RetryLater) is a
   * transient failure the outbox retries with backoff. Called again after a crash between the send and
   * the record: `delivery.outboxId` is stable across retries, use it as the provider's idempotency key.
   */
  deliver(delivery: ChannelDelivery): Promise<DeliveryOutcome>;
}

export type ReplyPermission = { ok: true } | { ok: false; reason: string };

/** A template a manager picked: sent instead of free text where the channel requires one. */
export interface MessageTemplate {
  name: string;
  language: string;
  /** Values of the template's numbered parameters, in order. */
  params: string[];
}

/** A template as the composer offers it. */
export interface MessageTemplateInfo {
  name: string;
  language: string;
  /** The body with numbered placeholders ({{1}}, {{2}}), for the preview. */
  text: string;
  /** How many parameters it takes. */
  params: number;
}

export interface ComposeContext {
  em: EntityManager;
  contactId: string;
  dealId: string | null;
  /** The identity value the message goes to (chat id, email address, E.164 phone). */
  address: string;
  text: string;
  attachments: number;
  /** What the manager gave beyond the text; channels that have no use for them ignore them. */
  subject: string | null;
  html: string | null;
  /** The template chosen instead of free text (only for channels with `capabilities.templates`); `text` is its rendered preview. */
  template: MessageTemplate | null;
  /** The language of the client's latest words (our own words to them: a fresh email subject). */
  clientLanguage(): Promise<ClientLanguage>;
}

export interface ComposedMessage {
  /** Merged into the 'message.send' payload for `deliver`; JSON only. */
  payload: Record<string, unknown>;
  /** Top-level fields of the timeline entry's payload (e.g. `subject`). */
  entry?: Record<string, unknown>;
  /** The entry's `details` from the start (threading headers); the outcome's details are merged later. */
  details?: Record<string, unknown>;
}

/** Payload of a 'message.send' outbox row: the core's fields plus what `compose` added. */
export interface MessageSendPayload extends Record<string, unknown> {
  channel: string;
  activityId: string;
  contactId: string;
  dealId: string | null;
  to: string;
  text: string;
  /** How many files are stored with the message (ConversationsService.attachmentsOf); absent = none. */
  attachments?: number;
}

/** One message handed to a channel's `deliver`. */
export interface ChannelDelivery {
  /** The outbox row id: the same on every retry. */
  outboxId: string;
  /** Attempts made before this one. */
  attempts: number;
  payload: MessageSendPayload;
}

export type DeliveryOutcome =
  | {
      status: 'sent';
      /** The provider's id of the message (Telegram message_id, our Message-ID, a wamid). */
      providerMessageId: string | null;
      /** Merged into the timeline entry's details (what a reply threads onto, parts sent). */
      details?: Record<string, unknown>;
    }
  | {
      /** The provider refused for good: the entry reads failed, no retry. */
      status: 'failed';
      /** A short code the UI and the bots render in the reader's language: 'blocked', 'rejected', 'undeliverable', … */
      reason: string;
      /** The provider's words, shown on the timeline. */
      error: string;
    }
  | {
      /** Not now (a rate limit, a chat held back): due again after `afterMs`, no attempt used. */
      status: 'retry-later';
      afterMs: number;
      reason: string;
    };

/**
 * Streams a client file the provider keeps for one timeline entry. `details` is the entry's
 * `payload.details`; the route checked visibility. `reply` is the HTTP framework's reply object
 * (Fastify's), opaque to the core.
 */
export interface ChannelMediaSource {
  stream(activityId: string, details: Record<string, unknown>, reply: object): Promise<object>;
}
