import { ChannelStatusRegistry, ConversationsService, InboundReplayRegistry, MissedCallSms, OutboxHandlerRegistry, OutboxKind, OutboxService, type OutboxDelivery } from '@leadline/core';
import { Global, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { failDelivery, settleDelivery } from '../shared/outbound-message';
import { TwilioMessagingController } from './twilio-messaging.controller';
import { mapIncomingMessage, SMS_CHANNEL, type TwilioMessageParams } from './twilio-messaging.mapper';
import { TWILIO_MESSAGING_OPTIONS, type TwilioMessagingOptions } from './twilio-messaging.options';
import { TwilioMessagesSender, type TwilioMessagePayload } from './twilio-messages.sender';

/** The number the client last wrote to on this channel through Twilio: the reply comes from the same one. */
async function lastTwilioNumber(db: DataSource, contactId: string, channel: string): Promise<string | null> {
  const [row]: Array<{ to: string | null }> = await db.query(
    `SELECT payload->'details'->>'to' AS "to" FROM activity
      WHERE contact_id = $1 AND channel = $2 AND kind IN ('lead', 'repeat_lead', 'message_in') AND payload->'details'->>'provider' = 'twilio'
      ORDER BY occurred_at DESC LIMIT 1`,
    [contactId, channel],
  );
  return row?.to ?? null;
}

/** Delivers 'message.sms' (and 'message.whatsapp' when Twilio is the WhatsApp provider) outbox rows. */
export class TwilioMessagingWiring implements OnModuleInit {
  constructor(
    private readonly options: TwilioMessagingOptions,
    private readonly handlers: OutboxHandlerRegistry,
    private readonly replay: InboundReplayRegistry,
    private readonly status: ChannelStatusRegistry,
    private readonly autoSms: MissedCallSms,
    private readonly sender: TwilioMessagesSender,
    private readonly deps: { db: DataSource; conversations: ConversationsService; outbox: OutboxService },
  ) {}

  onModuleInit(): void {
    const channels: Array<'sms' | 'whatsapp'> = this.options.whatsappReplies ? ['sms', 'whatsapp'] : ['sms'];
    for (const channel of channels) {
      this.handlers.register({
        kind: channel === 'sms' ? OutboxKind.MessageSms : OutboxKind.MessageWhatsApp,
        handle: (m) => this.deliver(channel, m),
        onDead: (m, e) => failDelivery(this.deps, channel, m.payload as unknown as TwilioMessagePayload, 'failed', e),
      });
    }
    // A failed receipt keeps Twilio's parameters; replaying maps them again.
    this.replay.register(SMS_CHANNEL, (raw) => mapIncomingMessage(raw as TwilioMessageParams, this.options.numberPipelines));
    if (this.options.whatsappReplies) this.replay.register('whatsapp', (raw) => mapIncomingMessage(raw as TwilioMessageParams, this.options.numberPipelines));
    if (this.options.missedCallSms) this.autoSms.enable({ channel: SMS_CHANNEL, outboxKind: OutboxKind.MessageSms });
    for (const account of this.options.accounts) this.status.report(SMS_CHANNEL, `twilio ${account.sid}`, 'connected');
  }

  /** One reply: from the number the client wrote to (or the automatic SMS's company number), settled on the timeline. */
  async deliver(channel: 'sms' | 'whatsapp', m: OutboxDelivery): Promise<void> {
    const p = m.payload as unknown as TwilioMessagePayload;
    const [entry]: Array<{ status: string | null }> = await this.deps.db.query(`SELECT payload->>'status' AS status FROM activity WHERE id = $1`, [p.activityId]);
    // Sent already: a retry after a crash between the send and marking the row done.
    if (entry && entry.status !== 'queued') return;
    const from = p.from ?? (await lastTwilioNumber(this.deps.db, p.contactId, channel));
    await settleDelivery(this.deps, channel, p, await this.sender.deliver(channel, { ...p, from }));
  }
}

/**
 * SMS and WhatsApp through Twilio Messaging, on the telephony Twilio account(s): the incoming-message
 * webhook and status callbacks, replies through the Messages resource, and the automatic missed-call
 * SMS when switched on. Absent options (Twilio not configured) = no routes. Global: the WhatsApp Cloud
 * API channel answers clients who wrote through Twilio with this sender.
 */
@Global()
@Module({})
export class TwilioMessagingModule {
  static forRoot(options: TwilioMessagingOptions | null): DynamicModule {
    if (!options) return { module: TwilioMessagingModule };
    return {
      module: TwilioMessagingModule,
      controllers: [TwilioMessagingController],
      providers: [
        { provide: TWILIO_MESSAGING_OPTIONS, useValue: options },
        TwilioMessagesSender,
        {
          provide: TwilioMessagingWiring,
          inject: [OutboxHandlerRegistry, InboundReplayRegistry, ChannelStatusRegistry, MissedCallSms, TwilioMessagesSender, getDataSourceToken(), ConversationsService, OutboxService],
          useFactory: (h: OutboxHandlerRegistry, r: InboundReplayRegistry, s: ChannelStatusRegistry, a: MissedCallSms, t: TwilioMessagesSender, db: DataSource, c: ConversationsService, o: OutboxService) =>
            new TwilioMessagingWiring(options, h, r, s, a, t, { db, conversations: c, outbox: o }),
        },
      ],
      exports: [TwilioMessagesSender, TwilioMessagingWiring],
    };
  }
}
