/** A mailbox as configured (environment or admin API). Passwords never leave the server. */
export interface MailboxSettings {
  name: string;
  address: string;
  imap: { host: string; port: number; tls: boolean; user: string; password: string; folder: string };
  smtp: { host: string; port: number; tls: boolean; user: string | null; password: string | null } | null;
  formSenders: string[];
  enabled: boolean;
}

/** Email channel settings (IMAP_*, SMTP_*, MAIL_* in the hub's configuration). */
export interface EmailOptions {
  /** The mailbox from the environment, kept in the mailbox table under its name; null = none. */
  envMailbox: MailboxSettings | null;
  /** Company name in the From of replies from the env mailbox ("Anna from Acme"); API mailboxes use their name. */
  fromName: string | null;
  /** Poll interval when the server has no IDLE, and the safety-net sync interval otherwise. */
  pollSeconds: number;
  /** Attachments over this size are listed but their content is not stored. */
  attachmentMaxBytes: number;
  /** Watch mailboxes from this process. */
  watch: boolean;
  /** Reconnect delays after a lost connection: doubling from min to max, with jitter. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export const EMAIL_OPTIONS = Symbol('EMAIL_OPTIONS');

export const DEFAULT_EMAIL_OPTIONS: EmailOptions = {
  envMailbox: null,
  fromName: null,
  pollSeconds: 60,
  attachmentMaxBytes: 10 * 1024 * 1024,
  watch: true,
  reconnectMinMs: 1000,
  reconnectMaxMs: 60_000,
};
