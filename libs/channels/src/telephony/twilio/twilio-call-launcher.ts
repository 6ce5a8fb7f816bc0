import { CallLogService, ChannelStatusRegistry, type CallLauncher, type Viewer } from '@leadline/core';
import { BadGatewayException, Inject, Injectable, Logger } from '@nestjs/common';
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
      const message = describeTwilioError(err);
      this.log.warn({ msg: 'twilio refused the outbound call', callId: plan.callId, contactId, managerId: viewer.id, error: message });
      // 4xx is about this call (a bad number); anything else means the account or Twilio is unreachable.
      const httpStatus = (err as { status?: number }).status;
      if (!httpStatus || httpStatus >= 500 || httpStatus === 401 || httpStatus === 403) this.status.report('phone', `twilio ${account}`, 'error', `REST API: ${message}`);
      await this.calls.outboundFailed(plan.callId, message);
      throw new BadGatewayException(`Twilio did not place the call: ${message}`);
    }
    this.status.report('phone', `twilio ${account}`, 'connected');
    await this.calls.outboundPlaced(plan.callId, created.sid, created.status);
    this.log.log({ msg: 'outbound call placed', callId: plan.callId, providerCallId: created.sid, contactId, managerId: viewer.id });
    return { callId: plan.callId, status: created.status };
  }
}

function describeTwilioError(err: unknown): string {
  const e = err as { status?: number; code?: number; message?: string };
  return [e.status ? `HTTP ${e.status}` : null, e.code ? `code ${e.code}` : null, e.message ?? String(err)].filter(Boolean).join(', ');
}
