import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';

/** Twilio's REST origin; the SDK hard-codes it, so another base URL is applied in the HTTP client. */
export const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/**
 * The SDK's own HTTP client, with requests to api.twilio.com sent to another origin instead (a local
 * fake of the REST API in tests, or an egress proxy). Everything else (auth, form encoding, retries) is the SDK's.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ timeout: 15_000 });
  }

  override request<T>(opts: RequestClient.RequestOptions<T>) {
    const uri = new URL(opts.uri);
    const base = new URL(this.baseUrl);
    uri.protocol = base.protocol;
    uri.host = base.host;
    return super.request<T>({ ...opts, uri: uri.toString() });
  }
}

export type TwilioRestClient = ReturnType<typeof twilio>;

export function createTwilioRestClient(sid: string, token: string, baseUrl: string | null): TwilioRestClient {
  const httpClient = baseUrl && baseUrl.replace(/\/$/, '') !== TWILIO_API_ORIGIN ? new RebasedRequestClient(baseUrl) : new twilio.RequestClient({ timeout: 15_000 });
  return twilio(sid, token, { httpClient });
}
