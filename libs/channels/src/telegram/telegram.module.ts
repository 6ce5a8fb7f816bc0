import { ChannelRegistry, NoticeRelayRegistry, OutboxHandlerRegistry, OutboxKind } from '@leadline/core';
import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { LeadCardsService } from './lead-cards.service';
import { ManagerBotService } from './manager-bot.service';
import { ManagerDirectory } from './manager-directory';
import { ReplyRelayService } from './reply-relay.service';
import { TelegramLinkController } from './telegram-api.controller';
import { TelegramBots } from './telegram-bots';
import { telegramChannel } from './telegram-channel';
import { TelegramLinkService } from './telegram-link.service';
import { TELEGRAM_MEDIA_OFF, TelegramMediaSource } from './telegram-media.source';
import { TelegramNoticesService } from './telegram-notices.service';
import { TelegramSenderService } from './telegram-sender.service';
import { TelegramTransportService } from './telegram-transport.service';
import { TelegramUpdatesService } from './telegram-updates.service';
import { TelegramWebhookController } from './telegram-webhook.controller';
import { TELEGRAM_OPTIONS, TelegramOutboxKind, type TelegramOptions } from './telegram.options';

/** Registers the channel, the outbox handlers and the notice relay of a configured Telegram channel. */
class TelegramOutboxWiring implements OnModuleInit {
  constructor(
    private readonly channels: ChannelRegistry,
    private readonly handlers: OutboxHandlerRegistry,
    private readonly relays: NoticeRelayRegistry,
    private readonly sender: TelegramSenderService,
    private readonly media: TelegramMediaSource,
    private readonly notices: TelegramNoticesService,
    private readonly replies: ReplyRelayService,
  ) {}

  onModuleInit(): void {
    this.channels.register(telegramChannel(this.sender, this.media));
    this.handlers.register({ kind: TelegramOutboxKind.Notice, handle: (m) => this.notices.deliver(m) });
    // "Sent ✓" / "Not sent: …" on the manager's reply, once the channel delivered it or gave up.
    this.handlers.register({ kind: OutboxKind.MessageDeliveryResult, handle: (m) => this.replies.deliveryResult(m) });
    this.relays.register({ relay: (n) => this.notices.relay(n) });
  }
}

/** Telegram off: the channel is still known (name, icon, how to turn it on; its old files answer 409). */
class TelegramOffWiring implements OnModuleInit {
  constructor(private readonly channels: ChannelRegistry) {}

  onModuleInit(): void {
    this.channels.register(telegramChannel(null, TELEGRAM_MEDIA_OFF));
  }
}

/**
 * Telegram: the company bot clients write to and the manager bot (one bot or two). With no options
 * (no TELEGRAM_BOT_TOKEN) only the link-code route exists, answering that Telegram is off.
 */
@Module({})
export class TelegramModule {
  static forRoot(options: TelegramOptions | null): DynamicModule {
    if (!options) {
      return {
        module: TelegramModule,
        controllers: [TelegramLinkController],
        providers: [{ provide: TelegramOffWiring, inject: [ChannelRegistry], useFactory: (c: ChannelRegistry) => new TelegramOffWiring(c) }],
      };
    }
    return {
      module: TelegramModule,
      controllers: [TelegramWebhookController, TelegramLinkController],
      providers: [
        { provide: TELEGRAM_OPTIONS, useValue: options },
        TelegramBots,
        ManagerDirectory,
        TelegramLinkService,
        LeadCardsService,
        ReplyRelayService,
        ManagerBotService,
        TelegramUpdatesService,
        TelegramNoticesService,
        TelegramSenderService,
        TelegramMediaSource,
        TelegramTransportService,
        {
          provide: TelegramOutboxWiring,
          inject: [ChannelRegistry, OutboxHandlerRegistry, NoticeRelayRegistry, TelegramSenderService, TelegramMediaSource, TelegramNoticesService, ReplyRelayService],
          useFactory: (
            c: ChannelRegistry,
            h: OutboxHandlerRegistry,
            r: NoticeRelayRegistry,
            s: TelegramSenderService,
            m: TelegramMediaSource,
            n: TelegramNoticesService,
            rr: ReplyRelayService,
          ) => new TelegramOutboxWiring(c, h, r, s, m, n, rr),
        },
      ],
      exports: [TelegramBots, TelegramSenderService, TelegramTransportService],
    };
  }
}
