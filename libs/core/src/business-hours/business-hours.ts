/**
 * Weekly opening hours in one IANA timezone, plus holidays. Used to push SLA due times past
 * closed periods: a lead at 23:00 with a 15-minute SLA is due 15 minutes after the next opening.
 */
export interface BusinessHoursSpec {
  timezone: string;
  /** Index 0 = Sunday … 6 = Saturday; each day a list of [openMinute, closeMinute) in local time. */
  week: Array<Array<[number, number]>>;
  /** Local dates (YYYY-MM-DD) on which the business is closed all day. */
  holidays: ReadonlySet<string>;
  alwaysOpen: boolean;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MINUTE = 60_000;

/**
 * Parses "Mon-Fri 09:00-19:00; Sat 10:00-16:00" (days and ranges may repeat; ranges per day are
 * comma separated: "Mon-Fri 09:00-13:00,14:00-18:00"). "24/7" or an empty string means always open.
 * Throws an Error with a readable message on bad input (config validation shows it).
 */
export function parseBusinessHours(spec: string, timezone: string, holidays: string[] = []): BusinessHoursSpec {
  assertTimezone(timezone);
  const holidaySet = new Set<string>();
  for (const h of holidays) {
    const v = h.trim();
    if (!v) continue;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
      throw new Error(`holiday "${v}" is not a YYYY-MM-DD date`);
    }
    holidaySet.add(v);
  }
  const trimmed = spec.trim();
  const week: Array<Array<[number, number]>> = [[], [], [], [], [], [], []];
  if (trimmed === '' || trimmed === '24/7') {
    return { timezone, week: week.map(() => [[0, 1440]]), holidays: holidaySet, alwaysOpen: holidaySet.size === 0 };
  }
  for (const part of trimmed.split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(.+)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not like "Mon-Fri 09:00-19:00"`);
    const from = dayIndex(m[1]);
    const to = m[2] ? dayIndex(m[2]) : from;
    const ranges = m[3].split(',').map((r) => parseRange(r.trim(), part));
    for (let d = from, guard = 0; guard < 7; d = (d + 1) % 7, guard++) {
      week[d].push(...ranges);
      if (d === to) break;
    }
  }
  for (const day of week) day.sort((a, b) => a[0] - b[0]);
  return { timezone, week, holidays: holidaySet, alwaysOpen: false };
}

function dayIndex(name: string): number {
  const i = DAY_NAMES.indexOf(name.toLowerCase());
  if (i < 0) throw new Error(`"${name}" is not a day (Mon, Tue, …)`);
  return i;
}

function parseRange(range: string, part: string): [number, number] {
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(range);
  if (!m) throw new Error(`"${range}" in "${part}" is not like 09:00-19:00`);
  const open = Number(m[1]) * 60 + Number(m[2]);
  const close = Number(m[3]) * 60 + Number(m[4]);
  if (Number(m[2]) > 59 || Number(m[4]) > 59 || open > 1440 || close > 1440 || close <= open) {
    throw new Error(`"${range}" in "${part}" is not a valid opening range`);
  }
  return [open, close];
}

export function assertTimezone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new Error(`"${tz}" is not an IANA timezone`);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localParts(instant: number, tz: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

function offsetAt(instant: number, tz: string): number {
  const p = localParts(instant, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/** The UTC instant of a local wall-clock time (minutes since local midnight may be 1440 = next midnight). */
export function zonedTime(year: number, month: number, day: number, minuteOfDay: number, tz: string): number {
  const guess = Date.UTC(year, month - 1, day, 0, minuteOfDay);
  const first = guess - offsetAt(guess, tz);
  const second = guess - offsetAt(first, tz);
  return second;
}

interface Interval {
  open: number;
  close: number;
}

/** The first opening interval that ends after `t` (it may already have started). */
function nextInterval(spec: BusinessHoursSpec, t: number): Interval | null {
  const p = localParts(t, spec.timezone);
  for (let d = 0; d < 370; d++) {
    const date = new Date(Date.UTC(p.year, p.month - 1, p.day + d));
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    const key = `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    if (spec.holidays.has(key)) continue;
    for (const [openMin, closeMin] of spec.week[date.getUTCDay()]) {
      const close = zonedTime(y, m, day, closeMin, spec.timezone);
      if (close <= t) continue;
      return { open: zonedTime(y, m, day, openMin, spec.timezone), close };
    }
  }
  return null;
}

export function isOpen(spec: BusinessHoursSpec, at: Date): boolean {
  if (spec.alwaysOpen) return true;
  const i = nextInterval(spec, at.getTime());
  return !!i && i.open <= at.getTime();
}

/** `start` + `minutes` of open business time. With no opening hours at all, falls back to wall-clock time. */
export function addBusinessMinutes(spec: BusinessHoursSpec, start: Date, minutes: number): Date {
  if (spec.alwaysOpen) return new Date(start.getTime() + minutes * MINUTE);
  let t = start.getTime();
  let remaining = minutes * MINUTE;
  for (let guard = 0; guard < 10_000; guard++) {
    const i = nextInterval(spec, t);
    if (!i) break;
    if (t < i.open) t = i.open;
    const available = i.close - t;
    if (remaining <= available) return new Date(t + remaining);
    remaining -= available;
    t = i.close;
  }
  return new Date(start.getTime() + minutes * MINUTE);
}

/** The last opening interval that starts before `t` (it may still be running at `t`). */
function previousInterval(spec: BusinessHoursSpec, t: number): Interval | null {
  const p = localParts(t, spec.timezone);
  for (let d = 0; d < 370; d++) {
    const date = new Date(Date.UTC(p.year, p.month - 1, p.day - d));
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    const key = `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    if (spec.holidays.has(key)) continue;
    const ranges = spec.week[date.getUTCDay()];
    for (let r = ranges.length - 1; r >= 0; r--) {
      const open = zonedTime(y, m, day, ranges[r][0], spec.timezone);
      if (open >= t) continue;
      return { open, close: zonedTime(y, m, day, ranges[r][1], spec.timezone) };
    }
  }
  return null;
}

/**
 * `end` − `minutes` of open business time: the instant from which `minutes` of business time lead
 * up to `end` (a reminder 5 minutes before a task due 2 minutes after opening falls 3 minutes before
 * the previous closing). With no opening hours at all, falls back to wall-clock time.
 */
export function subtractBusinessMinutes(spec: BusinessHoursSpec, end: Date, minutes: number): Date {
  if (spec.alwaysOpen) return new Date(end.getTime() - minutes * MINUTE);
  let t = end.getTime();
  let remaining = minutes * MINUTE;
  for (let guard = 0; guard < 10_000; guard++) {
    const i = previousInterval(spec, t);
    if (!i) break;
    if (t > i.close) t = i.close;
    const available = t - i.open;
    if (remaining <= available) return new Date(t - remaining);
    remaining -= available;
    t = i.open;
  }
  return new Date(end.getTime() - minutes * MINUTE);
}

/** Open business minutes from `from` to `to` (0 when `to` is not after `from`): the inverse of addBusinessMinutes. */
export function businessMinutesBetween(spec: BusinessHoursSpec, from: Date, to: Date): number {
  const end = to.getTime();
  let t = from.getTime();
  if (end <= t) return 0;
  if (spec.alwaysOpen) return (end - t) / MINUTE;
  let total = 0;
  for (let guard = 0; guard < 10_000 && t < end; guard++) {
    const i = nextInterval(spec, t);
    if (!i || i.open >= end) break;
    total += Math.min(i.close, end) - Math.max(t, i.open);
    t = i.close;
  }
  return total / MINUTE;
}
