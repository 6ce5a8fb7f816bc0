import { ChannelStatusRegistry, ConversationsService, InboundReplayRegistry, OutboxHandlerRegistry, OutboxKind, OutboxService, type OutboxDelivery } from '@leadline/core';
import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ActivityMediaSources } from '../shared/activity-media';
import { failDelivery, settleDelivery } from '../shared/outbound-message';
import { mapIncomingMessage, type TwilioMessageParams } from '../twilio-messaging/twilio-messaging.mapper';
import { TwilioMessagingWiring } from '../twilio-messaging/twilio-messaging.module';
import type { WaInboundMessage } from './whatsapp-payload';
import { WhatsAppDeliveriesService } from './whatsapp-deliveries.service';
import { WhatsAppGraphClient } from './whatsapp-graph.client';
import { WhatsAppMediaSource } from './whatsapp-media.source';
import { WhatsAppOutbound, type WhatsAppMessagePayload } from './whatsapp-outbound';
import { WhatsAppTemplates, WhatsAppTemplatesController } from './whatsapp-templates';
import { WhatsAppWebhookController } from './whatsapp-webhook.controller';
import { mapWhatsAppMessage } from './whatsapp.mapper';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, whatsappStatusName, type WhatsAppOptions } from './whatsapp.options';

type Deps = { db: DataSource; conversations: ConversationsService; outbox: OutboxService };

/** Registers the replay mapper (failed receipts), the media source and the outbound handler of a configured WhatsApp channel. */
class WhatsAppWiring implements OnModuleInit {
  constructor(
    private readonly replay: InboundReplayRegistry,
    private readonly media: ActivityMediaSources,
    private readonly source: WhatsAppMediaSource,
    private readonly status: ChannelStatusRegistry,
    private readonly options: WhatsAppOptions,
    private readonly handlers: OutboxHandlerRegistry,
    private readonly outbound: WhatsAppOutbound,
    private readonly deps: Deps,
    private readonly twilio: TwilioMessagingWiring | null,
  ) {}

  onModuleInit(): void {
    this.handlers.register({
      kind: OutboxKind.MessageWhatsApp,
      handle: (m) => this.deliver(m),
      onDead: (m, e) => failDelivery(this.deps, WHATSAPP_CHANNEL, m.payload as unknown as WhatsAppMessagePayload, 'failed', e),
    });
    this.replay.register(WHATSAPP_CHANNEL, (raw) => {
      // A WhatsApp message that came through Twilio keeps Twilio's form parameters.
      if (raw && typeof raw === 'object' && typeof (raw as TwilioMessageParams).MessageSid === 'string') return mapIncomingMessage(raw as TwilioMessageParams);
      const event = mapWhatsAppMessage(raw as WaInboundMessage, this.options.numberPipelines);
      if (!event) throw new Error('not a client message (system notice)');
      return event;
    });
    this.media.register(WHATSAPP_CHANNEL, this.source);
    // A webhook channel has no connection to hold: configured = ready to receive (as telephony webhooks).
    this.status.report(WHATSAPP_CHANNEL, whatsappStatusName(this.options), 'connected');
  }

  /**
   * A manager's WhatsApp message: through Twilio when the client last wrote through Twilio (and
   * Twilio Messaging is configured), else through the Cloud API from the number the client wrote to.
   */
  async deliver(m: OutboxDelivery): Promise<void> {
    const p = m.payload as unknown as WhatsAppMessagePayload;
    const [entry]: Array<{ status: string | null }> = await this.deps.db.query(`SELECT payload->>'status' AS status FROM activity WHERE id = $1`, [p.activityId]);
    // Sent already: a retry after a crash between the send and marking the row done.
    if (entry && entry.status !== 'queued') return;
    const [last]: Array<{ provider: string | null }> = await this.deps.db.query(
      `SELECT payload->'details'->>'provider' AS provider FROM activity
        WHERE contact_id = $1 AND channel = $2 AND kind IN ('lead', 'repeat_lead', 'message_in') ORDER BY occurred_at DESC LIMIT 1`,
      [p.contactId, WHATSAPP_CHANNEL],
    );
    if (last?.provider === 'twilio' && this.twilio) return this.twilio.deliver('whatsapp', m);
    const phoneNumberId = p.phoneNumberId ?? (await this.outbound.replyNumber(this.deps.db.manager, p.contactId));
    const outcome = await this.outbound.deliver({ ...p, phoneNumberId }, () => this.deps.conversations.attachmentsOf(p.activityId));
    await settleDelivery(this.deps, WHATSAPP_CHANNEL, p, outcome);
  }
}

/**
 * WhatsApp Business Cloud API: the webhook (verification + signed deliveries of client messages and
 * of our messages' statuses), client files streamed through the Graph API, managers' replies and
 * templates. Imported only when WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN
 * are set; otherwise no WhatsApp route exists.
 */
@Module({})
export class WhatsAppModule {
  static forRoot(options: WhatsAppOptions | null): DynamicModule {
    if (!options) return { module: WhatsAppModule };
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
          inject: [
            InboundReplayRegistry,
            ActivityMediaSources,
            WhatsAppMediaSource,
            ChannelStatusRegistry,
            OutboxHandlerRegistry,
            WhatsAppOutbound,
            getDataSourceToken(),
            ConversationsService,
            OutboxService,
            { token: TwilioMessagingWiring, optional: true },
          ],
          useFactory: (
            r: InboundReplayRegistry,
            m: ActivityMediaSources,
            s: WhatsAppMediaSource,
            c: ChannelStatusRegistry,
            h: OutboxHandlerRegistry,
            o: WhatsAppOutbound,
            db: DataSource,
            conversations: ConversationsService,
            outbox: OutboxService,
            twilio: TwilioMessagingWiring | undefined,
          ) => new WhatsAppWiring(r, m, s, c, options, h, o, { db, conversations, outbox }, twilio ?? null),
        },
      ],
    };
  }
}
