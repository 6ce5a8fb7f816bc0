import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'telegraf/types';
import { formatWhen } from './notice-time';
import type { BotLocale, BotTexts } from './telegram.texts';

/** What a lead card shows, read fresh from the database whenever the card is drawn. */
export interface LeadCardData {
  dealId: string;
  contactId: string;
  contactName: string | null;
  phone: string | null;
  email: string | null;
  telegramUsername: string | null;
  /** The channel's name in the reader's language. */
  channel: string;
  source: Record<string, unknown>;
  firstMessage: string | null;
  dueAt: Date | null;
  callbackOpen: boolean;
  stage: string;
  lostReason: string | null;
  repeat: boolean;
  ownerId: string | null;
  ownerName: string | null;
  /** How the reader sees times: their timezone and language, and "now" (a day is shown when not today). */
  timezone: string;
  locale: BotLocale;
  now: Date;
}

/** callback_data is at most 64 bytes: "<action>:<deal uuid>" is 36 + up to 10. */
export const cardData = (action: string, dealId: string): string => `${action}:${dealId}`;

export function parseCardData(data: string | undefined): { action: string; dealId: string } | null {
  const m = /^([a-z0-9]{1,10}):([0-9a-f-]{36})$/.exec(data ?? '');
  return m ? { action: m[1], dealId: m[2] } : null;
}

export function cardText(t: BotTexts, d: LeadCardData, state: string | null): string {
  const lines = [`${d.repeat ? t.card.repeat : t.card.title}: ${d.contactName ?? '—'}`];
  // Telegram makes +7… numbers tappable by itself (a phone_number entity): the tel: link of the card.
  if (d.phone) lines.push(`${t.card.phone}: ${d.phone}`);
  if (d.email) lines.push(`Email: ${d.email}`);
  if (d.telegramUsername) lines.push(`Telegram: @${d.telegramUsername}`);
  lines.push(`${t.card.channel}: ${d.channel}`);
  const source = sourceLine(d.source);
  if (source) lines.push(`${t.card.source}: ${source}`);
  if (d.firstMessage) lines.push(`${t.card.message}: ${d.firstMessage.slice(0, 1000)}`);
  if (d.dueAt && d.callbackOpen) lines.push(`${t.card.due}: ${formatWhen(d.dueAt, d.timezone, d.locale, d.now)}`);
  if (state) lines.push('', state);
  return lines.join('\n');
}

export function cardKeyboard(t: BotTexts, d: LeadCardData, openUrl: string | null): InlineKeyboardMarkup {
  const closed = d.stage === 'won' || d.stage === 'lost';
  const rows: InlineKeyboardButton[][] = [];
  if (!closed) {
    const first: InlineKeyboardButton[] = [];
    if (d.callbackOpen) first.push({ text: t.card.called, callback_data: cardData('called', d.dealId) });
    if (d.phone) first.push({ text: t.card.call, callback_data: cardData('call', d.dealId) });
    if (first.length) rows.push(first);
    if (d.callbackOpen) rows.push([{ text: t.card.snooze, callback_data: cardData('snooze', d.dealId) }]);
    rows.push([
      { text: t.card.won, callback_data: cardData('won', d.dealId) },
      { text: t.card.lost, callback_data: cardData('lost', d.dealId) },
    ]);
  }
  if (openUrl) rows.push([{ text: t.card.open, url: openUrl }]);
  return { inline_keyboard: rows };
}

export function lostReasonKeyboard(t: BotTexts, dealId: string): InlineKeyboardMarkup {
  return {
    inline_keyboard: [
      ...t.lostReasons.map((reason, i) => [{ text: reason, callback_data: cardData(`lr${i}`, dealId) }]),
      [{ text: t.card.back, callback_data: cardData('back', dealId) }],
    ],
  };
}

function sourceLine(source: Record<string, unknown>): string | null {
  const parts: string[] = [];
  if (typeof source.formName === 'string') parts.push(source.formName);
  const utm = source.utm as Record<string, string> | undefined;
  if (utm && typeof utm === 'object') parts.push(Object.values(utm).join(' / '));
  else if (typeof source.campaign === 'string') parts.push(source.campaign);
  return parts.length ? parts.join(', ') : null;
}
