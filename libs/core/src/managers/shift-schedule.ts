import { isOpen, parseBusinessHours, type BusinessHoursSpec } from '../business-hours/business-hours';

/** What shift eligibility needs of a manager row. */
export interface ShiftHolder {
  /** Weekly schedule in the BUSINESS_HOURS syntax ("Mon-Fri 09:00-18:00; Sat 10:00-14:00"); null = no schedule. */
  shift: string | null;
  /** IANA timezone the schedule is read in (the manager's own). */
  timezone: string;
}

/**
 * Parses a manager's weekly shift, read in the manager's timezone. Same syntax as BUSINESS_HOURS:
 * days or day ranges, then comma-separated intervals ("Mon-Fri 09:00-13:00,14:00-18:00; Sat 10:00-14:00");
 * a night shift is two parts ("Mon-Fri 22:00-24:00; Tue-Sat 00:00-06:00"). Throws a readable Error.
 * Empty or null means "no schedule": the manager is on shift whenever not paused.
 */
export function parseShift(shift: string | null, timezone: string): BusinessHoursSpec | null {
  if (shift === null || shift.trim() === '') return null;
  return parseBusinessHours(shift, timezone);
}

const parsed = new Map<string, BusinessHoursSpec | null>();

/** True when `at` falls within the manager's shift (always, without a schedule). An unparsable stored schedule counts as off shift. */
export function isOnShift(m: ShiftHolder, at: Date): boolean {
  if (m.shift === null || m.shift.trim() === '') return true;
  const key = `${m.timezone}\n${m.shift}`;
  let spec = parsed.get(key);
  if (spec === undefined) {
    try {
      spec = parseShift(m.shift, m.timezone);
    } catch {
      // Only validated schedules are stored; one that no longer parses (a timezone dropped from ICU) must not hand out leads.
      spec = { timezone: 'UTC', week: [[], [], [], [], [], [], []], holidays: new Set(), alwaysOpen: false };
    }
    if (parsed.size > 1000) parsed.clear();
    parsed.set(key, spec);
  }
  return !spec || isOpen(spec, at);
}
