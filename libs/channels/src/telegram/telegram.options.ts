import type { BotLocale } from './telegram.texts';

/** Telegram settings from the hub's configuration. Absent (null) = Telegram is off. */
export interface TelegramOptions {
  /** The company bot clients write to. */
  clientToken: string;
  /** A separate manager bot; null = managers use the company bot. */
  managerToken: string | null;
  /** Checked against X-Telegram-Bot-Api-Secret-Token; required in webhook mode. */
  webhookSecret: string | null;
  apiRoot: string;
  defaultLocale: BotLocale;
  /** The hub's public base URL: webhook address and "Open" links. */
  publicUrl: string;
  /** webhook: setWebhook on start (https PUBLIC_URL); polling: getUpdates loop with the offset persisted. */
  mode: 'webhook' | 'polling';
  /** Long-poll timeout of getUpdates, seconds. */
  pollTimeoutSeconds: number;
}

export const TELEGRAM_OPTIONS = Symbol('TELEGRAM_OPTIONS');

/** Outbox kinds of the Telegram channel itself (managers' messages to clients are the core's 'message.send'). */
export const TelegramOutboxKind = {
  /** A manager notice (lead card, reminder, forwarded client message) for the manager bot. */
  Notice: 'telegram.notice',
} as const;
