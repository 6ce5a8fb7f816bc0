import { ChannelRegistry, ChannelStatusRegistry, InboundReplayRegistry, type ChannelMediaSource, type ChannelPlugin } from '@leadline/core';
import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import type { WaInboundMessage } from './whatsapp-payload';
import { WhatsAppDeliveriesService } from './whatsapp-deliveries.service';
import { WhatsAppGraphClient } from './whatsapp-graph.client';
import { WhatsAppMediaSource } from './whatsapp-media.source';
import { WhatsAppWebhookController } from './whatsapp-webhook.controller';
import { mapWhatsAppMessage } from './whatsapp.mapper';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, whatsappStatusName, type WhatsAppOptions } from './whatsapp.options';

/**
 * The WhatsApp channel (inbound today): the client's wa_id is a phone identity, owned by telephony.
 * `media` is absent while WhatsApp is off. Outbound (replies, templates, the 24-hour window) plugs in here.
 */
export function whatsappChannel(media: ChannelMediaSource | null): ChannelPlugin {
  return {
    name: WHATSAPP_CHANNEL,
    iconKey: 'whatsapp',
    label: { en: 'WhatsApp', ru: 'WhatsApp' },
    order: 50,
    capabilities: { inbound: true, reply: false, media: true, templates: false, calls: false, subject: false },
    identityKinds: [],
    inboundRoutes: { prefixes: ['/api/inbound/whatsapp'], signed: true },
    availability: async () =>
      media
        ? { receives: true, sends: false, calls: false, enableWith: [] }
        : { receives: false, sends: false, calls: false, enableWith: ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'] },
    ...(media ? { media } : {}),
  };
}

/** WhatsApp off: still known by name and icon (old entries), with what turns it on. */
class WhatsAppOffWiring implements OnModuleInit {
  constructor(private readonly channels: ChannelRegistry) {}

  onModuleInit(): void {
    this.channels.register(whatsappChannel(null));
  }
}

/** Registers the channel (with its media source) and the replay mapper (failed receipts) of a configured WhatsApp channel. */
class WhatsAppWiring implements OnModuleInit {
  constructor(
    private readonly replay: InboundReplayRegistry,
    private readonly channels: ChannelRegistry,
    private readonly source: WhatsAppMediaSource,
    private readonly status: ChannelStatusRegistry,
    private readonly options: WhatsAppOptions,
  ) {}

  onModuleInit(): void {
    this.replay.register(WHATSAPP_CHANNEL, (raw) => {
      const event = mapWhatsAppMessage(raw as WaInboundMessage);
      if (!event) throw new Error('not a client message (system notice)');
      return event;
    });
    this.channels.register(whatsappChannel(this.source));
    // A webhook channel has no connection to hold: configured = ready to receive (as telephony webhooks).
    this.status.report(WHATSAPP_CHANNEL, whatsappStatusName(this.options), 'connected');
  }
}

/**
 * WhatsApp Business Cloud API, inbound: the webhook (verification + signed deliveries) and client
 * files streamed through the Graph API. Imported only when WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET
 * and WHATSAPP_VERIFY_TOKEN are set; otherwise no WhatsApp route exists (the channel is listed as off).
 */
@Module({})
export class WhatsAppModule {
  static forRoot(options: WhatsAppOptions | null): DynamicModule {
    if (!options) {
      return { module: WhatsAppModule, providers: [{ provide: WhatsAppOffWiring, inject: [ChannelRegistry], useFactory: (c: ChannelRegistry) => new WhatsAppOffWiring(c) }] };
    }
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
          inject: [InboundReplayRegistry, ChannelRegistry, WhatsAppMediaSource, ChannelStatusRegistry],
          useFactory: (r: InboundReplayRegistry, m: ChannelRegistry, s: WhatsAppMediaSource, c: ChannelStatusRegistry) => new WhatsAppWiring(r, m, s, c, options),
        },
      ],
    };
  }
}
