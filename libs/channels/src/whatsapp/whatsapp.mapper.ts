import type { InboundEvent } from '@leadline/core';
import type { WaError, WaInboundMessage, WaMedia, WaStatus, WaWebhook } from './whatsapp-payload';
import { WHATSAPP_CHANNEL } from './whatsapp.options';

/** A file the client sent: what the timeline shows and what the hub needs to stream it later (the Graph media id). */
export interface WaMediaRef {
  type: 'image' | 'document' | 'audio' | 'voice' | 'video' | 'sticker';
  id: string;
  mimeType: string | null;
  sha256: string | null;
  fileName: string | null;
}

export type WhatsAppMessageDetails = {
  /** The wamid: the dedupe key and what a later reply or reaction refers to. */
  messageId: string;
  waId: string;
  profileName: string | null;
  phoneNumberId: string;
  displayPhoneNumber: string | null;
  wabaId: string | null;
  type: string;
  media?: WaMediaRef;
  location?: { latitude: number; longitude: number; name: string | null; address: string | null };
  sharedContacts?: Array<{ name: string | null; phones: string[]; emails: string[] }>;
  /** Quick-reply / interactive choice: the id or payload our own message defined. */
  reply?: { kind: 'button' | 'button_reply' | 'list_reply' | 'nfm_reply'; id: string | null; title: string | null };
  reaction?: { messageId: string | null; emoji: string | null };
  /** The message this one answers (a reply in the chat, or a button under our message). */
  replyTo?: string;
  forwarded?: boolean;
  referral?: { sourceUrl: string | null; sourceId: string | null; sourceType: string | null; headline: string | null };
  /** A type WhatsApp could not show us (e.g. a view-once message): kept so the manager knows something came. */
  unsupported?: { type: string; code: number | null; title: string | null };
};

/** An intake event with the conversation fields of the core contract (kind, message.details). */
export type WhatsAppInboundEvent = Omit<InboundEvent, 'message'> & {
  kind: 'message';
  message: { text: string | null; details: WhatsAppMessageDetails };
};

export interface SplitDelivery {
  messages: WaInboundMessage[];
  statuses: WaStatus[];
  /** Errors Meta reports for the whole change (e.g. the app lost access to the number). */
  errors: WaError[];
  /** Set when the body is not a WhatsApp Business Account delivery at all. */
  unreadable: string | null;
  /** Why parts of the delivery were set aside (other fields, other numbers of the app…), for the log. */
  skipped: string[];
}

const NAME_LIMIT = 200;
const TEXT_LIMIT = 10_000;
const MEDIA_TYPES = ['image', 'document', 'audio', 'video', 'sticker'] as const;

/**
 * Cuts a verified delivery into client messages (each with the number it reached and the sender's
 * profile) and status updates. One POST may batch several entries, changes and messages. Pure.
 */
export function splitWhatsAppDelivery(payload: unknown): SplitDelivery {
  const out: SplitDelivery = { messages: [], statuses: [], errors: [], unreadable: null, skipped: [] };
  const body = payload as WaWebhook | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    out.unreadable = 'delivery is not a JSON object';
    return out;
  }
  if (body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
    out.unreadable = `not a WhatsApp Business Account delivery (object ${JSON.stringify(body.object ?? null)})`;
    return out;
  }
  for (const entry of body.entry) {
    for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
      if (change?.field !== 'messages') {
        out.skipped.push(`field ${JSON.stringify(change?.field ?? null)}`);
        continue;
      }
      const value = change.value ?? {};
      const phoneNumberId = value.metadata?.phone_number_id;
      if (typeof phoneNumberId !== 'string' && typeof phoneNumberId !== 'number') {
        out.skipped.push('change without metadata.phone_number_id');
        continue;
      }
      const contacts = Array.isArray(value.contacts) ? value.contacts : [];
      for (const message of Array.isArray(value.messages) ? value.messages : []) {
        if (!message || typeof message !== 'object') continue;
        // The profile belongs to the sender: matched on wa_id, or the only contact of the change.
        const contact = contacts.find((c) => c?.wa_id !== undefined && String(c.wa_id) === String(message.from)) ?? (contacts.length === 1 ? contacts[0] : null);
        out.messages.push({
          wabaId: entry.id !== undefined ? String(entry.id) : null,
          phoneNumberId: String(phoneNumberId),
          displayPhoneNumber: value.metadata?.display_phone_number !== undefined ? String(value.metadata.display_phone_number) : null,
          contact: contact ?? null,
          message,
        });
      }
      for (const status of Array.isArray(value.statuses) ? value.statuses : []) out.statuses.push(status);
      for (const error of Array.isArray(value.errors) ? value.errors : []) out.errors.push(error);
    }
  }
  return out;
}

/**
 * One client message → the intake event, or `null` for what is not a client writing to us
 * (system notices such as "customer changed number"). Throws on a message we cannot attribute to a
 * sender (the caller keeps it as a failed receipt). A number routed to a pipeline (`numberPipelines`, by
 * phone number id) opens its new deals there. Pure: the caller verified the signature.
 */
