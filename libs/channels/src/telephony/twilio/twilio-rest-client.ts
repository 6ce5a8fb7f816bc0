import type twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { twilioSdk } from './twilio-sdk';

/** Twilio's REST origin; the SDK hard-codes it, so another base URL is applied in the HTTP client. */
export const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/**
 * The SDK's own HTTP client, with requests to api.twilio.com sent to another origin instead (a local
 * fake of the REST API in tests, or an egress proxy). Everything else (auth, form encoding, retries) is the SDK's.
 * A class made on first use: the SDK is loaded lazily (twilio-sdk.ts).
 */
function rebasedRequestClient(baseUrl: string): RequestClient {
  class RebasedRequestClient extends twilioSdk().RequestClient {
    override request<T>(opts: RequestClient.RequestOptions<T>) {
      const uri = new URL(opts.uri);
      const base = new URL(baseUrl);
      uri.protocol = base.protocol;
      uri.host = base.host;
      return super.request<T>({ ...opts, uri: uri.toString() });
    }
  }
  return new RebasedRequestClient({ timeout: 15_000 });
}

export type TwilioRestClient = ReturnType<typeof twilio>;

export function createTwilioRestClient(sid: string, token: string, baseUrl: string | null): TwilioRestClient {
  const sdk = twilioSdk();
  const httpClient = baseUrl && baseUrl.replace(/\/$/, '') !== TWILIO_API_ORIGIN ? rebasedRequestClient(baseUrl) : new sdk.RequestClient({ timeout: 15_000 });
  return sdk(sid, token, { httpClient });
}
