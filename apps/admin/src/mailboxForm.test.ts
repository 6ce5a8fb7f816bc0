import { describe, expect, it } from 'vitest';
import { EMPTY_MAILBOX, fieldsOf, mailboxPayload, type MailboxDetails } from './mailboxForm';

const existing: MailboxDetails = {
  id: 'm1',
  name: 'Sales',
  address: 'sales@acme.test',
  imap: { host: 'imap.acme.test', port: 993, tls: true, user: 'sales', folder: 'INBOX' },
  smtp: { host: 'smtp.acme.test', port: 587, tls: false, user: 'sales' },
  formSenders: ['forms@tilda.test', 'noreply@site.test'],
  enabled: true,
};

describe('mailbox form', () => {
  it('creates with the password and without SMTP when no SMTP host is given', () => {
    const body = mailboxPayload({ ...EMPTY_MAILBOX, name: ' Sales ', address: 'sales@acme.test', imapHost: 'imap.acme.test', imapUser: 'sales', imapPassword: 'secret', formSenders: 'a@x.test, b@y.test\nc@z.test' }, false);
    expect(body).toEqual({
      name: 'Sales',
      address: 'sales@acme.test',
      imap: { host: 'imap.acme.test', port: 993, tls: true, user: 'sales', password: 'secret', folder: 'INBOX' },
      formSenders: ['a@x.test', 'b@y.test', 'c@z.test'],
      enabled: true,
    });
  });

  it('never prefills passwords and leaves them out of an edit when empty (unchanged)', () => {
    const f = fieldsOf(existing);
    expect(f.imapPassword).toBe('');
    expect(f.smtpPassword).toBe('');
    expect(f.formSenders).toBe('forms@tilda.test\nnoreply@site.test');
    const body = mailboxPayload(f, true);
    expect(body.imap).toEqual({ host: 'imap.acme.test', port: 993, tls: true, user: 'sales', folder: 'INBOX' });
    expect(body.smtp).toEqual({ host: 'smtp.acme.test', port: 587, tls: false, user: 'sales' });
    expect(mailboxPayload({ ...f, smtpPassword: 'new' }, true).smtp).toEqual({ host: 'smtp.acme.test', port: 587, tls: false, user: 'sales', password: 'new' });
  });

  it('turns SMTP off with an empty host on edit, and drops the login with an empty user', () => {
    const f = fieldsOf(existing);
    expect(mailboxPayload({ ...f, smtpHost: '' }, true).smtp).toBeNull();
    expect(mailboxPayload({ ...f, smtpUser: '' }, true).smtp).toEqual({ host: 'smtp.acme.test', port: 587, tls: false, user: null, password: null });
  });
});
