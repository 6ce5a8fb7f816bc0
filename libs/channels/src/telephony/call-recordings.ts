import type { CallView } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import { describeProviderFailure, failureText, ProviderError } from './provider-error';
import { TELEPHONY_OPTIONS, type TelephonyOptions } from './telephony-options';
import { TWILIO_API_ORIGIN } from './twilio/twilio-rest-client';

export interface RecordingStream {
  contentType: string;
  contentLength: string | null;
  body: Readable;
}

/**
 * Fetches a call's recording from where the provider keeps it. Twilio media needs the account's
 * credentials, which are only ever sent to Twilio's own hosts — or to TWILIO_API_BASE_URL when it is
 * set, which replaces the origin of Twilio's RecordingUrl (an egress proxy, a local fake).
 */
@Injectable()
export class CallRecordings {
  private readonly log = new Logger('Telephony');

  constructor(@Inject(TELEPHONY_OPTIONS) private readonly options: TelephonyOptions) {}

  async open(call: CallView): Promise<RecordingStream> {
    if (!call.recording) throw new ProviderError(404, { error: 'not_found', providerCode: null, message: 'this call has no recording' });
    let url = call.recording.url;
    const headers: Record<string, string> = {};
    if (call.provider === 'twilio') {
      const account = this.options.twilioAccounts.find((a) => a.sid === call.providerAccount) ?? this.options.twilioAccounts[0];
      if (!account) throw new ProviderError(502, { error: 'provider_unavailable', providerCode: null, message: 'Twilio is not configured: the recording cannot be fetched' });
      url = this.twilioMediaUrl(url);
      headers.authorization = `Basic ${Buffer.from(`${account.sid}:${account.token}`).toString('base64')}`;
    }
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      const failure = describeProviderFailure(err);
      this.log.warn({ msg: 'recording fetch failed', callId: call.id, provider: call.provider, origin: new URL(url).origin, network: failure.network, error: failure.message });
      throw new ProviderError(502, { error: 'provider_unavailable', providerCode: null, message: `the recording could not be fetched: ${failureText(failure)}` });
    }
    if (!res.ok || !res.body) {
      const detail = await providerErrorOf(res);
      this.log.warn({ msg: 'recording fetch refused', callId: call.id, provider: call.provider, origin: new URL(url).origin, httpStatus: res.status, code: detail.code, error: detail.message });
      if (res.status === 404 || res.status === 410) {
        throw new ProviderError(404, { error: 'not_found', providerCode: detail.code, message: `the provider no longer has this recording (HTTP ${res.status}${detail.code ? `, code ${detail.code}` : ''})` });
      }
      throw new ProviderError(502, { error: 'provider_unavailable', providerCode: detail.code, message: `the recording could not be fetched: the provider answered HTTP ${res.status}${detail.code ? `, code ${detail.code}` : ''}${detail.message ? `, ${detail.message}` : ''}` });
    }
    return {
      contentType: res.headers.get('content-type') ?? 'audio/mpeg',
      contentLength: res.headers.get('content-length'),
      body: Readable.fromWeb(res.body as never),
    };
  }

  /**
   * Twilio's RecordingUrl (https://api.twilio.com/2010-04-01/Accounts/AC…/Recordings/RE…) as the hub
   * fetches it: on TWILIO_API_BASE_URL's origin when that is set, as MP3. Any other host is refused, so
   * the account's credentials never leave for an address a webhook made up.
   */
  private twilioMediaUrl(recordingUrl: string): string {
    const u = new URL(recordingUrl);
    const base = this.options.twilioApiBaseUrl ? new URL(this.options.twilioApiBaseUrl) : null;
    const twilioHost = u.protocol === 'https:' && (u.origin === TWILIO_API_ORIGIN || u.hostname.endsWith('.twilio.com'));
    if (base && twilioHost) {
      u.protocol = base.protocol;
      u.host = base.host;
    } else if (!twilioHost && !(base && u.origin === base.origin)) {
      this.log.warn({ msg: 'recording URL is not a Twilio address', origin: u.origin });
      throw new ProviderError(502, { error: 'provider_unavailable', providerCode: null, message: 'the recording URL is not a Twilio address' });
    }
    // RecordingUrl has no extension; Twilio serves MP3 when asked for it.
    if (!/\.(mp3|wav)$/.test(u.pathname)) u.pathname = `${u.pathname}.mp3`;
    return u.toString();
  }
}

/** Twilio answers errors as JSON {code, message, more_info, status}; anything else is kept short. */
async function providerErrorOf(res: Response): Promise<{ code: number | null; message: string | null }> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    return { code: typeof body.code === 'number' ? body.code : null, message: typeof body.message === 'string' ? body.message.slice(0, 300) : null };
  } catch {
    return { code: null, message: text ? text.slice(0, 120) : null };
  }
}
