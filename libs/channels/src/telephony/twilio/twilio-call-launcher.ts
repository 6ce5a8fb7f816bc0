import { CallLogService, ChannelStatusRegistry, type CallLauncher, type Viewer } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { describeProviderFailure, failureText, ProviderError } from '../provider-error';
import { TELEPHONY_OPTIONS, type TelephonyOptions } from '../telephony-options';
import { createTwilioRestClient, type TwilioRestClient } from './twilio-rest-client';

/**
 * Click-to-call through Twilio: the REST API calls the manager's own phone; when they pick up, the
 * TwiML at /api/inbound/twilio/outbound dials the contact with the company number as caller id.
 */
@Injectable()
export class TwilioCallLauncher implements CallLauncher {
  private readonly log = new Logger('Twilio');
  private readonly client: TwilioRestClient;

  constructor(
    @Inject(TELEPHONY_OPTIONS) private readonly options: TelephonyOptions,
    private readonly calls: CallLogService,
    private readonly status: ChannelStatusRegistry,
  ) {
    const main = options.twilioAccounts[0];
    this.client = createTwilioRestClient(main.sid, main.token, options.twilioApiBaseUrl);
  }

  async start(viewer: Viewer, contactId: string): Promise<{ callId: string; status: string }> {
    const account = this.options.twilioAccounts[0].sid;
    const plan = await this.calls.prepareOutbound(viewer, contactId, 'twilio', account, this.options.twilioNumber);
    let created: { sid: string; status: string };
    try {
      created = await this.client.calls.create({
        to: plan.managerPhone,
        from: this.options.twilioNumber!,
        url: `${this.options.publicUrl}/api/inbound/twilio/outbound?callId=${plan.callId}`,
        method: 'POST',
        statusCallback: `${this.options.publicUrl}/api/inbound/twilio/status`,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        timeout: this.options.ringSeconds,
      });
    } catch (err) {
      const failure = describeProviderFailure(err);
      const message = failureText(failure);
      // One line with the provider's code, never a stack: the UI gets the same words as JSON.
      this.log.warn({ msg: 'twilio refused the outbound call', callId: plan.callId, contactId, managerId: viewer.id, httpStatus: failure.status, code: failure.code, network: failure.network, error: failure.message });
      await this.calls.outboundFailed(plan.callId, message);
      // 4xx is about this call (a bad number: 21211, 21214, 13223…); anything else means the account or Twilio is unreachable.
      const aboutThisCall = failure.status !== null && failure.status >= 400 && failure.status < 500 && ![401, 403, 404, 429].includes(failure.status);
      if (aboutThisCall) {
        throw new ProviderError(422, { error: 'provider_rejected', providerCode: failure.code, message: `Twilio did not place the call: ${failure.message}${failure.code ? ` (Twilio error ${failure.code})` : ''}` });
      }
      this.status.report('phone', `twilio ${account}`, 'error', `REST API: ${message}`);
      throw new ProviderError(502, { error: 'provider_unavailable', providerCode: failure.code, message: `Twilio did not place the call: ${message}` });
    }
    this.status.report('phone', `twilio ${account}`, 'connected');
    await this.calls.outboundPlaced(plan.callId, created.sid, created.status);
    this.log.log({ msg: 'outbound call placed (an attempt until it connects)', callId: plan.callId, providerCallId: created.sid, contactId, managerId: viewer.id });
    return { callId: plan.callId, status: created.status };
  }
}

