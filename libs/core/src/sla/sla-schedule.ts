import { addBusinessMinutes, subtractBusinessMinutes, type BusinessHoursSpec } from '../business-hours/business-hours';
import type { SlaOptions } from '../core-options';

export interface SlaInstants {
  /** When the assignee is reminded; null when reminders are off. */
  remindAt: Date | null;
  /** When the escalation policy runs. */
  escalateAt: Date;
}

/**
 * The SLA instants of a task, computed once when its due time is set, so the scheduler only compares
 * timestamps (index range scans) instead of doing business-time arithmetic on every tick. Both clocks
 * stop outside business hours: a reminder before a due time just after opening falls before the
 * previous closing; an escalation after a due time just before closing falls after the next opening.
 */
export function slaInstants(hours: BusinessHoursSpec, sla: SlaOptions, dueAt: Date): SlaInstants {
  return {
    remindAt: sla.reminderMinutes > 0 ? subtractBusinessMinutes(hours, dueAt, sla.reminderMinutes) : null,
    escalateAt: addBusinessMinutes(hours, dueAt, sla.escalationMinutes),
  };
}
