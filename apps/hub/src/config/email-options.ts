import type { EmailOptions } from '@leadline/channels';
import type { HubConfig } from './config.schema';

/** Email channel settings from the validated configuration: the env mailbox (if IMAP_HOST is set) and the knobs. */
export function emailOptionsFrom(config: HubConfig): Partial<EmailOptions> {
  const address = (config.MAIL_FROM ?? config.IMAP_USER ?? '').toLowerCase();
  return {
    envMailbox: config.IMAP_HOST
      ? {
          name: address,
          address,
          imap: {
            host: config.IMAP_HOST,
            port: config.IMAP_PORT || (config.IMAP_TLS ? 993 : 143),
            tls: config.IMAP_TLS,
            user: config.IMAP_USER!,
            password: config.IMAP_PASSWORD!,
            folder: config.IMAP_FOLDER,
          },
          smtp: config.SMTP_HOST
            ? {
                host: config.SMTP_HOST,
                port: config.SMTP_PORT || (config.SMTP_TLS ? 465 : 587),
                tls: config.SMTP_TLS,
                user: config.SMTP_USER ?? config.IMAP_USER!,
                password: config.SMTP_PASSWORD ?? config.IMAP_PASSWORD!,
              }
            : null,
          formSenders: config.MAIL_FORM_SENDERS,
          enabled: true,
        }
      : null,
    fromName: config.MAIL_FROM_NAME ?? null,
    pollSeconds: config.IMAP_POLL_SECONDS,
    attachmentMaxBytes: config.MAIL_ATTACHMENT_MAX_KB * 1024,
    watch: config.MAIL_WATCHER,
  };
}
