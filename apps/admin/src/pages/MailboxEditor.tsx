import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../api';
import { useI18n, type MessageKey } from '../i18n';
import { EMPTY_MAILBOX, fieldsOf, mailboxPayload, type MailboxDetails, type MailboxFields } from '../mailboxForm';
import { ErrorNote } from '../ui';

/** Creates (no `mailbox`) or edits a mailbox. Password fields are write-only: never prefilled, empty = unchanged. */
export function MailboxEditor({ mailbox, onDone, onCancel }: { mailbox: MailboxDetails | null; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [f, setF] = useState<MailboxFields>(() => (mailbox ? fieldsOf(mailbox) : EMPTY_MAILBOX));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const text = (k: keyof MailboxFields) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const flag = (k: keyof MailboxFields) => (e: { target: { checked: boolean } }) => setF((x) => ({ ...x, [k]: e.target.checked }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body = mailboxPayload(f, !!mailbox);
      if (mailbox) await api(`/api/mailboxes/${mailbox.id}`, { method: 'PATCH', body });
      else await api('/api/mailboxes', { method: 'POST', body });
      setError(null);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: keyof MailboxFields, label: MessageKey, props: { type?: string; required?: boolean; placeholder?: string } = {}): ReactNode => (
    <label>
      {t(label)}
      <input value={f[k] as string} onChange={text(k)} type={props.type ?? 'text'} required={props.required} placeholder={props.placeholder} autoComplete={props.type === 'password' ? 'new-password' : 'off'} />
    </label>
  );
  const check = (k: keyof MailboxFields, label: MessageKey): ReactNode => (
    <label className="check">
      <input type="checkbox" checked={f[k] as boolean} onChange={flag(k)} />
      {t(label)}
    </label>
  );
  const keep = mailbox ? t('mailbox.passwordKeep') : undefined;

  return (
    <form className="mailbox-form stack" onSubmit={submit} aria-label={mailbox ? t('mailbox.edit') : t('mailbox.add')} data-testid="mailbox-form">
      <div className="form-grid">
        {field('name', 'mailbox.name', { required: true })}
        {field('address', 'mailbox.address', { type: 'email', required: true })}
      </div>
      <fieldset>
        <legend>IMAP</legend>
        <div className="form-grid">
          {field('imapHost', 'mailbox.imapHost', { required: true })}
          {field('imapPort', 'mailbox.imapPort', { type: 'number' })}
          {field('imapUser', 'mailbox.imapUser', { required: true })}
          {field('imapPassword', 'mailbox.imapPassword', { type: 'password', required: !mailbox, placeholder: keep })}
          {field('imapFolder', 'mailbox.imapFolder')}
          {check('imapTls', 'mailbox.imapTls')}
        </div>
      </fieldset>
      <fieldset>
        <legend>SMTP</legend>
        <p className="muted small">{t('mailbox.smtpHint')}</p>
        <div className="form-grid">
          {field('smtpHost', 'mailbox.smtpHost')}
          {field('smtpPort', 'mailbox.smtpPort', { type: 'number' })}
          {field('smtpUser', 'mailbox.smtpUser')}
          {field('smtpPassword', 'mailbox.smtpPassword', { type: 'password', placeholder: keep })}
          {check('smtpTls', 'mailbox.smtpTls')}
        </div>
      </fieldset>
      <label>
        {t('mailbox.formSenders')}
        <textarea rows={2} value={f.formSenders} onChange={text('formSenders')} />
      </label>
      {check('enabled', 'mailbox.enabled')}
      {error ? <ErrorNote error={error} /> : null}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {t('save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
