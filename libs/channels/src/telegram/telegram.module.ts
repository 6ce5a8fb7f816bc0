import { OutboxHandlerRegistry, OutboxKind, NoticeRelayRegistry } from '@leadline/core';
import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { LeadCardsService } from './lead-cards.service';
import { ManagerBotService } from './manager-bot.service';
import { ManagerDirectory } from './manager-directory';
import { ReplyRelayService } from './reply-relay.service';
import { TelegramLinkController, TelegramMediaController } from './telegram-api.controller';
import { TelegramBots } from './telegram-bots';
import { TelegramLinkService } from './telegram-link.service';
import { TelegramManagerBindings } from './telegram-manager-bindings';
import { TelegramRegistrations } from './telegram-registrations';
import { TelegramNoticesService } from './telegram-notices.service';
import { TelegramSenderService } from './telegram-sender.service';
import { TelegramTransportService } from './telegram-transport.service';
import { TelegramUpdatesService } from './telegram-updates.service';
import { TelegramWebhookController } from './telegram-webhook.controller';
import { TELEGRAM_OPTIONS, TelegramOutboxKind, type TelegramOptions } from './telegram.options';

/** Registers the outbox handlers and the notice relay of a configured Telegram channel. */
class TelegramOutboxWiring implements OnModuleInit {
  constructor(
    private readonly handlers: OutboxHandlerRegistry,
    private readonly relays: NoticeRelayRegistry,
    private readonly sender: TelegramSenderService,
    private readonly notices: TelegramNoticesService,
    private readonly replies: ReplyRelayService,
  ) {}

  onModuleInit(): void {
    this.handlers.register({ kind: OutboxKind.MessageTelegram, handle: (m) => this.sender.handle(m), onDead: (m, e) => this.sender.onDead(m, e) });
    this.handlers.register({ kind: TelegramOutboxKind.Notice, handle: (m) => this.notices.deliver(m) });
    // "Sent ✓" / "Not sent: …" on the manager's reply, once the channel delivered it or gave up.
    this.handlers.register({ kind: OutboxKind.MessageDeliveryResult, handle: (m) => this.replies.deliveryResult(m) });
    this.relays.register({ relay: (n) => this.notices.relay(n) });
  }
}

/**
 * Telegram: the company bot clients write to and the manager bot (one bot or two). With no options
 * (no TELEGRAM_BOT_TOKEN) only the link-code and media routes exist, answering that Telegram is off,
 * and what Telegram registers with core (its identity kind, the managers' bindings) stays.
 */
@Module({})
export class TelegramModule {
  static forRoot(options: TelegramOptions | null): DynamicModule {
    if (!options) {
      return { module: TelegramModule, controllers: [TelegramLinkController, TelegramMediaController], providers: [TelegramManagerBindings, TelegramRegistrations] };
    }
    return {
      module: TelegramModule,
      controllers: [TelegramWebhookController, TelegramLinkController, TelegramMediaController],
      providers: [
        { provide: TELEGRAM_OPTIONS, useValue: options },
        TelegramBots,
        TelegramManagerBindings,
        TelegramRegistrations,
        ManagerDirectory,
        TelegramLinkService,
        LeadCardsService,
        ReplyRelayService,
        ManagerBotService,
        TelegramUpdatesService,
        TelegramNoticesService,
        TelegramSenderService,
        TelegramTransportService,
        {
          provide: TelegramOutboxWiring,
          inject: [OutboxHandlerRegistry, NoticeRelayRegistry, TelegramSenderService, TelegramNoticesService, ReplyRelayService],
          useFactory: (h: OutboxHandlerRegistry, r: NoticeRelayRegistry, s: TelegramSenderService, n: TelegramNoticesService, rr: ReplyRelayService) =>
            new TelegramOutboxWiring(h, r, s, n, rr),
        },
      ],
      exports: [TelegramBots, TelegramSenderService, TelegramTransportService],
    };
  }
}
