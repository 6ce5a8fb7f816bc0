import type { BusinessHoursSpec } from './business-hours/business-hours';

/** Settings the domain needs; the hub builds them from its validated configuration. */
export interface CoreOptions {
  /** Minutes of business time within which a new lead must be called back. */
  callbackSlaMinutes: number;
  businessHours: BusinessHoursSpec;
  /** ISO 3166 region for numbers typed without a country code. */
  defaultPhoneRegion: string;
  /** Identical submissions without an idempotency key within this window count as one. */
  submissionDedupeSeconds: number;
  /** SLA clocks (business time): reminder this many minutes before due (0 = none), escalation this long after due. */
  sla: SlaOptions;
  /**
   * How a lease (AdvisoryLeases: one mailbox watcher, one Telegram poller across hub processes) holds its
   * advisory lock. 'connection': on a dedicated PostgreSQL connection (it dies with the process or the
   * connection). 'session': on the shared session of the embedded single-process database.
   */
  leaseMode: 'connection' | 'session';
  /** The hub's language for words it writes to clients when theirs is unknown (TELEGRAM_DEFAULT_LOCALE). */
  defaultLocale?: 'en' | 'ru';
}

export type EscalationPolicy = 'reassign' | 'notify';

export interface SlaOptions {
  reminderMinutes: number;
  escalationMinutes: number;
  /** reassign: the deal and its open tasks go to the next eligible manager; notify: admins are told again. */
  escalationPolicy: EscalationPolicy;
}

export const CORE_OPTIONS = Symbol('CORE_OPTIONS');

/** Time source; tests replace it through DI to place leads at 23:00 or on a holiday. */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
