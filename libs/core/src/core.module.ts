import { Global, Module, type DynamicModule, type FactoryProvider } from '@nestjs/common';
import { AssignmentService } from './assignment/assignment.service';
import { AuditService } from './audit/audit.service';
import { ContactReassignment } from './assignment/contact-reassignment';
import { PersonalDataService } from './privacy/personal-data.service';
import { ContactMergeService } from './contacts/contact-merge';
import { CompaniesService } from './companies/companies.service';
import { ChannelRegistry } from './channels/channel-registry';
import { ChannelStatusRegistry } from './channels/channel-status';
import { IdentityKindRegistry } from './channels/identity-kinds';
import { ManagerBindingRegistry } from './channels/manager-bindings';
import { ContactResolver } from './contacts/contact-resolver';
import { ContactsService } from './contacts/contacts.service';
import { ConversationsService } from './conversations/conversations.service';
import { MessageUpdates } from './conversations/message-updates';
import { DeliveryStatusService } from './conversations/delivery-status';
import { MissedCallSms } from './calls/missed-call-sms';
import { CORE_OPTIONS, Clock, SystemClock, type CoreOptions } from './core-options';
import { DealsService } from './deals/deals.service';
import { FormSpamService } from './forms/form-spam.service';
import { LostReasonsService } from './deals/lost-reasons.service';
import { WebFormsService } from './forms/web-forms.service';
import { ExportService } from './import/export.service';
import { ImportService } from './import/import.service';
import { AdvisoryLeases } from './leases/advisory-leases';
import { InboxService } from './inbox/inbox.service';
import { IntakeService } from './intake/intake.service';
import { ManagersService } from './managers/managers.service';
import { NotesService } from './notes/notes.service';
import { OutboxService } from './outbox/outbox.service';
import { PipelinesService } from './pipelines/pipelines.service';
import { StageAutomation } from './pipelines/stage-automation';
import { StageRulesService } from './pipelines/stage-rules.service';
import { InboundReplayRegistry } from './receipts/inbound-replay.registry';
import { ReceiptsService } from './receipts/receipts.service';
import { ReportsService } from './reports/reports.service';
import { SlaService } from './sla/sla.service';
import { TasksService } from './tasks/tasks.service';
import { TimelineService } from './timeline/timeline.service';

const SERVICES = [
  AdvisoryLeases,
  AssignmentService,
  ContactMergeService,
  ContactReassignment,
  CompaniesService,
  ChannelRegistry,
  ChannelStatusRegistry,
  ContactResolver,
  ConversationsService,
  DeliveryStatusService,
  MissedCallSms,
  ContactsService,
  DealsService,
  LostReasonsService,
  WebFormsService,
  FormSpamService,
  InboxService,
  IntakeService,
  ImportService,
  ExportService,
  ManagersService,
  MessageUpdates,
  NotesService,
  ManagerBindingRegistry,
  IdentityKindRegistry,
  OutboxService,
  PipelinesService,
  StageAutomation,
  StageRulesService,
  InboundReplayRegistry,
  ReceiptsService,
  ReportsService,
  SlaService,
  TasksService,
  TimelineService,
  AuditService,
  PersonalDataService,
];

/** The domain. Needs a TypeORM DataSource (TypeOrmModule.forRoot) and its options from the host. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(options: Omit<FactoryProvider<CoreOptions>, 'provide'>, clock: Clock = new SystemClock()): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ ...options, provide: CORE_OPTIONS }, { provide: Clock, useValue: clock }, ...SERVICES],
      exports: [CORE_OPTIONS, Clock, ...SERVICES],
    };
  }
}
