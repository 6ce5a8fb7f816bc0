/** The mailbox form's fields and their mapping to the hub's create/update payloads (passwords are write-only). */

export interface MailboxDetails {
  id: string;
  name: string;
  address: string;
  imap: { host: string; port: number; tls: boolean; user: string; folder: string };
  smtp: { host: string; port: number; tls: boolean; user: string | null } | null;
  formSenders: string[];
  enabled: boolean;
}

export interface MailboxFields {
  name: string;
  address: string;
  imapHost: string;
  imapPort: string;
  imapTls: boolean;
  imapUser: string;
  imapPassword: string;
  imapFolder: string;
  smtpHost: string;
  smtpPort: string;
  smtpTls: boolean;
  smtpUser: string;
  smtpPassword: string;
  formSenders: string;
  enabled: boolean;
}

export const EMPTY_MAILBOX: MailboxFields = {
  name: '',
  address: '',
  imapHost: '',
  imapPort: '993',
  imapTls: true,
  imapUser: '',
  imapPassword: '',
  imapFolder: 'INBOX',
  smtpHost: '',
  smtpPort: '465',
  smtpTls: true,
  smtpUser: '',
  smtpPassword: '',
  formSenders: '',
  enabled: true,
};

/** The form for an existing mailbox: passwords never prefilled (empty = unchanged). */
export function fieldsOf(m: MailboxDetails): MailboxFields {
  return {
    name: m.name,
    address: m.address,
    imapHost: m.imap.host,
    imapPort: String(m.imap.port),
    imapTls: m.imap.tls,
    imapUser: m.imap.user,
    imapPassword: '',
    imapFolder: m.imap.folder,
    smtpHost: m.smtp?.host ?? '',
    smtpPort: m.smtp ? String(m.smtp.port) : '465',
    smtpTls: m.smtp?.tls ?? true,
    smtpUser: m.smtp?.user ?? '',
    smtpPassword: '',
    formSenders: m.formSenders.join('\n'),
    enabled: m.enabled,
  };
}

const port = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v.trim()));
const senders = (v: string): string[] =>
  v
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The POST (creating) or PATCH (editing) body. An empty password is left out (on edit: unchanged);
 * an empty SMTP host means no SMTP (null); an empty SMTP user means no SMTP login (null).
 */
export function mailboxPayload(f: MailboxFields, editing: boolean): Record<string, unknown> {
  const imap: Record<string, unknown> = { host: f.imapHost.trim(), tls: f.imapTls, user: f.imapUser, folder: f.imapFolder.trim() || 'INBOX' };
  const imapPort = port(f.imapPort);
  if (imapPort !== undefined) imap.port = imapPort;
  if (f.imapPassword) imap.password = f.imapPassword;
  let smtp: Record<string, unknown> | null = null;
  if (f.smtpHost.trim()) {
    smtp = { host: f.smtpHost.trim(), tls: f.smtpTls, user: f.smtpUser.trim() || null };
    const smtpPort = port(f.smtpPort);
    if (smtpPort !== undefined) smtp.port = smtpPort;
    if (f.smtpPassword) smtp.password = f.smtpPassword;
    else if (!f.smtpUser.trim()) smtp.password = null;
  }
  const body: Record<string, unknown> = {
    name: f.name.trim(),
    address: f.address.trim(),
    imap,
    smtp,
    formSenders: senders(f.formSenders),
    enabled: f.enabled,
  };
  if (!editing && smtp === null) delete body.smtp;
  return body;
}
