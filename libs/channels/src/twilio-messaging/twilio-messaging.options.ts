/** Twilio Messaging settings (SMS, and WhatsApp through Twilio), on the telephony Twilio account(s). */
export interface TwilioMessagingOptions {
  publicUrl: string;
  /** Accounts whose webhooks are accepted; the first sends replies. */
  accounts: Array<{ sid: string; token: string }>;
  /** The company number: SMS replies come from it (unless a Messaging Service is set). */
  smsNumber: string | null;
  /** The WhatsApp sender registered with Twilio (E.164); null = no WhatsApp replies through Twilio. */
  whatsappNumber: string | null;
  /** Replies go through this Messaging Service (its sender pool) instead of a single number. */
  messagingServiceSid: string | null;
  /** Replaces https://api.twilio.com (a local fake in tests). */
  apiBaseUrl: string | null;
  /** Per company number (E.164), the pipeline new SMS leads enter. */
  numberPipelines: Readonly<Record<string, string>>;
  /** Answer a missed call with one SMS per callback task (MISSED_CALL_SMS). */
  missedCallSms: boolean;
}

export const TWILIO_MESSAGING_OPTIONS = Symbol('TWILIO_MESSAGING_OPTIONS');

/** Where Twilio posts incoming messages and status callbacks (set on the number or the Messaging Service). */
export const TWILIO_MESSAGING_ROUTE = '/api/inbound/twilio/messaging';
export const TWILIO_MESSAGE_STATUS_ROUTE = '/api/inbound/twilio/messaging/status';
