import type { ChannelAvailability, ChannelMediaSource, ChannelPlugin, DeliveryOutcome } from '@leadline/core';
import type { TelegramSenderService } from './telegram-sender.service';

const OFF: ChannelAvailability = { receives: false, sends: false, calls: false, enableWith: ['TELEGRAM_BOT_TOKEN'] };
const ON: ChannelAvailability = { receives: true, sends: true, calls: false, enableWith: [] };

/**
 * The Telegram channel: clients write to the company bot; managers answer from the admin UI or the
 * manager bot. Registered whether or not a bot token is set: with none (`sender` null) messages still
 * queue and fail in the outbox as they always did, and old entries keep their name and icon.
 */
export function telegramChannel(sender: TelegramSenderService | null, media: ChannelMediaSource): ChannelPlugin {
  return {
    name: 'telegram',
    iconKey: 'telegram',
    label: { en: 'Telegram', ru: 'Telegram' },
    order: 30,
    capabilities: { inbound: true, reply: true, media: true, templates: false, calls: false, subject: false },
    identityKinds: ['telegram'],
    inboundRoutes: { prefixes: ['/api/inbound/telegram/'], signed: true },
    availability: async () => (sender ? ON : OFF),
    outbound: {
      addressKinds: ['telegram'],
      // A chat reaches the client's phone at once: preferred over email when the client wrote on neither.
      fallbackRank: 10,
      notifyAuthorOnFailure: true,
      compose: async () => ({ payload: {} }),
      deliver: (d): Promise<DeliveryOutcome> => {
        if (!sender) throw new Error('Telegram is not configured (set TELEGRAM_BOT_TOKEN)');
        return sender.deliver(d);
      },
    },
    media,
  };
}
