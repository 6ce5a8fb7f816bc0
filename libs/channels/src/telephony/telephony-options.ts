import type { RingStrategy } from '@leadline/core';

/** Telephony settings the hub builds from its configuration. */
export interface TelephonyOptions {
  /** Where providers reach the hub (webhook signatures are checked against it). */
  publicUrl: string;
  /** Twilio accounts whose webhooks are accepted; the first places outbound calls. Empty = Twilio off. */
  twilioAccounts: Array<{ sid: string; token: string }>;
  /** Company number (E.164): caller id of outbound calls and of forwarded withheld calls. */
  twilioNumber: string | null;
  /** Replaces https://api.twilio.com for the REST client (a local fake in tests). */
  twilioApiBaseUrl: string | null;
  ringSeconds: number;
  huntMax: number;
  /** How incoming calls ring the managers (CALL_RING_STRATEGY). */
  ringStrategy: RingStrategy;
  /** Per called company number (E.164), overriding ringStrategy. */
  ringStrategyByNumber: Record<string, RingStrategy>;
  record: boolean;
  voiceLocale: 'ru-RU' | 'en-US';
  afterHoursMessage: string | null;
  /** Shared secret of the generic JSON webhook; null = endpoint off. */
  genericWebhookSecret: string | null;
  /** A generic webhook request signed longer ago (or ahead) than this is refused (replay protection). */
  genericWebhookToleranceSeconds: number;
}

export const TELEPHONY_OPTIONS = Symbol('TELEPHONY_OPTIONS');

/** The ring strategy of a call to this company number. */
export function ringStrategyFor(options: Pick<TelephonyOptions, 'ringStrategy' | 'ringStrategyByNumber'>, calledNumber: string | null | undefined): RingStrategy {
  const number = calledNumber?.trim() ?? '';
  return options.ringStrategyByNumber[number] ?? options.ringStrategy;
}
