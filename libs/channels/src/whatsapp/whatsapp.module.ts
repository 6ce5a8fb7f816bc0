import { ChannelRegistry, ChannelStatusRegistry, Clock, InboundReplayRegistry, type InboundRemapper } from '@leadline/core';
import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { mapIncomingMessage, type TwilioMessageParams } from '../twilio-messaging/twilio-messaging.mapper';
import { TwilioMessagesSender } from '../twilio-messaging/twilio-messages.sender';
import { whatsappChannel } from './whatsapp-channel';
import type { WaInboundMessage } from './whatsapp-payload';
import { WhatsAppDeliveriesService } from './whatsapp-deliveries.service';
import { WhatsAppGraphClient } from './whatsapp-graph.client';
import { WhatsAppMediaSource } from './whatsapp-media.source';
import { WhatsAppOutbound } from './whatsapp-outbound';
import { WhatsAppTemplates, WhatsAppTemplatesController } from './whatsapp-templates';
import { WhatsAppWebhookController } from './whatsapp-webhook.controller';
import { mapWhatsAppMessage } from './whatsapp.mapper';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, whatsappStatusName, type WhatsAppOptions } from './whatsapp.options';

/** A failed WhatsApp receipt replays with the mapper of the provider it came from: Twilio's form parameters, or a Cloud API message. */
function replayMapper(numberPipelines: Readonly<Record<string, string>>): InboundRemapper {
  return (raw) => {
    if (raw && typeof raw === 'object' && typeof (raw as TwilioMessageParams).MessageSid === 'string') return mapIncomingMessage(raw as TwilioMessageParams);
    const event = mapWhatsAppMessage(raw as WaInboundMessage, numberPipelines);
    if (!event) throw new Error('not a client message (system notice)');
    return event;
  };
}

/** Cloud API off: the channel is known by name and icon (old entries), and replies through Twilio when its WhatsApp sender is set. */
class WhatsAppOffWiring implements OnModuleInit {
  constructor(
    private readonly channels: ChannelRegistry,
    private readonly replay: InboundReplayRegistry,
    private readonly clock: Clock,
    private readonly twilio: TwilioMessagesSender | null,
  ) {}

  onModuleInit(): void {
    this.channels.register(whatsappChannel({ media: null, cloud: null, twilio: this.twilio, now: () => this.clock.now() }));
    if (this.twilio) this.replay.register(WHATSAPP_CHANNEL, replayMapper({}));
  }
}

/** Registers the channel (media, replies, templates) and the replay mapper (failed receipts) of a configured Cloud API. */
class WhatsAppWiring implements OnModuleInit {
  constructor(
    private readonly replay: InboundReplayRegistry,
    private readonly channels: ChannelRegistry,
    private readonly source: WhatsAppMediaSource,
    private readonly status: ChannelStatusRegistry,
    private readonly options: WhatsAppOptions,
    private readonly outbound: WhatsAppOutbound,
    private readonly templates: WhatsAppTemplates,
    private readonly clock: Clock,
    private readonly twilio: TwilioMessagesSender | null,
  ) {}

  onModuleInit(): void {
    this.replay.register(WHATSAPP_CHANNEL, replayMapper(this.options.numberPipelines));
    this.channels.register(
      whatsappChannel({ media: this.source, cloud: { outbound: this.outbound, templates: this.templates }, twilio: this.twilio, now: () => this.clock.now() }),
    );
    // A webhook channel has no connection to hold: configured = ready to receive (as telephony webhooks).
    this.status.report(WHATSAPP_CHANNEL, whatsappStatusName(this.options), 'connected');
  }
}

/**
 * WhatsApp Business Cloud API: the webhook (verification + signed deliveries of client messages and
 * of our messages' statuses), client files streamed through the Graph API, managers' replies and
 * templates. The Cloud API parts exist only when WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET and
 * WHATSAPP_VERIFY_TOKEN are set; the channel is registered either way (through Twilio, or off).
 */
@Module({})
export class WhatsAppModule {
  static forRoot(options: WhatsAppOptions | null): DynamicModule {
    if (!options) {
      return {
        module: WhatsAppModule,
        providers: [
          {
            provide: WhatsAppOffWiring,
            inject: [ChannelRegistry, InboundReplayRegistry, Clock, { token: TwilioMessagesSender, optional: true }],
            useFactory: (c: ChannelRegistry, r: InboundReplayRegistry, clock: Clock, t: TwilioMessagesSender | undefined) => new WhatsAppOffWiring(c, r, clock, t ?? null),
          },
        ],
      };
    }
    return {
      module: WhatsAppModule,
      controllers: [WhatsAppWebhookController, WhatsAppTemplatesController],
      providers: [
        { provide: WHATSAPP_OPTIONS, useValue: options },
        WhatsAppGraphClient,
        WhatsAppDeliveriesService,
        WhatsAppMediaSource,
        WhatsAppOutbound,
        WhatsAppTemplates,
        {
          provide: WhatsAppWiring,
          inject: [InboundReplayRegistry, ChannelRegistry, WhatsAppMediaSource, ChannelStatusRegistry, WhatsAppOutbound, WhatsAppTemplates, Clock, { token: TwilioMessagesSender, optional: true }],
          useFactory: (
            r: InboundReplayRegistry,
            c: ChannelRegistry,
            s: WhatsAppMediaSource,
            st: ChannelStatusRegistry,
            o: WhatsAppOutbound,
            t: WhatsAppTemplates,
            clock: Clock,
            twilio: TwilioMessagesSender | undefined,
          ) => new WhatsAppWiring(r, c, s, st, options, o, t, clock, twilio ?? null),
        },
      ],
    };
  }
}
