import { EmailModule, TelegramModule, TelephonyModule, WebFormModule, type TelegramOptions, type TelephonyOptions } from '@leadline/channels';
import { CoreModule, OutboxModule, type Clock, type CoreOptions } from '@leadline/core';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './api/auth.controller';
import { ChannelAvailabilityService } from './api/channel-availability.service';
import { ChannelsController } from './api/channels.controller';
import { CompaniesController } from './api/companies.controller';
import { ContactsController } from './api/contacts.controller';
import { DealsController } from './api/deals.controller';
import { EmailContentController } from './api/email-content.controller';
import { FormsController } from './api/forms.controller';
import { ExportController, ImportController } from './api/import.controller';
import { InboxController } from './api/inbox.controller';
import { MailboxesController } from './api/mailboxes.controller';
import { ManagersController } from './api/managers.controller';
import { OutboxController } from './api/outbox.controller';
import { PipelinesController } from './api/pipelines.controller';
import { ReceiptsController } from './api/receipts.controller';
import { ReportsController } from './api/reports.controller';
import { TasksController } from './api/tasks.controller';
import { WorkdayService } from './api/workday.service';
import { AuthGuard } from './auth/auth.guard';
import { SessionsService } from './auth/sessions.service';
import { FirstStartService } from './bootstrap/first-start.service';
import type { HubConfig } from './config/config.schema';
import { emailOptionsFrom } from './config/email-options';
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
    leaseMode: config.DATABASE_URL ? 'connection' : 'session',
  };
}

export function telephonyOptionsFrom(config: HubConfig): TelephonyOptions {
  return {
    publicUrl: config.PUBLIC_URL,
    twilioAccounts: config.twilioAccounts,
    twilioNumber: config.TWILIO_NUMBER ?? null,
    twilioApiBaseUrl: config.TWILIO_API_BASE_URL ?? null,
    ringSeconds: config.CALL_RING_SECONDS,
    huntMax: config.CALL_HUNT_MAX,
    record: config.CALL_RECORD,
    voiceLocale: config.CALL_VOICE_LOCALE,
    afterHoursMessage: config.CALL_AFTER_HOURS_MESSAGE ?? null,
    genericWebhookSecret: config.TELEPHONY_WEBHOOK_SECRET ?? null,
  };
}

/** Telegram settings, or null when no bot token is configured (Telegram off). */
export function telegramOptionsFrom(config: HubConfig): TelegramOptions | null {
  if (!config.TELEGRAM_BOT_TOKEN) return null;
  return {
    clientToken: config.TELEGRAM_BOT_TOKEN,
    managerToken: config.TELEGRAM_MANAGER_BOT_TOKEN ?? null,
    webhookSecret: config.TELEGRAM_WEBHOOK_SECRET ?? null,
    apiRoot: config.TELEGRAM_API_ROOT,
    defaultLocale: config.TELEGRAM_DEFAULT_LOCALE,
    publicUrl: config.PUBLIC_URL,
    mode: config.PUBLIC_URL.startsWith('https://') ? 'webhook' : 'polling',
    pollTimeoutSeconds: 25,
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
        TelephonyModule.forRoot(telephonyOptionsFrom(config)),
        TelegramModule.forRoot(telegramOptionsFrom(config)),
        EmailModule.forRoot(emailOptionsFrom(config)),
        NotificationsModule.forRoot(config),
      ],
      controllers: [
        AuthController,
        ContactsController,
        DealsController,
        PipelinesController,
        TasksController,
        ManagersController,
        FormsController,
        ReceiptsController,
        OutboxController,
        ChannelsController,
        HealthController,
        ReportsController,
        CompaniesController,
        ImportController,
        ExportController,
        MailboxesController,
        EmailContentController,
        InboxController,
      ],
      providers: [
        { provide: HUB_CONFIG, useValue: config },
        SessionsService,
        WorkdayService,
        ChannelAvailabilityService,
        FirstStartService,
        SlaScheduler,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useValue: validationPipe() },
      ],
    };
  }
}
