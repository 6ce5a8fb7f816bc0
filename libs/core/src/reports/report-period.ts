import { DomainError } from '../errors/domain-error';

/** A report period: whole local days [from, to] in the business timezone, resolved to instants [fromAt, toAt). */
export interface ReportPeriod {
  from: string;
  to: string;
  timezone: string;
  fromAt: Date;
  toAt: Date;
}

export const MAX_PERIOD_DAYS = 366;
export const DEFAULT_PERIOD_DAYS = 30;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The local calendar date of `at` in `timezone`, as YYYY-MM-DD. */
export function localDate(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The instant local midnight of `date` happens in `timezone` (DST-safe: two passes over the offset). */
export function localMidnight(date: string, timezone: string): Date {
  const guess = new Date(`${date}T00:00:00Z`);
  let at = guess;
  for (let i = 0; i < 2; i++) at = new Date(guess.getTime() - offsetMs(at, timezone));
  return at;
}

function offsetMs(at: Date, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * Validates `from`/`to` (YYYY-MM-DD, both inclusive, local days). Defaults: the last 30 days up to today.
 * Bad input is a 400 naming the field.
 */
export function resolvePeriod(q: { from?: string; to?: string }, timezone: string, now: Date): ReportPeriod {
  const fields: Record<string, string> = {};
  if (q.from !== undefined && !isRealDate(q.from)) fields.from = 'must be a date YYYY-MM-DD';
  if (q.to !== undefined && !isRealDate(q.to)) fields.to = 'must be a date YYYY-MM-DD';
  if (Object.keys(fields).length) throw DomainError.invalid('invalid period', fields);
  const to = q.to ?? (q.from ? addDays(q.from, DEFAULT_PERIOD_DAYS - 1) : localDate(now, timezone));
  const from = q.from ?? addDays(to, -(DEFAULT_PERIOD_DAYS - 1));
  if (from > to) throw DomainError.invalid('invalid period', { from: 'must not be after to' });
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > MAX_PERIOD_DAYS) throw DomainError.invalid('invalid period', { to: `the period is at most ${MAX_PERIOD_DAYS} days` });
  return { from, to, timezone, fromAt: localMidnight(from, timezone), toAt: localMidnight(addDays(to, 1), timezone) };
}
