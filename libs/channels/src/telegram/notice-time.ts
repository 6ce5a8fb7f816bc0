import type { BotLocale } from './telegram.texts';

const LOCALE_TAG: Record<BotLocale, string> = { en: 'en-GB', ru: 'ru-RU' };

/**
 * Intl.DateTimeFormat objects are costly to build (a few of them per card showed up in the hub's CPU
 * profile under load); they are kept per locale, zone and shape. Keys come from the managers' settings,
 * so the cache stays small; it is cleared if it ever grows past MAX_FORMATS.
 */
const formats = new Map<string, Intl.DateTimeFormat | null>();
const MAX_FORMATS = 500;

function format(tag: string, zone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat | null {
  const key = `${tag}|${zone}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat(tag, { ...options, timeZone: zone });
    } catch {
      // An unknown timezone name.
      f = null;
    }
    if (formats.size >= MAX_FORMATS) formats.clear();
    formats.set(key, f);
  }
  return f;
}

const TIME: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
const DAY_KEY: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' };
const DAY: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short' };
const DAY_WITH_YEAR: Intl.DateTimeFormatOptions = { ...DAY, year: 'numeric' };

/**
 * A time as a manager reads it in their own timezone: "14:32" when it is today there, otherwise with
 * the day ("Tue 8 Dec 14:32", "вт 8 дек. 14:32"; the year only when it is not this year). A notice read
 * two days later must not say "call back by 09:15" as if it meant today. An unknown timezone reads as UTC.
 */
export function formatWhen(at: Date, timezone: string, locale: BotLocale, now: Date): string {
  const zone = format('en', timezone, DAY_KEY) ? timezone : 'UTC';
  const tag = LOCALE_TAG[locale];
  const time = format(tag, zone, TIME)!.format(at);
  const keys = format('en-CA', zone, DAY_KEY)!;
  const atDay = keys.format(at);
  const nowDay = keys.format(now);
  if (atDay === nowDay) return time;
  const sameYear = atDay.slice(0, 4) === nowDay.slice(0, 4);
  const parts = format(tag, zone, sameYear ? DAY : DAY_WITH_YEAR)!.formatToParts(at);
  const pick = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const day = [pick('weekday').replace(/,$/, ''), pick('day'), pick('month'), sameYear ? '' : pick('year')].filter(Boolean).join(' ');
  return `${day} ${time}`;
}
