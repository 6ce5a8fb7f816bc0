import { WebFormModule } from '@leadline/channels';
import { CoreModule, OutboxModule, type Clock, type CoreOptions } from '@leadline/core';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './api/auth.controller';
import { ChannelsController } from './api/channels.controller';
import { ContactsController } from './api/contacts.controller';
import { DealsController } from './api/deals.controller';
import { FormsController } from './api/forms.controller';
import { ManagersController } from './api/managers.controller';
import { OutboxController } from './api/outbox.controller';
import { PipelinesController } from './api/pipelines.controller';
import { ReceiptsController } from './api/receipts.controller';
import { TasksController } from './api/tasks.controller';
import { WorkdayService } from './api/workday.service';
import { AuthGuard } from './auth/auth.guard';
import { SessionsService } from './auth/sessions.service';
import { FirstStartService } from './bootstrap/first-start.service';
import type { HubConfig } from './config/config.schema';
import { HUB_CONFIG } from './config/load-config';
import { dataSourceOptions } from './database/data-source.options';
import { HealthController } from './health/health.controller';
import { HttpErrorFilter } from './http/http-error.filter';
import { validationPipe } from './http/validation';
import { NotificationsModule } from './notifications/notifications.module';
import { SlaScheduler } from './sla/sla-scheduler';

export function coreOptionsFrom(config: HubConfig): CoreOptions {
  return {
    callbackSlaMinutes: config.CALLBACK_SLA_MINUTES,
    businessHours: config.businessHours,
    defaultPhoneRegion: config.DEFAULT_PHONE_REGION,
    submissionDedupeSeconds: config.SUBMISSION_DEDUPE_SECONDS,
    sla: { reminderMinutes: config.TASK_REMINDER_MINUTES, escalationMinutes: config.ESCALATION_MINUTES, escalationPolicy: config.ESCALATION_POLICY },
  };
}

/** The composition root: database, domain, channels, REST API. */
@Module({})
export class AppModule {
  static forRoot(config: HubConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({ ...(await dataSourceOptions(config)), retryAttempts: 2, retryDelay: 1000 }),
        }),
        CoreModule.forRoot({ useFactory: () => coreOptionsFrom(config) }, options.clock),
        OutboxModule.forRoot({
          worker: config.OUTBOX_WORKER,
          pollMs: config.OUTBOX_POLL_MS,
          maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
          leaseSeconds: config.OUTBOX_LEASE_SECONDS,
        }),
        WebFormModule,
        NotificationsModule.forRoot(config),
      ],
      controllers: [AuthController, ContactsController, DealsController, PipelinesController, TasksController, ManagersController, FormsController, ReceiptsController, OutboxController, ChannelsController, HealthController],
      providers: [
        { provide: HUB_CONFIG, useValue: config },
        SessionsService,
        WorkdayService,
        FirstStartService,
        SlaScheduler,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useValue: validationPipe() },
      ],
    };
  }
}
