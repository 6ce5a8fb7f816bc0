import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { SlaSchedule1763900200000 } from './1763900200000-sla-schedule';
import { OutboxLeaseNotifications1763900300000 } from './1763900300000-outbox-lease-notifications';
import { PipelinesStages1763900400000 } from './1763900400000-pipelines-stages';
import { ManagerShifts1763900500000 } from './1763900500000-manager-shifts';
import { Telegram1763901000000 } from './1763901000000-telegram';
import { Email1763902000000 } from './1763902000000-email';
import { Calls1763903000000 } from './1763903000000-calls';
import { CompaniesReportsImport1763905000000 } from './1763905000000-companies-reports-import';
import { ReportCallFacts1763906000000 } from './1763906000000-report-call-facts';
import { Cockpit1764000800000 } from './1764000800000-cockpit';

/** In timestamp order. A new migration is appended here as well as added as a file. */
export const MIGRATIONS = [
  InitialSchema1763900000000,
  SlaSchedule1763900200000,
  OutboxLeaseNotifications1763900300000,
  PipelinesStages1763900400000,
  ManagerShifts1763900500000,
  Telegram1763901000000,
  Email1763902000000,
  Calls1763903000000,
  CompaniesReportsImport1763905000000,
  ReportCallFacts1763906000000,
  Cockpit1764000800000,
];
