import type { CallView } from '@leadline/core';
import { Inject, Injectable, NotFoundException, BadGatewayException } from '@nestjs/common';
import { Readable } from 'node:stream';
import { TELEPHONY_OPTIONS, type TelephonyOptions } from './telephony-options';
import { TWILIO_API_ORIGIN } from './twilio/twilio-rest-client';

export interface RecordingStream {
  contentType: string;
  contentLength: string | null;
  body: Readable;
}

/**
 * Fetches a call's recording from where the provider keeps it. Twilio media needs the account's
 * credentials, which are only ever sent to Twilio's own hosts (or the configured API base URL).
 */
@Injectable()
export class CallRecordings {
  constructor(@Inject(TELEPHONY_OPTIONS) private readonly options: TelephonyOptions) {}

  async open(call: CallView): Promise<RecordingStream> {
    if (!call.recording) throw new NotFoundException('this call has no recording');
    let url = call.recording.url;
    const headers: Record<string, string> = {};
    if (call.provider === 'twilio') {
      const account = this.options.twilioAccounts.find((a) => a.sid === call.providerAccount) ?? this.options.twilioAccounts[0];
      if (!account) throw new NotFoundException('Twilio is not configured: the recording cannot be fetched');
      if (!this.isTwilioHost(url)) throw new BadGatewayException('the recording URL is not a Twilio address');
      // RecordingUrl has no extension; Twilio serves MP3 when asked for it.
      if (!/\.(mp3|wav)$/.test(new URL(url).pathname)) url = `${url}.mp3`;
      headers.authorization = `Basic ${Buffer.from(`${account.sid}:${account.token}`).toString('base64')}`;
    }
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      throw new BadGatewayException(`recording could not be fetched: ${(err as Error).message}`);
    }
    if (!res.ok || !res.body) throw new BadGatewayException(`recording could not be fetched: the provider answered ${res.status}`);
    return {
      contentType: res.headers.get('content-type') ?? 'audio/mpeg',
      contentLength: res.headers.get('content-length'),
      body: Readable.fromWeb(res.body as never),
    };
  }

  private isTwilioHost(url: string): boolean {
    const u = new URL(url);
    if (this.options.twilioApiBaseUrl && u.origin === new URL(this.options.twilioApiBaseUrl).origin) return true;
    return u.protocol === 'https:' && (u.origin === TWILIO_API_ORIGIN || u.hostname.endsWith('.twilio.com'));
  }
}