export function mapWhatsAppMessage(unit: WaInboundMessage, numberPipelines: Readonly<Record<string, string>> = {}): WhatsAppInboundEvent | null {
  const m = unit.message;
  if (!m || typeof m !== 'object') throw new Error('message is not an object');
  if (m.type === 'system') return null;
  const messageId = typeof m.id === 'string' && m.id ? m.id : null;
  if (!messageId) throw new Error('message without id');
  const waId = String(unit.contact?.wa_id ?? m.from ?? '').replace(/^\+/, '');
  if (!/^\d{6,15}$/.test(waId)) throw new Error(`sender wa_id is not a phone number: ${JSON.stringify(waId.slice(0, 40))}`);
  const profileName = clean(unit.contact?.profile?.name, NAME_LIMIT);
  const type = typeof m.type === 'string' ? m.type : 'unknown';

  const details: WhatsAppMessageDetails = {
    messageId,
    waId,
    profileName,
    phoneNumberId: unit.phoneNumberId,
    displayPhoneNumber: unit.displayPhoneNumber,
    wabaId: unit.wabaId,
    type,
  };
  let text: string | null = null;

  if (type === 'text') text = clean(m.text?.body, TEXT_LIMIT);
  else if ((MEDIA_TYPES as readonly string[]).includes(type)) {
    const media = m[type as (typeof MEDIA_TYPES)[number]];
    if (!media?.id) throw new Error(`${type} message without a media id`);
    details.media = mediaRef(type as (typeof MEDIA_TYPES)[number], media);
    text = clean(media.caption, TEXT_LIMIT);
  } else if (type === 'location' && m.location) {
    const l = m.location;
    const latitude = Number(l.latitude);
    const longitude = Number(l.longitude);
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) throw new Error('location without coordinates');
    details.location = { latitude, longitude, name: clean(l.name, NAME_LIMIT), address: clean(l.address, 500) };
    text = `📍 ${[details.location.name, details.location.address].filter(Boolean).join(', ')}${details.location.name || details.location.address ? ' ' : ''}(${latitude}, ${longitude})`;
  } else if (type === 'contacts' && Array.isArray(m.contacts)) {
    details.sharedContacts = m.contacts.map((c) => ({
      name: clean(c?.name?.formatted_name ?? [c?.name?.first_name, c?.name?.last_name].filter(Boolean).join(' '), NAME_LIMIT),
      phones: (c?.phones ?? []).map((p) => String(p?.phone ?? p?.wa_id ?? '')).filter(Boolean),
      emails: (c?.emails ?? []).map((e) => String(e?.email ?? '')).filter(Boolean),
    }));
    text = details.sharedContacts.map((c) => `👤 ${[c.name, ...c.phones, ...c.emails].filter(Boolean).join(' ')}`).join('\n') || null;
  } else if (type === 'button' && m.button) {
    details.reply = { kind: 'button', id: clean(m.button.payload, 256), title: clean(m.button.text, 256) };
    text = details.reply.title;
  } else if (type === 'interactive' && m.interactive) {
    const i = m.interactive;
    if (i.button_reply) details.reply = { kind: 'button_reply', id: clean(i.button_reply.id, 256), title: clean(i.button_reply.title, 256) };
    else if (i.list_reply) details.reply = { kind: 'list_reply', id: clean(i.list_reply.id, 256), title: clean([i.list_reply.title, i.list_reply.description].filter(Boolean).join(' — '), 512) };
    else if (i.nfm_reply) details.reply = { kind: 'nfm_reply', id: clean(i.nfm_reply.name, 256), title: clean(i.nfm_reply.body, TEXT_LIMIT) };
    text = details.reply?.title ?? null;
    if (!details.reply) details.unsupported = { type: `interactive.${i.type ?? 'unknown'}`, code: null, title: null };
  } else if (type === 'reaction' && m.reaction) {
    // An empty emoji is the client taking the reaction back.
    details.reaction = { messageId: clean(m.reaction.message_id, 256), emoji: clean(m.reaction.emoji, 32) };
    text = details.reaction.emoji;
  } else {
    const error = Array.isArray(m.errors) ? m.errors[0] : undefined;
    details.unsupported = { type, code: typeof error?.code === 'number' ? error.code : null, title: clean(error?.title ?? error?.message, 256) };
  }

  if (m.context?.id) details.replyTo = String(m.context.id);
  if (m.context?.forwarded || m.context?.frequently_forwarded) details.forwarded = true;
  const source: InboundEvent['source'] = {};
  if (m.referral) {
    const r = m.referral;
    details.referral = { sourceUrl: clean(r.source_url, 2000), sourceId: clean(r.source_id, 256), sourceType: clean(r.source_type, 64), headline: clean(r.headline, 500) };
    // Click-to-WhatsApp ad: the ad is the deal's source.
    if (details.referral.sourceUrl) source.referrer = details.referral.sourceUrl;
    if (details.referral.headline ?? details.referral.sourceId) source.campaign = (details.referral.headline ?? details.referral.sourceId)!;
    source.utm = { source: 'whatsapp', medium: details.referral.sourceType ?? 'ad', ...(details.referral.sourceId ? { content: details.referral.sourceId } : {}) };
  }

  return {
    channel: WHATSAPP_CHANNEL,
    kind: 'message',
    externalId: messageId,
    occurredAt: timeOf(m.timestamp),
    contact: { name: profileName, phones: [`+${waId}`] },
    message: { text, details },
    source,
    ...(numberPipelines[unit.phoneNumberId] ? { pipeline: numberPipelines[unit.phoneNumberId] } : {}),
    fields: {},
  };
}

function mediaRef(type: (typeof MEDIA_TYPES)[number], media: WaMedia): WaMediaRef {
  return {
    type: type === 'audio' && media.voice ? 'voice' : type,
    id: String(media.id),
    mimeType: clean(media.mime_type, 200),
    sha256: clean(media.sha256, 128),
    fileName: clean(media.filename, 255),
  };
}

/** Meta's timestamps are Unix seconds as strings; anything else leaves the time to intake (received now). */
function timeOf(ts: string | number | undefined): Date | undefined {
  const n = Number(ts);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return new Date(n * 1000);
}

function clean(s: unknown, limit: number): string | null {
  if (typeof s !== 'string') return null;
  const t = s.trim();
  return t ? t.slice(0, limit) : null;
}

