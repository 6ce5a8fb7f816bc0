import { assertTimezone, parseBusinessHours } from '@leadline/core';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';

const int = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max} (got "${v}")` });
        return z.NEVER;
      }
      return n;
    });

const bool = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (/^(1|true|yes|on)$/i.test(v)) return true;
      if (/^(0|false|no|off)$/i.test(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false (got "${v}")` });
      return z.NEVER;
    });

const BOT_TOKEN = /^\d{3,20}:[A-Za-z0-9_-]{20,100}$/;

/** "<number>=<pipeline name>,…" → {number: pipeline name}; a malformed item names the variable and the expected shape. */
function numberRoutes(v: string | undefined, key: RegExp, name: string, shape: string, ctx: z.RefinementCtx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf('=');
    const number = item.slice(0, at).trim();
    const pipeline = item.slice(at + 1).trim();
    if (at < 0 || !key.test(number) || !pipeline) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a comma-separated list of ${shape} (got "${item}")` });
      return z.NEVER;
    }
    out[number] = pipeline;
  }
  return out;
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Every environment variable the hub reads; each is described in config.reference.ts (`npm run docs:config` writes docs/configuration.md and .env.example). */
export const envSchema = z
  .object({
    PORT: int('PORT', 1, 65535, 3000),
    HOST: optionalString.transform((v) => v ?? '0.0.0.0'),
    PUBLIC_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]+/.test(v), 'PUBLIC_URL must be an http(s) URL such as https://crm.example.com'),
    DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), 'DATABASE_URL must start with postgres:// or postgresql://'),
    DB_POOL_SIZE: int('DB_POOL_SIZE', 1, 200, 10),
    // A slow or hung database answers 503 within these bounds instead of holding every sender (PostgreSQL).
    DB_STATEMENT_TIMEOUT_MS: int('DB_STATEMENT_TIMEOUT_MS', 0, 3_600_000, 5000),
    DB_ACQUIRE_TIMEOUT_MS: int('DB_ACQUIRE_TIMEOUT_MS', 100, 600_000, 5000),
    DB_START_ATTEMPTS: int('DB_START_ATTEMPTS', 1, 10_000, 10),
    DB_START_RETRY_MS: int('DB_START_RETRY_MS', 100, 600_000, 3000),
    PGLITE_DATA_DIR: optionalString.transform((v) => v ?? './data/pglite'),
    OUTBOX_WORKER: bool('OUTBOX_WORKER', true),
    OUTBOX_POLL_MS: int('OUTBOX_POLL_MS', 50, 60_000, 1000),
    OUTBOX_MAX_ATTEMPTS: int('OUTBOX_MAX_ATTEMPTS', 1, 100, 8),
    OUTBOX_LEASE_SECONDS: int('OUTBOX_LEASE_SECONDS', 10, 86_400, 120),
    OUTBOX_CONCURRENCY: int('OUTBOX_CONCURRENCY', 1, 200, 10),
    ADMIN_EMAIL: optionalString
      .transform((v) => (v ?? 'admin@leadline.local').toLowerCase())
      .refine((v) => /^[^\s@]+@[^\s@]+$/.test(v), 'ADMIN_EMAIL must be an email address'),
    ADMIN_PASSWORD: optionalString.refine((v) => v === undefined || v.length >= 8, 'ADMIN_PASSWORD must be at least 8 characters'),
    SESSION_TTL_HOURS: int('SESSION_TTL_HOURS', 1, 24 * 90, 24 * 7),
    COOKIE_SECURE: bool('COOKIE_SECURE', false),
    TRUST_PROXY: bool('TRUST_PROXY', false),
    DEFAULT_PHONE_REGION: optionalString
      .transform((v) => (v ?? 'RU').toUpperCase())
      .refine((v) => isSupportedCountry(v as never), 'DEFAULT_PHONE_REGION must be a two-letter country code such as RU, UZ, KZ, AZ'),
    CALLBACK_SLA_MINUTES: int('CALLBACK_SLA_MINUTES', 1, 7 * 24 * 60, 15),
    BUSINESS_HOURS: optionalString.transform((v) => v ?? '24/7'),
    BUSINESS_TIMEZONE: optionalString.transform((v) => v ?? 'UTC'),
    BUSINESS_HOLIDAYS: optionalString.transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
    SUBMISSION_DEDUPE_SECONDS: int('SUBMISSION_DEDUPE_SECONDS', 0, 86_400, 300),
    TASK_REMINDER_MINUTES: int('TASK_REMINDER_MINUTES', 0, 24 * 60, 5),
    ESCALATION_MINUTES: int('ESCALATION_MINUTES', 1, 7 * 24 * 60, 10),
    ESCALATION_POLICY: z
      .enum(['reassign', 'notify'], { message: 'ESCALATION_POLICY must be reassign or notify' })
      .optional()
      .transform((v) => v ?? 'reassign'),
    SLA_SCHEDULER: bool('SLA_SCHEDULER', true),
    // Telephony (issue 6): Twilio voice, click-to-call, the generic call webhook.
    TWILIO_ACCOUNT_SID: optionalString.refine((v) => v === undefined || /^AC[0-9a-fA-F]{32}$/.test(v), 'TWILIO_ACCOUNT_SID must be an Account SID (AC followed by 32 hex digits)'),
    TWILIO_AUTH_TOKEN: optionalString,
    TWILIO_ACCOUNTS: optionalString.transform((v, ctx) => {
      const out: Array<{ sid: string; token: string }> = [];
      for (const item of (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
        const m = /^(AC[0-9a-fA-F]{32}):(\S+)$/.exec(item);
        if (!m) {
          ctx.addIssue({ code: 'custom', message: 'TWILIO_ACCOUNTS must be a comma-separated list of ACCOUNT_SID:AUTH_TOKEN' });
          return z.NEVER;
        }
        out.push({ sid: m[1], token: m[2] });
      }
      return out;
    }),
    TWILIO_NUMBER: optionalString.refine((v) => v === undefined || /^\+[1-9]\d{5,14}$/.test(v), 'TWILIO_NUMBER must be a phone number in E.164, e.g. +74951234567'),
    TWILIO_API_BASE_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]+\/?$/.test(v), 'TWILIO_API_BASE_URL must be an http(s) origin such as https://api.twilio.com'),
    CALL_RING_SECONDS: int('CALL_RING_SECONDS', 5, 120, 20),
    CALL_HUNT_MAX: int('CALL_HUNT_MAX', 0, 10, 3),
    CALL_RECORD: bool('CALL_RECORD', false),
    CALL_RING_STRATEGY: z
      .enum(['sequential', 'simultaneous'], { message: 'CALL_RING_STRATEGY must be sequential or simultaneous' })
      .optional()
      .transform((v) => v ?? 'sequential'),
    // +74951234567=simultaneous,+74957654321=sequential: a strategy per called company number.
    // Twilio Messaging (SMS, and WhatsApp through Twilio) on the same account(s): replies go from the
    // Messaging Service when set, else from TWILIO_NUMBER (SMS) and TWILIO_WHATSAPP_NUMBER (WhatsApp).
    TWILIO_MESSAGING_SERVICE_SID: optionalString.refine((v) => v === undefined || /^MG[0-9a-fA-F]{32}$/.test(v), 'TWILIO_MESSAGING_SERVICE_SID must be a Messaging Service SID (MG followed by 32 hex digits)'),
    TWILIO_WHATSAPP_NUMBER: optionalString.refine((v) => v === undefined || /^\+[1-9]\d{5,14}$/.test(v), 'TWILIO_WHATSAPP_NUMBER must be the WhatsApp sender in E.164, e.g. +14155238886'),
    // Per company number, the pipeline new SMS leads enter: "+74951234567=Pipeline name,…".
    SMS_NUMBER_PIPELINES: optionalString.transform((v, ctx) => numberRoutes(v, /^\+[1-9]\d{5,14}$/, 'SMS_NUMBER_PIPELINES', '+NUMBER=<pipeline name>', ctx)),
    // A missed call is answered with one SMS ("we will call you back by 14:32"), once per callback task.
    MISSED_CALL_SMS: bool('MISSED_CALL_SMS', false),
    CALL_RING_STRATEGY_BY_NUMBER: optionalString.transform((v, ctx) => {
      const out: Record<string, 'sequential' | 'simultaneous'> = {};
      for (const item of (v ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
        const m = /^(\+[1-9]\d{5,14})\s*=\s*(sequential|simultaneous)$/.exec(item);
        if (!m) {
          ctx.addIssue({ code: 'custom', message: `CALL_RING_STRATEGY_BY_NUMBER must be a comma-separated list of +NUMBER=sequential|simultaneous (got "${item}")` });
          return z.NEVER;
        }
        out[m[1]] = m[2] as 'sequential' | 'simultaneous';
      }
      return out;
    }),
    CALL_VOICE_LOCALE: z
      .enum(['ru-RU', 'en-US'], { message: 'CALL_VOICE_LOCALE must be ru-RU or en-US' })
      .optional()
      .transform((v) => v ?? 'en-US'),
    CALL_AFTER_HOURS_MESSAGE: optionalString,
    TELEPHONY_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || v.length >= 16, 'TELEPHONY_WEBHOOK_SECRET must be at least 16 characters'),
    TELEPHONY_WEBHOOK_TOLERANCE_SECONDS: int('TELEPHONY_WEBHOOK_TOLERANCE_SECONDS', 5, 86_400, 300),
    // Telegram (client bot + manager bot). No TELEGRAM_BOT_TOKEN = Telegram off.
    TELEGRAM_BOT_TOKEN: optionalString.refine((v) => v === undefined || BOT_TOKEN.test(v), 'TELEGRAM_BOT_TOKEN must be a bot token from @BotFather such as 123456789:AAE...'),
    TELEGRAM_MANAGER_BOT_TOKEN: optionalString.refine((v) => v === undefined || BOT_TOKEN.test(v), 'TELEGRAM_MANAGER_BOT_TOKEN must be a bot token from @BotFather such as 123456789:AAE...'),
    TELEGRAM_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || /^[A-Za-z0-9_-]{16,256}$/.test(v), 'TELEGRAM_WEBHOOK_SECRET must be 16-256 characters of A-Z, a-z, 0-9, _ and -'),
    TELEGRAM_API_ROOT: optionalString
      .transform((v) => (v ?? 'https://api.telegram.org').replace(/\/$/, ''))
      .refine((v) => /^https?:\/\/[^/]+/.test(v), 'TELEGRAM_API_ROOT must be an http(s) URL such as https://api.telegram.org'),
    TELEGRAM_DEFAULT_LOCALE: z
      .enum(['ru', 'en'], { message: 'TELEGRAM_DEFAULT_LOCALE must be ru or en' })
      .optional()
      .transform((v) => v ?? 'ru'),
    // WhatsApp Business Cloud API (inbound). All three of token, app secret and verify token = WhatsApp on.
    WHATSAPP_ACCESS_TOKEN: optionalString,
    WHATSAPP_APP_SECRET: optionalString.refine((v) => v === undefined || /^[0-9a-fA-F]{16,128}$/.test(v), 'WHATSAPP_APP_SECRET must be the Meta app secret (App settings → Basic), hexadecimal'),
    WHATSAPP_VERIFY_TOKEN: optionalString.refine((v) => v === undefined || /^[\x21-\x7e]{8,256}$/.test(v), 'WHATSAPP_VERIFY_TOKEN must be 8-256 printable characters without spaces'),
    WHATSAPP_GRAPH_BASE_URL: optionalString
      .transform((v) => (v ?? 'https://graph.facebook.com').replace(/\/$/, ''))
      .refine((v) => /^https?:\/\/[^/]+$/.test(v), 'WHATSAPP_GRAPH_BASE_URL must be an http(s) origin such as https://graph.facebook.com'),
    WHATSAPP_GRAPH_VERSION: optionalString
      .transform((v) => v ?? 'v21.0')
      .refine((v) => /^v\d+\.\d+$/.test(v), 'WHATSAPP_GRAPH_VERSION must look like v21.0'),
    WHATSAPP_PHONE_NUMBER_IDS: optionalString.transform((v, ctx) => {
      const ids = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (ids.some((id) => !/^\d{5,20}$/.test(id))) {
        ctx.addIssue({ code: 'custom', message: 'WHATSAPP_PHONE_NUMBER_IDS must be a comma-separated list of phone number ids (digits, from WhatsApp → API Setup)' });
        return z.NEVER;
      }
      return ids;
    }),
    // The WhatsApp Business Account(s) whose message templates managers may send outside the 24-hour window.
    WHATSAPP_BUSINESS_ACCOUNT_IDS: optionalString.transform((v, ctx) => {
      const ids = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (ids.some((id) => !/^\d{5,20}$/.test(id))) {
        ctx.addIssue({ code: 'custom', message: 'WHATSAPP_BUSINESS_ACCOUNT_IDS must be a comma-separated list of WhatsApp Business Account ids (digits)' });
        return z.NEVER;
      }
      return ids;
    }),
    // Per business number, the pipeline its new leads enter: "<phone number id>=<pipeline name>,…" (others: the default pipeline).
    WHATSAPP_NUMBER_PIPELINES: optionalString.transform((v, ctx) => numberRoutes(v, /^\d{5,20}$/, 'WHATSAPP_NUMBER_PIPELINES', '<phone number id>=<pipeline name>', ctx)),
    // Email (issue 5): one mailbox from the environment (more through the admin API, /api/mailboxes).
    IMAP_HOST: optionalString,
    IMAP_PORT: int('IMAP_PORT', 1, 65535, 0),
    IMAP_TLS: bool('IMAP_TLS', true),
    IMAP_USER: optionalString,
    IMAP_PASSWORD: optionalString,
    IMAP_FOLDER: optionalString.transform((v) => v ?? 'INBOX'),
    IMAP_POLL_SECONDS: int('IMAP_POLL_SECONDS', 1, 3600, 60),
    SMTP_HOST: optionalString,
    SMTP_PORT: int('SMTP_PORT', 1, 65535, 0),
    SMTP_TLS: bool('SMTP_TLS', true),
    SMTP_USER: optionalString,
    SMTP_PASSWORD: optionalString,
    MAIL_FROM: optionalString,
    MAIL_FROM_NAME: optionalString,
    MAIL_FORM_SENDERS: optionalString.transform((v) => (v ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)),
    MAIL_ATTACHMENT_MAX_KB: int('MAIL_ATTACHMENT_MAX_KB', 0, 1024 * 1024, 10 * 1024),
    MAIL_WATCHER: bool('MAIL_WATCHER', true),
    // Operations (issue 20): Prometheus metrics at GET /metrics.
    METRICS_ENABLED: bool('METRICS_ENABLED', false),
    METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'METRICS_TOKEN must be at least 16 characters'),
    HEAP_GROWTH_PERCENT: int('HEAP_GROWTH_PERCENT', 0, 400, 40),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent' })
      .optional()
      .transform((v) => v ?? 'info'),
  })
  .transform((env, ctx) => {
    try {
      assertTimezone(env.BUSINESS_TIMEZONE);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['BUSINESS_TIMEZONE'], message: `BUSINESS_TIMEZONE must be an IANA timezone such as Europe/Moscow (got "${env.BUSINESS_TIMEZONE}")` });
      return z.NEVER;
    }
    let businessHours;
    try {
      businessHours = parseBusinessHours(env.BUSINESS_HOURS, env.BUSINESS_TIMEZONE, env.BUSINESS_HOLIDAYS);
    } catch (e) {
      const path = /holiday/.test((e as Error).message) ? 'BUSINESS_HOLIDAYS' : 'BUSINESS_HOURS';
      ctx.addIssue({ code: 'custom', path: [path], message: `${path}: ${(e as Error).message}` });
      return z.NEVER;
    }
    if (!!env.TWILIO_ACCOUNT_SID !== !!env.TWILIO_AUTH_TOKEN) {
      const missing = env.TWILIO_ACCOUNT_SID ? 'TWILIO_AUTH_TOKEN' : 'TWILIO_ACCOUNT_SID';
      ctx.addIssue({ code: 'custom', path: [missing], message: `${missing} must be set together with ${missing === 'TWILIO_AUTH_TOKEN' ? 'TWILIO_ACCOUNT_SID' : 'TWILIO_AUTH_TOKEN'}` });
      return z.NEVER;
    }
    if (!env.TWILIO_ACCOUNT_SID && env.TWILIO_ACCOUNTS.length) {
      ctx.addIssue({ code: 'custom', path: ['TWILIO_ACCOUNTS'], message: 'TWILIO_ACCOUNTS needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the main account)' });
      return z.NEVER;
    }
    if (env.TWILIO_ACCOUNT_SID && !env.TWILIO_NUMBER) {
      ctx.addIssue({ code: 'custom', path: ['TWILIO_NUMBER'], message: 'TWILIO_NUMBER must be set when Twilio is configured (the company caller id)' });
      return z.NEVER;
    }
    // The main account first: it places outbound calls; every listed account may sign webhooks.
    const twilioAccounts = env.TWILIO_ACCOUNT_SID ? [{ sid: env.TWILIO_ACCOUNT_SID, token: env.TWILIO_AUTH_TOKEN! }, ...env.TWILIO_ACCOUNTS.filter((a) => a.sid !== env.TWILIO_ACCOUNT_SID)] : [];
    const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');
    if (env.TELEGRAM_BOT_TOKEN && publicUrl.startsWith('https://') && !env.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_SECRET'], message: 'TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_BOT_TOKEN is set and PUBLIC_URL is https (the webhook checks it)' });
      return z.NEVER;
    }
    if (env.TELEGRAM_MANAGER_BOT_TOKEN && !env.TELEGRAM_BOT_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_BOT_TOKEN'], message: 'TELEGRAM_BOT_TOKEN is required when TELEGRAM_MANAGER_BOT_TOKEN is set' });
      return z.NEVER;
    }
    const whatsapp = [env.WHATSAPP_ACCESS_TOKEN, env.WHATSAPP_APP_SECRET, env.WHATSAPP_VERIFY_TOKEN];
    if (whatsapp.some(Boolean) && !whatsapp.every(Boolean)) {
      const missing = ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'].filter((_, i) => !whatsapp[i]);
      ctx.addIssue({ code: 'custom', path: [missing[0]], message: `WhatsApp needs WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN together (missing: ${missing.join(', ')})` });
      return z.NEVER;
    }
    const mailIssue = checkMailConfig(env);
    if (mailIssue) {
      ctx.addIssue({ code: 'custom', path: [mailIssue.variable], message: mailIssue.message });
      return z.NEVER;
    }
    return { ...env, PUBLIC_URL: publicUrl, businessHours, twilioAccounts };
  });

export type HubConfig = z.output<typeof envSchema>;

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** The env mailbox is all or nothing: IMAP_HOST needs a user, a password and an address to send from. */
function checkMailConfig(env: {
  IMAP_HOST?: string;
  IMAP_USER?: string;
  IMAP_PASSWORD?: string;
  SMTP_HOST?: string;
  MAIL_FROM?: string;
  MAIL_FORM_SENDERS: string[];
}): { variable: string; message: string } | null {
  if (!env.IMAP_HOST) {
    if (env.SMTP_HOST) return { variable: 'IMAP_HOST', message: 'IMAP_HOST is required when SMTP_HOST is set (the mailbox replies are sent from)' };
    return null;
  }
  if (!env.IMAP_USER) return { variable: 'IMAP_USER', message: 'IMAP_USER is required when IMAP_HOST is set' };
  if (!env.IMAP_PASSWORD) return { variable: 'IMAP_PASSWORD', message: 'IMAP_PASSWORD is required when IMAP_HOST is set' };
  const from = env.MAIL_FROM ?? env.IMAP_USER;
  if (!EMAIL.test(from)) return { variable: 'MAIL_FROM', message: `MAIL_FROM must be an email address (required when IMAP_USER "${env.IMAP_USER}" is not one)` };
  const badSender = env.MAIL_FORM_SENDERS.find((s) => !EMAIL.test(s));
  if (badSender) return { variable: 'MAIL_FORM_SENDERS', message: `MAIL_FORM_SENDERS must be email addresses separated by commas (got "${badSender}")` };
  return null;
}
