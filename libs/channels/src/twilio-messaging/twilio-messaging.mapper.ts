import type { DeliveryFailure, DeliveryStatusUpdate, InboundEvent } from '@leadline/core';

/** Twilio's webhook parameters (form fields), as received. */
export type TwilioMessageParams = Record<string, string | string[] | undefined>;

export const SMS_CHANNEL = 'sms';
export const WHATSAPP_CHANNEL_KEY = 'whatsapp';

export class TwilioMessagePayloadError extends Error {}

/** A file of an MMS or a WhatsApp message: Twilio keeps it; the hub streams it with the account's credentials. */
export interface TwilioMediaRef {
  url: string;
  contentType: string | null;
}

export interface TwilioMessageDetails {
  provider: 'twilio';
  messageSid: string;
  accountSid: string;
  messagingServiceSid: string | null;
  /** The company number (E.164) or WhatsApp sender the client wrote to: replies go from it. */
  to: string;
  from: string;
  profileName: string | null;
  waId: string | null;
  numSegments: number | null;
  media?: TwilioMediaRef[];
  location?: { latitude: number; longitude: number; label: string | null };
}

const TEXT_LIMIT = 10_000;
const E164 = /^\+[1-9]\d{5,14}$/;

const one = (v: string | string[] | undefined): string | null => {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() ? s.trim() : null;
};

/** "whatsapp:+77011234567" → {whatsapp: true, number: "+77011234567"}. */
export function twilioAddress(v: string | null): { whatsapp: boolean; number: string | null } {
  if (!v) return { whatsapp: false, number: null };
  const whatsapp = /^whatsapp:/i.test(v);
  const number = v.replace(/^whatsapp:/i, '').trim();
  return { whatsapp, number: number || null };
}

/**
 * An incoming SMS/MMS, or a WhatsApp message through Twilio (`From: whatsapp:+…`), → the intake event:
 * channel `sms` or `whatsapp`, the sender's number as a phone identity (so the SMS sender who also
 * called is one contact), the text and files. Deduplicated on the MessageSid. `numberPipelines` routes
 * new leads by the company number written to. Pure: the caller verified the signature.
 */
