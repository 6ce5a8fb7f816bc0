import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { OutboxLeaseNotifications1763900300000 } from './1763900300000-outbox-lease-notifications';

/** In order. A new migration is appended here as well as added as a file. */
export const MIGRATIONS = [InitialSchema1763900000000, OutboxLeaseNotifications1763900300000];
