import { ConfigError, parseConfig } from './load-config';

describe('configuration', () => {
  it('has working defaults', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      PGLITE_DATA_DIR: './data/pglite',
      ADMIN_EMAIL: 'admin@leadline.local',
      DEFAULT_PHONE_REGION: 'RU',
      CALLBACK_SLA_MINUTES: 15,
      PUBLIC_URL: 'http://localhost:3000',
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.businessHours.alwaysOpen).toBe(true);
  });

  it('reads and normalises values', () => {
    const c = parseConfig({ PORT: '8080', DEFAULT_PHONE_REGION: 'uz', PUBLIC_URL: 'https://crm.example.com/', BUSINESS_HOURS: 'Mon-Fri 09:00-18:00', BUSINESS_TIMEZONE: 'Asia/Tashkent' });
    expect(c.PORT).toBe(8080);
    expect(c.DEFAULT_PHONE_REGION).toBe('UZ');
    expect(c.PUBLIC_URL).toBe('https://crm.example.com');
    expect(c.businessHours.week[1]).toEqual([[540, 1080]]);
  });

  it('SLA clocks: defaults and values', () => {
    expect(parseConfig({})).toMatchObject({ TASK_REMINDER_MINUTES: 5, ESCALATION_MINUTES: 10, ESCALATION_POLICY: 'reassign', SLA_SCHEDULER: true });
    expect(parseConfig({ TASK_REMINDER_MINUTES: '0', ESCALATION_MINUTES: '30', ESCALATION_POLICY: 'notify', SLA_SCHEDULER: 'off' })).toMatchObject({
      TASK_REMINDER_MINUTES: 0,
      ESCALATION_MINUTES: 30,
      ESCALATION_POLICY: 'notify',
      SLA_SCHEDULER: false,
    });
  });

  it('email (issue 5): off when nothing is set; the env mailbox is all or nothing, each gap named', () => {
    expect(parseConfig({}).IMAP_HOST).toBeUndefined();
    expect(parseConfig({})).toMatchObject({ IMAP_POLL_SECONDS: 60, MAIL_FORM_SENDERS: [], MAIL_WATCHER: true });
    const mail = { IMAP_HOST: 'imap.example.com', IMAP_USER: 'sales@example.com', IMAP_PASSWORD: 'x' };
    expect(parseConfig({ ...mail, MAIL_FORM_SENDERS: ' Forms@Tilda.ws , wp@site.example ' }).MAIL_FORM_SENDERS).toEqual(['forms@tilda.ws', 'wp@site.example']);
    expect(() => parseConfig({ IMAP_HOST: 'imap.example.com', IMAP_USER: 'sales@example.com' })).toThrow('Invalid configuration: IMAP_PASSWORD is required when IMAP_HOST is set');
    expect(() => parseConfig({ ...mail, IMAP_USER: 'sales' })).toThrow(/MAIL_FROM must be an email address/);
    expect(() => parseConfig({ SMTP_HOST: 'smtp.example.com' })).toThrow(/IMAP_HOST is required when SMTP_HOST is set/);
    expect(() => parseConfig({ ...mail, MAIL_FORM_SENDERS: 'tilda' })).toThrow(/MAIL_FORM_SENDERS must be email addresses/);
    expect(() => parseConfig({ ...mail, IMAP_PORT: '99999' })).toThrow(/IMAP_PORT must be a whole number/);
  });

  it.each([
    [{ ESCALATION_POLICY: 'fire' }, 'Invalid configuration: ESCALATION_POLICY must be reassign or notify'],
    [{ ESCALATION_MINUTES: '0' }, 'Invalid configuration: ESCALATION_MINUTES must be a whole number from 1 to 10080 (got "0")'],
    [{ PORT: 'abc' }, 'Invalid configuration: PORT must be a whole number from 1 to 65535 (got "abc")'],
    [{ CALLBACK_SLA_MINUTES: '0' }, 'Invalid configuration: CALLBACK_SLA_MINUTES must be a whole number from 1 to 10080 (got "0")'],
    [{ DATABASE_URL: 'mysql://x' }, 'Invalid configuration: DATABASE_URL must start with postgres:// or postgresql://'],
    [{ DEFAULT_PHONE_REGION: 'XX' }, 'Invalid configuration: DEFAULT_PHONE_REGION must be a two-letter country code such as RU, UZ, KZ, AZ'],
    [{ BUSINESS_TIMEZONE: 'Moscow' }, 'Invalid configuration: BUSINESS_TIMEZONE must be an IANA timezone such as Europe/Moscow (got "Moscow")'],
    [{ BUSINESS_HOURS: 'weekdays 9-6' }, 'Invalid configuration: BUSINESS_HOURS: "weekdays 9-6" is not like "Mon-Fri 09:00-19:00"'],
    [{ BUSINESS_HOLIDAYS: '2026-12-31,31.12' }, 'Invalid configuration: BUSINESS_HOLIDAYS: holiday "31.12" is not a YYYY-MM-DD date'],
    [{ ADMIN_PASSWORD: 'short' }, 'Invalid configuration: ADMIN_PASSWORD must be at least 8 characters'],
    [{ LOG_LEVEL: 'loud' }, 'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ COOKIE_SECURE: 'maybe' }, 'Invalid configuration: COOKIE_SECURE must be true or false (got "maybe")'],
  ])('%p stops start-up with one line naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
    try {
      parseConfig(env);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });
});
