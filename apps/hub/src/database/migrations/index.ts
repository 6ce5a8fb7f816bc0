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
import { WebFormDelivery1764000100000 } from './1764000100000-web-form-delivery';
import { ReceiptRawText1764000200000 } from './1764000200000-receipt-raw-text';
import { CallTruth1764000300000 } from './1764000300000-call-truth';
import { TelegramTruth1764000500000 } from './1764000500000-telegram-truth';
import { OutboxWake1764000600000 } from './1764000600000-outbox-wake';
import { AuditLog1764000700000 } from './1764000700000-audit-log';
import { CallFactsOutliveErasure1764000700001 } from './1764000700001-call-facts-outlive-erasure';
import { Cockpit1764000800000 } from './1764000800000-cockpit';
import { MessageSendOutbox1764100100000 } from './1764100100000-message-send-outbox';
import { GenericIdentities1764100200000 } from './1764100200000-generic-identities';
import { MessageDelivery1764100500000 } from './1764100500000-message-delivery';
import { ManagerCapacityUsed1764200000000 } from './1764200000000-manager-capacity-used';
import { InboxChanged1764200100000 } from './1764200100000-inbox-changed';

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
  WebFormDelivery1764000100000,
  ReceiptRawText1764000200000,
  CallTruth1764000300000,
  TelegramTruth1764000500000,
  OutboxWake1764000600000,
  AuditLog1764000700000,
  CallFactsOutliveErasure1764000700001,
  Cockpit1764000800000,
  MessageSendOutbox1764100100000,
  GenericIdentities1764100200000,
  MessageDelivery1764100500000,
  ManagerCapacityUsed1764200000000,
  InboxChanged1764200100000,
];
