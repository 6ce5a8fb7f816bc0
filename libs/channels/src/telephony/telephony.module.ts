import { CALL_LAUNCHER, CALL_LOG_PROVIDERS, CallLogService, ChannelRegistry, ChannelStatusRegistry, InboundReplayRegistry, type ChannelPlugin } from '@leadline/core';
import { Global, Inject, Module, type DynamicModule, type OnModuleInit, type Provider, type Type } from '@nestjs/common';
import { CallRecordings } from './call-recordings';
import { CallsController } from './calls.controller';
import { genericCallPayload } from './generic/generic-call.mapper';
import { GenericTelephonyController } from './generic/generic-telephony.controller';
import { TELEPHONY_OPTIONS, type TelephonyOptions } from './telephony-options';
import { TwilioCallLauncher } from './twilio/twilio-call-launcher';
import { TwilioVoiceController } from './twilio/twilio-voice.controller';
import { mapIncomingCall, type TwilioParams } from './twilio/twilio-voice.mapper';

/**
 * The phone channel: calls in (a lead, a missed-call task) and click-to-call out. It owns phone
 * identities; managers do not write through it (WhatsApp and SMS address the same phones).
 */
export function phoneChannel(options: Pick<TelephonyOptions, 'twilioAccounts' | 'twilioNumber' | 'genericWebhookSecret'>): ChannelPlugin {
  const twilio = options.twilioAccounts.length > 0;
  const callEnable = twilio ? (options.twilioNumber ? [] : ['TWILIO_NUMBER']) : ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_NUMBER'];
  return {
    name: 'phone',
    iconKey: 'phone',
    label: { en: 'Phone', ru: 'Телефон' },
    order: 40,
    capabilities: { inbound: true, reply: false, media: false, templates: false, calls: true, subject: false },
    identityKinds: ['phone'],
    inboundRoutes: { prefixes: ['/api/inbound/twilio/', '/api/inbound/telephony/'], signed: true },
    availability: async () => ({
      receives: twilio || !!options.genericWebhookSecret,
      sends: false,
      calls: twilio && !!options.twilioNumber,
      enableWith: twilio || options.genericWebhookSecret ? callEnable : [...callEnable, 'TELEPHONY_WEBHOOK_SECRET'],
    }),
  };
}

/**
 * Telephony: the call log API always; Twilio webhooks and click-to-call when Twilio is configured; the
 * generic JSON webhook when its secret is set. Unconfigured parts register no routes at all.
 */
@Global()
@Module({})
export class TelephonyModule implements OnModuleInit {
  constructor(
    @Inject(TELEPHONY_OPTIONS) private readonly options: TelephonyOptions,
    private readonly status: ChannelStatusRegistry,
    private readonly replay: InboundReplayRegistry,
    private readonly calls: CallLogService,
    private readonly channels: ChannelRegistry,
  ) {}

  /** Webhooks have no connection to watch: configured = ready; rejected signatures and REST failures report errors later. */
  onModuleInit(): void {
    this.channels.register(phoneChannel(this.options));
    for (const account of this.options.twilioAccounts) this.status.report('phone', `twilio ${account.sid}`, 'connected');
    if (this.options.genericWebhookSecret) this.status.report('phone', 'generic webhook', 'connected');
    // A failed incoming-call receipt keeps the provider payload; replaying it opens the lead.
    this.replay.register('phone', (raw) => {
      const r = (raw ?? {}) as Record<string, unknown>;
      if (typeof r.CallSid === 'string') return this.calls.inboundEvent(mapIncomingCall(r as TwilioParams, 0));
      const p = genericCallPayload.parse(raw);
      return this.calls.inboundEvent({ provider: 'generic', providerCallId: p.callId, from: p.from ?? null, to: p.to ?? null, callerName: p.callerName ?? null, huntMax: 0, raw, occurredAt: p.occurredAt ? new Date(p.occurredAt) : undefined }, p.occurredAt ? new Date(p.occurredAt) : undefined);
    });
  }

  static forRoot(options: TelephonyOptions): DynamicModule {
    const twilio = options.twilioAccounts.length > 0;
    const controllers: Type[] = [CallsController];
    const providers: Provider[] = [{ provide: TELEPHONY_OPTIONS, useValue: options }, ...CALL_LOG_PROVIDERS, CallRecordings];
    const exports: Array<Provider | symbol | Type> = [CallLogService];
    if (twilio) {
      controllers.push(TwilioVoiceController);
      // Click-to-call for everyone who asks for the port (API, manager bot); absent = a tel: link.
      providers.push(TwilioCallLauncher, { provide: CALL_LAUNCHER, useExisting: TwilioCallLauncher });
      exports.push(TwilioCallLauncher, CALL_LAUNCHER);
    }
    if (options.genericWebhookSecret) controllers.push(GenericTelephonyController);
    return { module: TelephonyModule, controllers, providers, exports };
  }
}
