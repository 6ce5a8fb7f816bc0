import type { envSchema } from './config.schema';

/** A variable the hub reads: a key of the config schema. */
export type EnvVariable = keyof typeof envSchema.in.shape;

/** Headings of docs/configuration.md and `.env.example`, in this order. */
export const CONFIG_SECTIONS = [
  'HTTP',
  'Storage',
  'Outbox',
  'Admin account and sessions',
  'Leads, SLA and business hours',
  'Telephony',
  'SMS and WhatsApp through Twilio Messaging',
  'Telegram',
  'WhatsApp',
  'Email',
  'Logging',
  'Metrics',
  'Memory',
] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];

/** What docs/configuration.md and `.env.example` say about one variable (its default comes from the schema). */
export interface VariableDoc {
  section: ConfigSection;
  /** Sentences: the Meaning column of docs/configuration.md and the comment above the variable in `.env.example`. */
  description: string;
  /**
   * The default in words, when the schema's own is worked out at start (PUBLIC_URL from PORT) or is a
   * sentinel (port 0 = by TLS). `.env.example` then leaves the value empty.
   */
  defaultText?: string;
  /** A typical value where the default does not show the format; must pass the schema (test/docs/configuration-doc.test.ts). */
  example?: string;
}

/**
 * The configuration reference: one entry per variable of config.schema.ts. `npm run docs:config`
 * generates docs/configuration.md and `.env.example` from it and from the schema's defaults, so the
 * three cannot disagree; test/docs/configuration-doc.test.ts fails when an entry is missing or the
 * generated files are stale. A new variable: add it to the schema, describe it here, run
 * `npm run docs:config`. Keys are typed (a misspelt or removed variable fails the type check); order
 * within a section is the order of the docs.
 */
