import type twilio from 'twilio';

/** module.exports of twilio: the client factory, with validateRequest, twiml and RequestClient on it. */
type TwilioSdk = typeof twilio;

let sdk: TwilioSdk | null = null;

/**
 * The twilio SDK, loaded on first use: it is about 20 MB of a hub's memory, which a hub that never
 * talks to Twilio (no account configured, no Twilio webhook arriving) should not carry. The first call
 * loads it synchronously (Node caches it afterwards), so the callers' code stays synchronous.
 */
export function twilioSdk(): TwilioSdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deliberate lazy load, see above
  sdk ??= require('twilio') as TwilioSdk;
  return sdk;
}
