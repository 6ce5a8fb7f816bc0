import QRCode from 'qrcode';
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type Manager } from '../../api';
import { useAsync } from '../../hooks';
import { useI18n } from '../../i18n';
import { ErrorNote, Loading } from '../../ui';
import { useAction } from './useAction';

export function ManagersTab() {
  const { t } = useI18n();
  const managers = useAsync(() => api<Manager[]>('/api/managers'), []);
  const [run, error] = useAction(managers.reload);
  const [draft, setDraft] = useState({ name: '', email: '', password: '', phone: '' });

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('/api/managers', { body: { name: draft.name, email: draft.email, password: draft.password, role: 'manager', ...(draft.phone ? { phone: draft.phone } : {}) } });
      setDraft({ name: '', email: '', password: '', phone: '' });
    });
  };
  const patch = (m: Manager, body: Partial<Manager>) => run(() => api(`/api/managers/${m.id}`, { method: 'PATCH', body }));

  if (managers.error) return <ErrorNote error={managers.error} onRetry={managers.reload} />;
  if (!managers.data) return <Loading />;
  return (
    <>
      {error ? <ErrorNote error={error} /> : null}
      <div className="table-wrap">
        <table className="table" data-testid="managers">
          <thead>
            <tr>
              <th>{t('managers.name')}</th>
              <th>{t('managers.phone')}</th>
              <th>{t('managers.capacity')}</th>
              <th>{t('managers.weight')}</th>
              <th>{t('managers.shift')}</th>
              <th>{t('managers.available')}</th>
              <th>{t('managers.telegram')}</th>
            </tr>
          </thead>
          <tbody>
            {managers.data
              .filter((m) => m.active)
              .map((m) => (
                <tr key={m.id}>
                  <td>
                    {m.name}
                    <div className="muted small">
                      {m.email} · {t(`role.${m.role}`)}
                    </div>
                  </td>
                  <td>
                    <BlurInput value={m.phone ?? ''} label={t('managers.phone')} onCommit={(v) => patch(m, { phone: v || null })} />
                  </td>
                  <td>
                    <BlurInput
                      value={m.capacity == null ? '' : String(m.capacity)}
                      label={t('managers.capacity')}
                      type="number"
                      onCommit={(v) => patch(m, { capacity: v === '' ? null : Number(v) })}
                    />
                  </td>
                  <td>
                    <BlurInput value={String(m.weight)} label={t('managers.weight')} type="number" onCommit={(v) => patch(m, { weight: Number(v) || 1 })} />
                  </td>
                  <td>
                    <BlurInput value={m.shift ?? ''} label={t('managers.shift')} wide onCommit={(v) => patch(m, { shift: v || null })} />
                    <div className="muted small">
                      {m.timezone}
                      {m.onShift === false && ` · ${t('managers.offShift')}`}
                    </div>
                  </td>
                  <td>
                    <button type="button" onClick={() => patch(m, { available: !m.available })} aria-pressed={!m.available}>
                      {m.available ? t('managers.pause') : t('managers.resume')}
                    </button>
                    {!m.available && <span className="pill due-overdue">{t('managers.paused')}</span>}
                  </td>
                  <td>
                    <TelegramLink manager={m} />
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      <form className="card inline-form" onSubmit={create}>
        <h2>{t('managers.add')}</h2>
        <input required placeholder={t('managers.name')} aria-label={t('managers.name')} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        <input required type="email" placeholder={t('managers.email')} aria-label={t('managers.email')} value={draft.email} onChange={(e) => setDraft({ ...draft, email: e.target.value })} />
        <input required minLength={8} type="password" placeholder={t('managers.password')} aria-label={t('managers.password')} value={draft.password} onChange={(e) => setDraft({ ...draft, password: e.target.value })} />
        <input placeholder={t('managers.phone')} aria-label={t('managers.phone')} value={draft.phone} onChange={(e) => setDraft({ ...draft, phone: e.target.value })} />
        <button type="submit" className="primary">
          {t('create')}
        </button>
      </form>
    </>
  );
}

/** An input that saves when it loses focus or on Enter, only if the value changed. */
function BlurInput({ value, label, type = 'text', wide, onCommit }: { value: string; label: string; type?: string; wide?: boolean; onCommit: (v: string) => void }) {
  const [v, setV] = useState(value);
  useEffect(() => setV(value), [value]);
  const commit = () => v !== value && onCommit(v.trim());
  return (
    <input
      className={wide ? undefined : 'narrow'}
      placeholder={wide ? 'Mon-Fri 09:00-18:00' : undefined}
      type={type}
      aria-label={label}
      value={v}
      onChange={(e) => setV(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}

function TelegramLink({ manager }: { manager: Manager }) {
  const { t, dateTime } = useI18n();
  const [link, setLink] = useState<{ url: string; expiresAt: string; qr: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const create = async () => {
    try {
      const res = await api<{ code: string; url: string; expiresAt: string }>(`/api/managers/${manager.id}/telegram-link`, { method: 'POST' });
      const qr = await QRCode.toDataURL(res.url, { margin: 1, width: 160 });
      setLink({ url: res.url, expiresAt: res.expiresAt, qr });
      setNote(null);
    } catch (err) {
      setNote(err instanceof ApiError && (err.status === 404 || err.status === 503) ? t('managers.telegramUnavailable') : String(err));
    }
  };
  return (
    <div className="tg">
      {manager.telegramUserId && <span className="pill ok">{t('managers.telegramLinked')}</span>}
      <button type="button" onClick={create}>
        {t('managers.telegramLink')}
      </button>
      {note && <div className="muted small">{note}</div>}
      {link && (
        <div className="tg-link">
          <a href={link.url} target="_blank" rel="noopener noreferrer" className="break">
            {link.url}
          </a>
          <img src={link.qr} alt="QR" width={160} height={160} />
          <div className="muted small">{t('managers.telegramHint', { time: dateTime(link.expiresAt) })}</div>
        </div>
      )}
    </div>
  );
}
