import { ActivityMediaModule, EmailModule, TelegramModule, TelephonyModule, TwilioMessagingModule, WebFormModule, WhatsAppModule, type TelegramOptions, type TelephonyOptions, type TwilioMessagingOptions, type WhatsAppOptions } from '@leadline/channels';
import { CoreModule, OutboxModule, type Clock, type CoreOptions } from '@leadline/core';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditController } from './api/audit.controller';
import { AuthController } from './api/auth.controller';
import { ChannelAvailabilityService } from './api/channel-availability.service';
import { ChannelsController, ContactChannelsController } from './api/channels.controller';
import { CompaniesController } from './api/companies.controller';
import { ContactsController } from './api/contacts.controller';
import { DealsController } from './api/deals.controller';
import { EmailContentController } from './api/email-content.controller';
import { FormSnippetController } from './api/form-snippet.controller';
import { FormsController } from './api/forms.controller';
import { ExportController, ImportController } from './api/import.controller';
import { InboxController } from './api/inbox.controller';
import { MailboxesController } from './api/mailboxes.controller';
import { ManagersController } from './api/managers.controller';
import { OutboxController } from './api/outbox.controller';
import { PersonalDataController } from './api/personal-data.controller';
import { PipelinesController } from './api/pipelines.controller';
import { ReceiptsController } from './api/receipts.controller';
import { ReportsController } from './api/reports.controller';
import { TasksController } from './api/tasks.controller';
import { BulkActionsService } from './api/bulk-actions.service';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuthGuard } from './auth/auth.guard';
import { SessionsService } from './auth/sessions.service';
import { FirstStartService } from './bootstrap/first-start.service';
import type { HubConfig } from './config/config.schema';
import { emailOptionsFrom } from './config/email-options';
import { HUB_CONFIG } from './config/load-config';
import { DatabaseNotificationsModule } from './database/database-notifications.module';
import { dataSourceOptions } from './database/data-source.options';
import { HealthController } from './health/health.controller';
import { HttpErrorFilter } from './http/http-error.filter';
import { validationPipe } from './http/validation';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
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
    defaultLocale: config.TELEGRAM_DEFAULT_LOCALE,
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
    ringStrategy: config.CALL_RING_STRATEGY,
    ringStrategyByNumber: config.CALL_RING_STRATEGY_BY_NUMBER,
    record: config.CALL_RECORD,
    voiceLocale: config.CALL_VOICE_LOCALE,
    afterHoursMessage: config.CALL_AFTER_HOURS_MESSAGE ?? null,
    genericWebhookSecret: config.TELEPHONY_WEBHOOK_SECRET ?? null,
    genericWebhookToleranceSeconds: config.TELEPHONY_WEBHOOK_TOLERANCE_SECONDS,
  };
}

/**
 * SMS and WhatsApp through Twilio Messaging, on the telephony Twilio account(s), or null when Twilio is
 * not configured. WhatsApp replies go through Twilio to clients who wrote through Twilio.
 */
export function twilioMessagingOptionsFrom(config: HubConfig): TwilioMessagingOptions | null {
  if (!config.twilioAccounts.length) return null;
  return {
    publicUrl: config.PUBLIC_URL,
    accounts: config.twilioAccounts,
    smsNumber: config.TWILIO_NUMBER ?? null,
    whatsappNumber: config.TWILIO_WHATSAPP_NUMBER ?? null,
    messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID ?? null,
    apiBaseUrl: config.TWILIO_API_BASE_URL ?? null,
    numberPipelines: config.SMS_NUMBER_PIPELINES,
    missedCallSms: config.MISSED_CALL_SMS,
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

/** WhatsApp Cloud API settings, or null when the access token, app secret and verify token are not all set (WhatsApp off). */
export function whatsappOptionsFrom(config: HubConfig): WhatsAppOptions | null {
  if (!config.WHATSAPP_ACCESS_TOKEN || !config.WHATSAPP_APP_SECRET || !config.WHATSAPP_VERIFY_TOKEN) return null;
  return {
    accessToken: config.WHATSAPP_ACCESS_TOKEN,
    appSecret: config.WHATSAPP_APP_SECRET,
    verifyToken: config.WHATSAPP_VERIFY_TOKEN,
    graphBaseUrl: config.WHATSAPP_GRAPH_BASE_URL,
    graphVersion: config.WHATSAPP_GRAPH_VERSION,
    phoneNumberIds: config.WHATSAPP_PHONE_NUMBER_IDS,
    businessAccountIds: config.WHATSAPP_BUSINESS_ACCOUNT_IDS,
    numberPipelines: config.WHATSAPP_NUMBER_PIPELINES,
  };
}

/** The composition root: database, domain, channels, REST API. */
@Module({})
export class AppModule {
  static forRoot(config: HubConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // The server was waited for (and the database created) before start; a failure here is one error.
        // Fixed schedules (@Cron / @Interval, SchedulerRegistry), stopped when the app closes.
        ScheduleModule.forRoot(),
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({ ...(await dataSourceOptions(config)), retryAttempts: 1, retryDelay: 1000 }),
        }),
        DatabaseNotificationsModule.forRoot(config),
        CoreModule.forRoot({ useFactory: () => coreOptionsFrom(config) }, options.clock),
        OutboxModule.forRoot({
          worker: config.OUTBOX_WORKER,
          pollMs: config.OUTBOX_POLL_MS,
          maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
          leaseSeconds: config.OUTBOX_LEASE_SECONDS,
          batchSize: config.OUTBOX_CONCURRENCY,
        }),
        WebFormModule,
        TelephonyModule.forRoot(telephonyOptionsFrom(config)),
        TwilioMessagingModule.forRoot(twilioMessagingOptionsFrom(config)),
        ActivityMediaModule,
        TelegramModule.forRoot(telegramOptionsFrom(config)),
        WhatsAppModule.forRoot(whatsappOptionsFrom(config)),
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
        FormSnippetController,
        ReceiptsController,
        OutboxController,
        ChannelsController,
        ContactChannelsController,
        HealthController,
        ReportsController,
        CompaniesController,
        ImportController,
        ExportController,
        MailboxesController,
        EmailContentController,
        MetricsController,
        AuditController,
        PersonalDataController,
        InboxController,
      ],
      providers: [
        { provide: HUB_CONFIG, useValue: config },
        SessionsService,
        BulkActionsService,
        ChannelAvailabilityService,
        FirstStartService,
        SlaScheduler,
        MetricsService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useValue: validationPipe() },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
    };
  }
}
