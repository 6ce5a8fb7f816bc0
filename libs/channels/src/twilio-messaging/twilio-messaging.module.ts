import { ChannelRegistry, ChannelStatusRegistry, InboundReplayRegistry, MissedCallSms } from '@leadline/core';
import { Global, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { smsChannel } from './sms-channel';
import { TwilioMessagingController } from './twilio-messaging.controller';
import { mapIncomingMessage, SMS_CHANNEL, type TwilioMessageParams } from './twilio-messaging.mapper';
import { TWILIO_MESSAGING_OPTIONS, type TwilioMessagingOptions } from './twilio-messaging.options';
import { TwilioMessagesSender } from './twilio-messages.sender';

/** Registers the SMS channel, its replay mapper, the missed-call SMS and the channel status rows. */
class TwilioMessagingWiring implements OnModuleInit {
  constructor(
    private readonly options: TwilioMessagingOptions,
    private readonly channels: ChannelRegistry,
    private readonly replay: InboundReplayRegistry,
    private readonly status: ChannelStatusRegistry,
    private readonly autoSms: MissedCallSms,
    private readonly sender: TwilioMessagesSender,
  ) {}

  onModuleInit(): void {
    this.channels.register(smsChannel(this.sender));
    // A failed receipt keeps Twilio's parameters; replaying maps them again.
    this.replay.register(SMS_CHANNEL, (raw) => mapIncomingMessage(raw as TwilioMessageParams, this.options.numberPipelines));
    if (this.options.missedCallSms) this.autoSms.enable({ channel: SMS_CHANNEL });
    for (const account of this.options.accounts) this.status.report(SMS_CHANNEL, `twilio ${account.sid}`, 'connected');
  }
}

/** Twilio off: SMS is still known by name and icon, with what turns it on. */
class TwilioMessagingOffWiring implements OnModuleInit {
  constructor(private readonly channels: ChannelRegistry) {}

  onModuleInit(): void {
    this.channels.register(smsChannel(null));
  }
}

/**
 * SMS and WhatsApp through Twilio Messaging, on the telephony Twilio account(s): the incoming-message
 * webhook and status callbacks, replies through the Messages resource, and the automatic missed-call
 * SMS when switched on. Absent options (Twilio not configured) = no routes. Global: the WhatsApp
 * channel answers clients who wrote through Twilio with this sender.
 */
@Global()
@Module({})
export class TwilioMessagingModule {
  static forRoot(options: TwilioMessagingOptions | null): DynamicModule {
    if (!options) {
      return { module: TwilioMessagingModule, providers: [{ provide: TwilioMessagingOffWiring, inject: [ChannelRegistry], useFactory: (c: ChannelRegistry) => new TwilioMessagingOffWiring(c) }] };
    }
    return {
      module: TwilioMessagingModule,
      controllers: [TwilioMessagingController],
      providers: [
        { provide: TWILIO_MESSAGING_OPTIONS, useValue: options },
        TwilioMessagesSender,
        {
          provide: TwilioMessagingWiring,
          inject: [ChannelRegistry, InboundReplayRegistry, ChannelStatusRegistry, MissedCallSms, TwilioMessagesSender],
          useFactory: (c: ChannelRegistry, r: InboundReplayRegistry, s: ChannelStatusRegistry, a: MissedCallSms, t: TwilioMessagesSender) => new TwilioMessagingWiring(options, c, r, s, a, t),
        },
      ],
      exports: [TwilioMessagesSender],
    };
  }
}
