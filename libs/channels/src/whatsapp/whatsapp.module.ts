import { ChannelStatusRegistry, InboundReplayRegistry } from '@leadline/core';
import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { ActivityMediaSources } from '../shared/activity-media';
import type { WaInboundMessage } from './whatsapp-payload';
import { WhatsAppDeliveriesService } from './whatsapp-deliveries.service';
import { WhatsAppGraphClient } from './whatsapp-graph.client';
import { WhatsAppMediaSource } from './whatsapp-media.source';
import { WhatsAppWebhookController } from './whatsapp-webhook.controller';
import { mapWhatsAppMessage } from './whatsapp.mapper';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, whatsappStatusName, type WhatsAppOptions } from './whatsapp.options';

/** Registers the replay mapper (failed receipts) and the media source of a configured WhatsApp channel. */
class WhatsAppWiring implements OnModuleInit {
  constructor(
    private readonly replay: InboundReplayRegistry,
    private readonly media: ActivityMediaSources,
    private readonly source: WhatsAppMediaSource,
    private readonly status: ChannelStatusRegistry,
    private readonly options: WhatsAppOptions,
  ) {}

  onModuleInit(): void {
    this.replay.register(WHATSAPP_CHANNEL, (raw) => {
      const event = mapWhatsAppMessage(raw as WaInboundMessage, this.options.numberPipelines);
      if (!event) throw new Error('not a client message (system notice)');
      return event;
    });
    this.media.register(WHATSAPP_CHANNEL, this.source);
    // A webhook channel has no connection to hold: configured = ready to receive (as telephony webhooks).
    this.status.report(WHATSAPP_CHANNEL, whatsappStatusName(this.options), 'connected');
  }
}

/**
 * WhatsApp Business Cloud API, inbound: the webhook (verification + signed deliveries) and client
 * files streamed through the Graph API. Imported only when WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET
 * and WHATSAPP_VERIFY_TOKEN are set; otherwise no WhatsApp route exists.
 */
@Module({})
export class WhatsAppModule {
  static forRoot(options: WhatsAppOptions | null): DynamicModule {
    if (!options) return { module: WhatsAppModule };
    return {
      module: WhatsAppModule,
      controllers: [WhatsAppWebhookController],
      providers: [
        { provide: WHATSAPP_OPTIONS, useValue: options },
        WhatsAppGraphClient,
        WhatsAppDeliveriesService,
        WhatsAppMediaSource,
        {
          provide: WhatsAppWiring,
          inject: [InboundReplayRegistry, ActivityMediaSources, WhatsAppMediaSource, ChannelStatusRegistry],
          useFactory: (r: InboundReplayRegistry, m: ActivityMediaSources, s: WhatsAppMediaSource, c: ChannelStatusRegistry) => new WhatsAppWiring(r, m, s, c, options),
        },
      ],
    };
  }
}
