import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CallDirection } from './call-event';

/** "+7 999 123 45 67" for people; a withheld number reads as such. */
export function formatPhoneForPeople(value: string | null | undefined): string {
  if (!value) return 'a withheld number';
  const parsed = parsePhoneNumberFromString(value);
  return parsed?.isValid() ? parsed.formatInternational() : value;
}

/** 192 → "3:12"; 3725 → "1:02:05". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** "14:32" in the given timezone. */
export function localClock(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
}

/** The timeline line of a call: "incoming call, answered by Anna, 3:12", "missed call", "outgoing call by Boris, no answer". */
export function callText(c: { direction: CallDirection; answered: boolean; managerName: string | null; durationSeconds: number; status: string; attempt?: number | null }): string {
  if (c.direction === 'inbound') {
    if (c.answered) return `incoming call, answered by ${c.managerName ?? 'a manager'}, ${formatDuration(c.durationSeconds)}`;
    return c.attempt && c.attempt > 1 ? `missed call (attempt ${c.attempt})` : 'missed call';
  }
  const who = c.managerName ? ` by ${c.managerName}` : '';
  if (c.answered) return `outgoing call${who}, ${formatDuration(c.durationSeconds)}`;
  const attempt = c.attempt && c.attempt > 1 ? ` (attempt ${c.attempt})` : '';
  return `outgoing call${who}, ${c.status === 'failed' ? 'failed' : c.status === 'busy' ? 'busy' : 'no answer'}${attempt}`;
}

/** The calendar day of an instant in a timezone, as YYYY-MM-DD (to tell "today" from another day). */
function localDay(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * A due time for people in their timezone: "09:15" when it is today for them, "Tue 8 Dec 09:15" on any
 * other day (a notice read on Tuesday about a call back due on Thursday must say Thursday).
 */
export function localDueTime(due: Date, now: Date, timezone: string): string {
  const clock = localClock(due, timezone);
  if (localDay(due, timezone) === localDay(now, timezone)) return clock;
  // Names from fixed tables: ICU versions disagree on abbreviations ("Sep" / "Sept").
  const [y, m, d] = localDay(due, timezone).split('-').map(Number);
  const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
  return `${weekday} ${d} ${MONTHS[m - 1]} ${clock}`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
