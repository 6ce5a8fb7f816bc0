import { useState } from 'react';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n';
import { canCall, useChannels } from './channels';

/**
 * One click to call the contact: through the hub's telephony when it is configured (the manager's phone
 * rings first), else a `tel:` link the device dials. A refusal reads as what to do, never as a raw error.
 */
export function CallAction({ contactId, phone, label, onStarted, className = 'primary' }: { contactId: string; phone: string; label?: string; onStarted?: () => void; className?: string }) {
  const { t } = useI18n();
  const channels = useChannels();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const text = `☎ ${label ?? t('contact.call')}`;
  if (!canCall(channels)) {
    return (
      <a className={`button-link ${className}`} href={`tel:${phone}`} data-testid="call-link">
        {text}
      </a>
    );
  }
  const call = async () => {
    setBusy(true);
    setNote(null);
    try {
      await api('/api/calls', { body: { contactId } });
      setNote(t('call.ringing'));
      onStarted?.();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || err.status === 404)) window.location.href = `tel:${phone}`;
      else if (err instanceof ApiError && err.status === 400) setNote(t('call.noManagerPhone'));
      else if (err instanceof ApiError && err.status === 502) setNote(t('call.providerRefused'));
      else setNote(t('call.failed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="call-action">
      <button type="button" className={className} onClick={call} disabled={busy} data-testid="call-button">
        {busy ? t('contact.calling') : text}
      </button>
      {note && (
        <span className="small muted" role="status">
          {note}
        </span>
      )}
    </span>
  );
}