export function mapIncomingMessage(p: TwilioMessageParams, numberPipelines: Readonly<Record<string, string>> = {}): InboundEvent {
  const messageSid = one(p.MessageSid) ?? one(p.SmsMessageSid) ?? one(p.SmsSid);
  if (!messageSid || !/^(SM|MM)[0-9a-fA-F]{32}$/.test(messageSid)) throw new TwilioMessagePayloadError('MessageSid is missing or malformed');
  const from = twilioAddress(one(p.From));
  const to = twilioAddress(one(p.To));
  if (!from.number || !to.number) throw new TwilioMessagePayloadError('From and To are required');
  // A short code or an alphanumeric sender id is no phone to call back, and no person to open a lead for.
  if (!E164.test(from.number)) throw new TwilioMessagePayloadError(`From is not a phone number in E.164: ${JSON.stringify(from.number.slice(0, 40))}`);
  const whatsapp = from.whatsapp || to.whatsapp;
  const profileName = one(p.ProfileName)?.slice(0, 200) ?? null;
  const details: TwilioMessageDetails = {
    provider: 'twilio',
    messageSid,
    accountSid: one(p.AccountSid) ?? '',
    messagingServiceSid: one(p.MessagingServiceSid),
    to: to.number,
    from: from.number,
    profileName,
    waId: one(p.WaId),
    numSegments: one(p.NumSegments) ? Number(one(p.NumSegments)) : null,
  };
  const numMedia = Math.min(Number(one(p.NumMedia) ?? 0) || 0, 10);
  const media: TwilioMediaRef[] = [];
  for (let i = 0; i < numMedia; i++) {
    const url = one(p[`MediaUrl${i}`]);
    if (url && /^https:\/\//.test(url)) media.push({ url, contentType: one(p[`MediaContentType${i}`]) });
  }
  if (media.length) details.media = media;
  const latitude = Number(one(p.Latitude));
  const longitude = Number(one(p.Longitude));
  let text = one(p.Body)?.slice(0, TEXT_LIMIT) ?? null;
  if (one(p.Latitude) && Number.isFinite(latitude) && Number.isFinite(longitude)) {
    const label = one(p.Label) ?? one(p.Address);
    details.location = { latitude, longitude, label };
    text = text ?? `📍 ${label ? `${label} ` : ''}(${latitude}, ${longitude})`;
  }
  text = text ?? one(p.ButtonText);
  const pipeline = numberPipelines[to.number];
  return {
    channel: whatsapp ? 'whatsapp' : 'sms',
    kind: 'message',
    externalId: messageSid,
    contact: { name: profileName, phones: [from.number] },
    message: { text, details: details as unknown as Record<string, unknown> },
    source: whatsapp ? {} : { utm: { source: 'sms' } },
    ...(pipeline ? { pipeline } : {}),
    fields: {},
  };
}

/** Twilio's messaging error codes (https://www.twilio.com/docs/errors) → a timeline state and plain words. */
const ERRORS: Record<string, { state: string; reason: string; retry?: boolean }> = {
  '20429': { state: 'rate_limited', reason: 'Twilio: too many requests', retry: true },
  '14107': { state: 'rate_limited', reason: 'Twilio: SMS send rate limit exceeded', retry: true },
  '63018': { state: 'rate_limited', reason: 'WhatsApp rate limit exceeded for this sender', retry: true },
  '20003': { state: 'token_invalid', reason: 'Twilio refused the account credentials (check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)', retry: true },
  '21211': { state: 'rejected', reason: 'not a valid phone number for SMS' },
  '21408': { state: 'rejected', reason: 'sending SMS to this country is not enabled on the Twilio account (Geo permissions)' },
  '21610': { state: 'opted_out', reason: 'the client unsubscribed from SMS of this number (replied STOP)' },
  '21614': { state: 'undeliverable', reason: 'the number cannot receive SMS (not a mobile number)' },
  '21612': { state: 'rejected', reason: 'this number pair cannot exchange messages through Twilio' },
  '30003': { state: 'undeliverable', reason: 'the phone is unreachable (switched off or out of coverage)' },
  '30004': { state: 'undeliverable', reason: 'the message was blocked (by the client or the carrier)' },
  '30005': { state: 'undeliverable', reason: 'unknown destination: the number does not exist' },
  '30006': { state: 'undeliverable', reason: 'a landline or a carrier that cannot take SMS' },
  '30007': { state: 'undeliverable', reason: 'the carrier filtered the message as spam' },
  '30008': { state: 'undeliverable', reason: 'the carrier reported an unknown delivery error' },
  '63003': { state: 'undeliverable', reason: 'the number is not on WhatsApp' },
  '63016': { state: 'window_closed', reason: 'more than 24 hours since the client last wrote on WhatsApp: only an approved template can reopen the chat' },
  '63024': { state: 'undeliverable', reason: 'the WhatsApp recipient is not valid' },
  '63019': { state: 'media_failed', reason: 'WhatsApp could not send the media' },
};

/** The meaning of a Twilio error code for a message (REST refusal or status callback). */
export function twilioMessageError(code: string | number | null | undefined, message: string | null | undefined): DeliveryFailure & { retry: boolean } {
  const c = code === null || code === undefined || code === '' ? null : String(code);
  const known = c ? ERRORS[c] : undefined;
  const said = message?.trim() ? ` (${message.trim().slice(0, 300)})` : '';
  if (known) return { state: known.state, code: c, reason: `${known.reason}${said}${c ? ` [${c}]` : ''}`, retry: !!known.retry };
  return { state: 'undeliverable', code: c, reason: `Twilio could not deliver the message${said}${c ? ` [${c}]` : ''}`, retry: false };
}

/**
 * A status callback → the timeline update, or null for steps that say nothing yet (queued, accepted,
 * sending, scheduled). `undelivered` and `failed` carry Twilio's ErrorCode. Twilio sends no time of its
 * own: the update is dated when received.
 */
export function mapMessageStatus(p: TwilioMessageParams, now: Date): DeliveryStatusUpdate | null {
  const sid = one(p.MessageSid) ?? one(p.SmsSid);
  const status = (one(p.MessageStatus) ?? one(p.SmsStatus))?.toLowerCase() ?? null;
  if (!sid || !status) throw new TwilioMessagePayloadError('MessageSid and MessageStatus are required');
  const channel = twilioAddress(one(p.To)).whatsapp || twilioAddress(one(p.From)).whatsapp || one(p.ChannelPrefix) === 'whatsapp' ? WHATSAPP_CHANNEL_KEY : SMS_CHANNEL;
  const base = { channel, providerMessageId: sid, at: now };
  if (status === 'sent' || status === 'delivered' || status === 'read') return { ...base, status };
  if (status === 'undelivered' || status === 'failed') {
    const e = twilioMessageError(one(p.ErrorCode), one(p.ErrorMessage));
    return { ...base, status: 'failed', failure: { state: e.state, code: e.code, reason: e.reason } };
  }
  return null;
}
