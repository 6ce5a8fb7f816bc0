import { CallLogService } from '@leadline/core';
import { Global, Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
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
export class TelephonyModule {
  static forRoot(options: TelephonyOptions): DynamicModule {
    const twilio = options.twilioAccounts.length > 0;
    const controllers: Type[] = [CallsController];
    const providers: Provider[] = [{ provide: TELEPHONY_OPTIONS, useValue: options }, CallLogService, CallRecordings];
    const exports: Array<Provider | symbol | Type> = [CallLogService];
    if (twilio) {
      controllers.push(TwilioVoiceController);
      providers.push(TwilioCallLauncher);
      exports.push(TwilioCallLauncher);
    }
    if (options.genericWebhookSecret) controllers.push(GenericTelephonyController);
    return { module: TelephonyModule, controllers, providers, exports };
  }
}
