import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { SlaSchedule1763900200000 } from './1763900200000-sla-schedule';
import { OutboxLeaseNotifications1763900300000 } from './1763900300000-outbox-lease-notifications';
import { PipelinesStages1763900400000 } from './1763900400000-pipelines-stages';
import { ManagerShifts1763900500000 } from './1763900500000-manager-shifts';

/** In timestamp order. A new migration is appended here as well as added as a file. */
export const MIGRATIONS = [
  InitialSchema1763900000000,
  SlaSchedule1763900200000,
  OutboxLeaseNotifications1763900300000,
  PipelinesStages1763900400000,
  ManagerShifts1763900500000,
];
