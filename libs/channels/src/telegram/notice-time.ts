import type { BotLocale } from './telegram.texts';

const LOCALE_TAG: Record<BotLocale, string> = { en: 'en-GB', ru: 'ru-RU' };

/**
 * A time as a manager reads it in their own timezone: "14:32" when it is today there, otherwise with
 * the day ("Tue 8 Dec 14:32", "вт 8 дек. 14:32"; the year only when it is not this year). A notice read
 * two days later must not say "call back by 09:15" as if it meant today.
 */
export function formatWhen(at: Date, timezone: string, locale: BotLocale, now: Date): string {
  let zone = timezone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const tag = LOCALE_TAG[locale];
  const time = new Intl.DateTimeFormat(tag, { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  const dayKey = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  if (dayKey(at) === dayKey(now)) return time;
  const sameYear = dayKey(at).slice(0, 4) === dayKey(now).slice(0, 4);
  const parts = new Intl.DateTimeFormat(tag, { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) }).formatToParts(at);
  const pick = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const day = [pick('weekday').replace(/,$/, ''), pick('day'), pick('month'), sameYear ? '' : pick('year')].filter(Boolean).join(' ');
  return `${day} ${time}`;
}