export const CONFIG_REFERENCE: Partial<Record<EnvVariable, VariableDoc>> = {
  PORT: { section: 'HTTP', description: 'HTTP port.' },
  HOST: { section: 'HTTP', description: 'Listen address (127.0.0.1 behind a reverse proxy on the same machine).' },
  PUBLIC_URL: {
    section: 'HTTP',
    description: 'The address people and providers use to reach the hub (behind a proxy / TLS terminator): links, webhook URLs, the Telegram webhook mode when https.',
    defaultText: 'http://localhost:$PORT',
    example: 'https://crm.example.com',
  },
  TRUST_PROXY: { section: 'HTTP', description: 'Trust X-Forwarded-For for the client IP (rate limits) when running behind a reverse proxy.' },

  DATABASE_URL: {
    section: 'Storage',
    description: 'PostgreSQL URL. Unset = the embedded PGlite database under PGLITE_DATA_DIR (no server needed; one hub process at a time).',
    example: 'postgres://user:password@host:5432/leadline',
  },
  DB_POOL_SIZE: { section: 'Storage', description: 'PostgreSQL connections of this process; it holds one per mailbox it watches and per Telegram bot it polls.' },
  DB_STATEMENT_TIMEOUT_MS: {
    section: 'Storage',
    description: 'A statement running longer than this is cancelled and answered 503 with Retry-After (0 = no limit). The client gives up 1 s later when the server does not answer at all (a hung database).',
  },
  DB_ACQUIRE_TIMEOUT_MS: {
    section: 'Storage',
    description: 'How long a request waits for a free pool connection (or a new one) before answering 503. A burst larger than the pool queues up to this long; raise it (or DB_POOL_SIZE) rather than shed leads.',
  },
  DB_START_ATTEMPTS: { section: 'Storage', description: 'Start-up with the database server down: tries this many times, DB_START_RETRY_MS apart, one log line per attempt, then exits with one line.' },
  DB_START_RETRY_MS: { section: 'Storage', description: 'Pause between the start-up attempts of DB_START_ATTEMPTS.' },
  PGLITE_DATA_DIR: { section: 'Storage', description: 'Where the embedded database lives when DATABASE_URL is unset (leadline.lock there keeps a second hub out).' },

  OUTBOX_WORKER: { section: 'Outbox', description: 'Deliver notices and messages (retried with backoff) from this process; false = this process only serves HTTP (another one delivers).' },
  OUTBOX_POLL_MS: { section: 'Outbox', description: 'New rows are claimed as soon as their transaction commits (LISTEN/NOTIFY); the poll is the safety net.' },
  OUTBOX_MAX_ATTEMPTS: { section: 'Outbox', description: 'Failed deliveries before a message is parked as dead (admin API: GET /api/outbox?status=dead, retry).' },
  OUTBOX_LEASE_SECONDS: { section: 'Outbox', description: 'A message claimed this long ago by a worker that never finished (crashed) is delivered again.' },
  OUTBOX_CONCURRENCY: { section: 'Outbox', description: 'Deliveries under way at once in this process (each a provider call; a slow one holds only its own slot).' },

  ADMIN_EMAIL: { section: 'Admin account and sessions', description: 'The admin account created on first start.' },
  ADMIN_PASSWORD: {
    section: 'Admin account and sessions',
    description: 'Its password (at least 8 characters); empty = generated and printed once on the console.',
  },
  SESSION_TTL_HOURS: { section: 'Admin account and sessions', description: 'Login lifetime in hours.' },
  COOKIE_SECURE: { section: 'Admin account and sessions', description: 'Send the session cookie over HTTPS only (set true in production behind TLS).' },

  DEFAULT_PHONE_REGION: {
    section: 'Leads, SLA and business hours',
    description: 'Phone numbers typed without a country code are read in this region (ISO 3166, e.g. RU, UZ, KZ, AZ).',
  },
  CALLBACK_SLA_MINUTES: { section: 'Leads, SLA and business hours', description: 'SLA: a new lead must be called back within this many minutes of business time.' },
  BUSINESS_HOURS: {
    section: 'Leads, SLA and business hours',
    description: 'Opening hours; a break splits a day ("Mon-Fri 09:00-13:00,14:00-18:00"); 24/7 = always.',
    example: 'Mon-Fri 09:00-19:00; Sat 10:00-16:00',
  },
  BUSINESS_TIMEZONE: { section: 'Leads, SLA and business hours', description: 'IANA timezone of the business hours.', example: 'Europe/Moscow' },
  BUSINESS_HOLIDAYS: { section: 'Leads, SLA and business hours', description: 'Closed days, comma separated YYYY-MM-DD.', example: '2027-01-01,2027-01-02' },
  TASK_REMINDER_MINUTES: { section: 'Leads, SLA and business hours', description: 'Reminder to the assignee this many business minutes before a task is due (0 = no reminder).' },
  ESCALATION_MINUTES: { section: 'Leads, SLA and business hours', description: 'Escalation this many business minutes after a task is due.' },
  ESCALATION_POLICY: {
    section: 'Leads, SLA and business hours',
    description: 'At escalation: reassign = the deal and its open tasks go to the next eligible manager (admins are told when nobody else can take it); notify = admins are told again.',
  },
  SLA_SCHEDULER: {
    section: 'Leads, SLA and business hours',
    description: 'Run the SLA scheduler (reminders, overdue, escalation) in this process, at least every second. Safe on several processes.',
  },
  SUBMISSION_DEDUPE_SECONDS: { section: 'Leads, SLA and business hours', description: 'The same form submission (same fields) repeated within this many seconds counts as one lead.' },

  TWILIO_ACCOUNT_SID: {
    section: 'Telephony',
    description:
      'Twilio Account SID (AC…); empty = no telephony through Twilio. Webhooks (set on the number): "A call comes in" POST $PUBLIC_URL/api/inbound/twilio/voice, "Call status changes" POST $PUBLIC_URL/api/inbound/twilio/status.',
  },
  TWILIO_AUTH_TOKEN: { section: 'Telephony', description: 'Its auth token (webhook signatures, REST calls, recordings).' },
  TWILIO_ACCOUNTS: {
    section: 'Telephony',
    description: "More accounts (subaccounts) whose webhooks are accepted: ACxxx:token,ACyyy:token (token chosen by the request's AccountSid).",
  },
  TWILIO_NUMBER: { section: 'Telephony', description: 'The company number, E.164: caller id of click-to-call and of forwarded calls from withheld numbers.', example: '+74951234567' },
  TWILIO_API_BASE_URL: {
    section: 'Telephony',
    description: 'Only to point the REST client elsewhere (a local fake in tests).',
    defaultText: 'https://api.twilio.com',
  },
  CALL_RING_SECONDS: { section: 'Telephony', description: "Seconds each manager's phone rings before the next one (hunt) is tried." },
  CALL_HUNT_MAX: { section: 'Telephony', description: "How many managers' phones an incoming call rings in turn (owner first) before voicemail." },
  CALL_RING_STRATEGY: {
    section: 'Telephony',
    description:
      'How an incoming call rings the managers: sequential (owner first, then the next, CALL_RING_SECONDS each) or simultaneous (the owner and every available manager at once, up to 10; first to answer wins). docs/telephony.md',
  },
  CALL_RING_STRATEGY_BY_NUMBER: {
    section: 'Telephony',
    description: 'Per called company number, overriding CALL_RING_STRATEGY.',
    example: '+74951234567=simultaneous,+74957654321=sequential',
  },
  CALL_RECORD: { section: 'Telephony', description: 'Record answered calls (from answer).' },
  CALL_VOICE_LOCALE: { section: 'Telephony', description: 'Voice of spoken messages: ru-RU or en-US.' },
  CALL_AFTER_HOURS_MESSAGE: { section: 'Telephony', description: "Spoken outside business hours before voicemail; empty = a default text in the voice's language." },
  TELEPHONY_WEBHOOK_SECRET: {
    section: 'Telephony',
    description: 'Shared secret of the generic telephony webhook (POST /api/inbound/telephony/generic, HMAC-SHA256); empty = endpoint off.',
  },
  TELEPHONY_WEBHOOK_TOLERANCE_SECONDS: {
    section: 'Telephony',
    description: "A generic webhook request whose signed X-Leadline-Timestamp is further than this from the hub's clock is refused with 403 (a captured request cannot be replayed later).",
  },

  TELEGRAM_BOT_TOKEN: { section: 'Telegram', description: 'The company bot clients write to (token from @BotFather); empty = no Telegram.' },
  TELEGRAM_MANAGER_BOT_TOKEN: { section: 'Telegram', description: 'A second bot for managers; empty = managers use the company bot too.' },
  TELEGRAM_WEBHOOK_SECRET: {
    section: 'Telegram',
    description:
      'Checked on every webhook call (X-Telegram-Bot-Api-Secret-Token); required when PUBLIC_URL is https (webhook mode). With an http PUBLIC_URL the hub long-polls instead. 16-256 of A-Z a-z 0-9 _ -.',
  },
  TELEGRAM_API_ROOT: { section: 'Telegram', description: "Bot API server: Telegram's, or a self-hosted telegram-bot-api." },
  TELEGRAM_DEFAULT_LOCALE: { section: 'Telegram', description: 'Language of bot texts for clients and for managers without their own setting: ru | en.' },

  TWILIO_MESSAGING_SERVICE_SID: {
    section: 'SMS and WhatsApp through Twilio Messaging',
    description:
      'On the Twilio account(s) above; inbound messages: POST $PUBLIC_URL/api/inbound/twilio/messaging (docs/sms.md). Replies go through this Messaging Service (MG…) instead of TWILIO_NUMBER / TWILIO_WHATSAPP_NUMBER; empty = from the numbers.',
  },
  TWILIO_WHATSAPP_NUMBER: {
    section: 'SMS and WhatsApp through Twilio Messaging',
    description: 'The WhatsApp sender registered with Twilio, E.164; empty = no WhatsApp replies through Twilio.',
    example: '+14155238886',
  },
  SMS_NUMBER_PIPELINES: {
    section: 'SMS and WhatsApp through Twilio Messaging',
    description: 'Per company number, the pipeline new SMS leads enter; other numbers: the default pipeline.',
    example: '+74951234567=Almaty sales,+74957654321=Tashkent',
  },
  MISSED_CALL_SMS: {
    section: 'SMS and WhatsApp through Twilio Messaging',
    description: 'Answer a missed call with one SMS per callback task ("we will call you back by 14:32"), in the client\'s language.',
  },
  WHATSAPP_ACCESS_TOKEN: {
    section: 'WhatsApp',
    description:
      'WhatsApp Business Cloud API, inbound (docs/whatsapp.md): all three of the access token, app secret and verify token = on; none = off. Callback URL in the Meta app: <PUBLIC_URL>/api/inbound/whatsapp. This one: the system-user access token (bearer for media downloads).',
  },
  WHATSAPP_APP_SECRET: { section: 'WhatsApp', description: 'Meta app secret (App settings → Basic): key of the X-Hub-Signature-256 check on every delivery.' },
  WHATSAPP_VERIFY_TOKEN: {
    section: 'WhatsApp',
    description: 'Your own string, typed into the app\'s webhook settings as "Verify token" (8-256 characters, no spaces).',
  },
  WHATSAPP_GRAPH_BASE_URL: { section: 'WhatsApp', description: 'Graph API origin.' },
  WHATSAPP_GRAPH_VERSION: { section: 'WhatsApp', description: 'Graph API version.' },
  WHATSAPP_PHONE_NUMBER_IDS: { section: 'WhatsApp', description: 'Comma-separated phone number ids this hub serves; empty = every number of the app.' },
  WHATSAPP_BUSINESS_ACCOUNT_IDS: {
    section: 'WhatsApp',
    description: 'WhatsApp Business Account ids whose message templates managers may send after the 24-hour window; empty = the accounts clients have written to.',
  },
  WHATSAPP_NUMBER_PIPELINES: {
    section: 'WhatsApp',
    description: 'Per business number, the pipeline its new leads enter (<phone number id>=<pipeline name>, comma-separated); other numbers: the default pipeline.',
    example: '106540352242922=Almaty sales',
  },

  IMAP_HOST: {
    section: 'Email',
    description:
      'IMAP server of the mailbox taken from the environment (more mailboxes: /api/mailboxes); empty = none. New mail is watched with IMAP IDLE, and polled every IMAP_POLL_SECONDS as well.',
  },
  IMAP_PORT: { section: 'Email', description: 'IMAP port.', defaultText: '993 with TLS, 143 without' },
  IMAP_TLS: { section: 'Email', description: 'Implicit TLS; false = a plain connection upgraded with STARTTLS when offered.' },
  IMAP_USER: { section: 'Email', description: 'Mailbox login (required with IMAP_HOST).' },
  IMAP_PASSWORD: { section: 'Email', description: 'Mailbox password (required with IMAP_HOST).' },
  IMAP_FOLDER: { section: 'Email', description: 'Folder watched for new mail.' },
  IMAP_POLL_SECONDS: { section: 'Email', description: 'Poll interval when the server has no IDLE, and safety-net sync otherwise.' },
  SMTP_HOST: { section: 'Email', description: 'SMTP server replies to clients go out through; empty = the mailbox only receives.' },
  SMTP_PORT: { section: 'Email', description: 'SMTP port.', defaultText: '465 with TLS, 587 without' },
  SMTP_TLS: { section: 'Email', description: 'Implicit TLS; false = STARTTLS when the server offers it.' },
  SMTP_USER: { section: 'Email', description: 'SMTP login; empty = the IMAP one.' },
  SMTP_PASSWORD: { section: 'Email', description: 'SMTP password; empty = the IMAP one.' },
  MAIL_FROM: { section: 'Email', description: "The mailbox's address (From of replies); default IMAP_USER when that is an address." },
  MAIL_FROM_NAME: { section: 'Email', description: 'Company name in the From of replies: "Anna from Acme" <MAIL_FROM> (unset = the manager\'s name only).' },
  MAIL_FORM_SENDERS: {
    section: 'Email',
    description: 'Site-form notification senders (comma separated): their "Name: …, Phone: …" mails become form leads.',
    example: 'forms@tilda.ws,noreply@wix.com',
  },
  MAIL_ATTACHMENT_MAX_KB: { section: 'Email', description: 'Attachments larger than this are listed (name, type, size) but not stored.' },
  MAIL_WATCHER: { section: 'Email', description: 'Watch mailboxes from this process (several processes take turns: one watcher per mailbox at a time).' },

  LOG_LEVEL: { section: 'Logging', description: 'fatal | error | warn | info | debug | trace | silent' },

  METRICS_ENABLED: { section: 'Metrics', description: 'Serve Prometheus metrics at GET /metrics to anyone who can reach the port (see docs/operations.md).' },
  METRICS_TOKEN: {
    section: 'Metrics',
    description: 'Turns /metrics on behind "Authorization: Bearer <token>" (at least 16 characters; Prometheus: authorization.credentials).',
  },

  HEAP_GROWTH_PERCENT: {
    section: 'Memory',
    description:
      "How far the JavaScript heap may grow past the data it holds before a full garbage collection, in percent (V8's heap growing factor). 0 = V8's own choice, which under a burst lets a fresh hub grow to about twice its live data (280-290 MB under the intake benchmark instead of 190 MB, see docs/BENCHMARKS.md). Lower keeps memory smaller and steadier for a little more collector CPU.",
  },
};
