import { CALL_LAUNCHER, CallLogService, ChannelStatusRegistry } from '@leadline/core';
import { Global, Inject, Module, type DynamicModule, type OnModuleInit, type Provider, type Type } from '@nestjs/common';
import { CallRecordings } from './call-recordings';
import { CallsController } from './calls.controller';
import { GenericTelephonyController } from './generic/generic-telephony.controller';
import { TELEPHONY_OPTIONS, type TelephonyOptions } from './telephony-options';
import { TwilioCallLauncher } from './twilio/twilio-call-launcher';
import { TwilioVoiceController } from './twilio/twilio-voice.controller';

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
  ) {}

  /** Webhooks have no connection to watch: configured = ready; rejected signatures and REST failures report errors later. */
  onModuleInit(): void {
    for (const account of this.options.twilioAccounts) this.status.report('phone', `twilio ${account.sid}`, 'connected');
    if (this.options.genericWebhookSecret) this.status.report('phone', 'generic webhook', 'connected');
  }

  static forRoot(options: TelephonyOptions): DynamicModule {
    const twilio = options.twilioAccounts.length > 0;
    const controllers: Type[] = [CallsController];
    const providers: Provider[] = [{ provide: TELEPHONY_OPTIONS, useValue: options }, CallLogService, CallRecordings];
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
