import { ChannelStatusRegistry, type DeliveryOutcome, type MessageSendPayload } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { describeProviderFailure, failureText } from '../telephony/provider-error';
import { createTwilioRestClient, type TwilioRestClient } from '../telephony/twilio/twilio-rest-client';
import { twilioMessageError } from './twilio-messaging.mapper';
import { TWILIO_MESSAGE_STATUS_ROUTE, TWILIO_MESSAGING_OPTIONS, type TwilioMessagingOptions } from './twilio-messaging.options';

/** An SMS is billed per segment: a reply longer than this many characters is refused rather than sent as a costly chain. */
export const SMS_TEXT_LIMIT = 1600;
/** Twilio answers 429 without a Retry-After: come back after this long. */
const RATE_LIMIT_WAIT_MS = 60_000;

export interface TwilioMessagePayload extends MessageSendPayload {
  /** The company number or WhatsApp sender the client wrote to (or the number a missed call rang); null = the configured default. */
  from?: string | null;
}

/**
 * Managers' replies through Twilio's Messages resource (POST /Accounts/{sid}/Messages.json): SMS from
 * the company number (or the Messaging Service), WhatsApp from the Twilio WhatsApp sender, each with a
 * status callback so delivered / undelivered (with Twilio's ErrorCode) reach the timeline.
 */
@Injectable()
export class TwilioMessagesSender {
  private readonly log = new Logger('TwilioMessages');
  private readonly client: TwilioRestClient;

  constructor(
    @Inject(TWILIO_MESSAGING_OPTIONS) private readonly options: TwilioMessagingOptions,
    private readonly status: ChannelStatusRegistry,
  ) {
    const main = options.accounts[0];
    this.client = createTwilioRestClient(main.sid, main.token, options.apiBaseUrl);
  }

  get whatsappEnabled(): boolean {
    return !!(this.options.whatsappNumber || this.options.messagingServiceSid);
  }

  async deliver(channel: 'sms' | 'whatsapp', p: TwilioMessagePayload): Promise<DeliveryOutcome> {
    const text = p.text.trim();
    if (p.attachments) return { status: 'failed', reason: 'media_unsupported', error: `${channel === 'sms' ? 'SMS' : 'WhatsApp through Twilio'} replies carry text only; send the file another way` };
    if (!text) return { status: 'failed', reason: 'rejected', error: 'the message is empty' };
    if (channel === 'sms' && text.length > SMS_TEXT_LIMIT) return { status: 'failed', reason: 'rejected', error: `an SMS reply is limited to ${SMS_TEXT_LIMIT} characters` };
    const prefix = channel === 'whatsapp' ? 'whatsapp:' : '';
    const fromNumber = p.from ?? (channel === 'whatsapp' ? this.options.whatsappNumber : this.options.smsNumber);
    const sender = this.options.messagingServiceSid ? { messagingServiceSid: this.options.messagingServiceSid } : fromNumber ? { from: `${prefix}${fromNumber}` } : null;
    if (!sender) return { status: 'failed', reason: 'rejected', error: `no ${channel === 'whatsapp' ? 'TWILIO_WHATSAPP_NUMBER' : 'TWILIO_NUMBER'} to send from` };
    const account = this.options.accounts[0].sid;
    let created: { sid: string; status: string };
    try {
      created = await this.client.messages.create({
        to: `${prefix}${p.to}`,
        ...sender,
        body: text,
        statusCallback: `${this.options.publicUrl}${TWILIO_MESSAGE_STATUS_ROUTE}`,
      });
    } catch (err) {
      const f = describeProviderFailure(err);
      if (f.status === null || f.status >= 500) {
        this.log.warn({ msg: 'twilio messages unreachable', activityId: p.activityId, error: failureText(f) });
        throw new Error(`Twilio unreachable: ${failureText(f)}`);
      }
      const meaning = twilioMessageError(f.code, f.message);
      if (f.status === 429 || (meaning.retry && meaning.state === 'rate_limited')) return { status: 'retry-later', afterMs: RATE_LIMIT_WAIT_MS, reason: meaning.reason };
      if (f.status === 401 || meaning.state === 'token_invalid') {
        this.status.report('phone', `twilio ${account}`, 'error', `Messages: ${failureText(f)}`);
        throw new Error(meaning.reason);
      }
      this.log.warn({ msg: 'twilio refused the message', activityId: p.activityId, channel, code: f.code, error: f.message });
      return { status: 'failed', reason: meaning.state, error: meaning.reason };
    }
    return { status: 'sent', providerMessageId: created.sid, details: { provider: 'twilio', messageSid: created.sid, from: fromNumber ?? null, messagingServiceSid: this.options.messagingServiceSid, twilioStatus: created.status } };
  }
}
