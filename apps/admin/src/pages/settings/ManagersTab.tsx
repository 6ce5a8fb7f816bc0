import QRCode from 'qrcode';
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, type Manager } from '../../api';
import { useAsync } from '../../hooks';
import { Dialog } from '../../cockpit/Dialog';
import { useI18n, type MessageKey } from '../../i18n';
import { ErrorNote, Loading } from '../../ui';
import { useAction } from './useAction';

export function ManagersTab() {
  const { t } = useI18n();
  const managers = useAsync(() => api<Manager[]>('/api/managers'), []);
  // Each save remounts the cards: a refused value goes back to what is stored (the error says why).
  const [version, setVersion] = useState(0);
  const [run, error] = useAction(() => {
    managers.reload();
    setVersion((v) => v + 1);
  });
  const [draft, setDraft] = useState({ name: '', email: '', password: '', phone: '' });
  const [resetting, setResetting] = useState<Manager | null>(null);
  const [confirmOff, setConfirmOff] = useState<Manager | null>(null);
  const [showInactive, setShowInactive] = useState(false);

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('/api/managers', { body: { name: draft.name, email: draft.email, password: draft.password, role: 'manager', ...(draft.phone ? { phone: draft.phone } : {}) } });
      setDraft({ name: '', email: '', password: '', phone: '' });
    });
  };
  const patch = (m: Manager, body: Partial<Manager> & { password?: string }) => run(() => api(`/api/managers/${m.id}`, { method: 'PATCH', body }));

  if (managers.error) return <ErrorNote error={managers.error} onRetry={managers.reload} />;
  if (!managers.data) return <Loading />;
  const active = managers.data.filter((m) => m.active);
  const inactive = managers.data.filter((m) => !m.active);
  return (
    <>
      {error ? <p className="error" role="alert" data-testid="manager-error">{explainManagerError(error, t)}</p> : null}
      <ul className="manager-cards" data-testid="managers">
        {active.map((m) => (
          <li key={`${m.id}:${version}`} className="card manager-card" data-testid="manager" data-manager-id={m.id}>
            <div className="manager-head">
              <BlurInput value={m.name} label={t('managers.name')} wide onCommit={(v) => v && patch(m, { name: v })} />
              <select value={m.role} aria-label={t('managers.role')} onChange={(e) => patch(m, { role: e.target.value as Manager['role'] })} data-testid="manager-role">
                <option value="manager">{t('role.manager')}</option>
                <option value="admin">{t('role.admin')}</option>
              </select>
              {!m.available && <span className="pill due-overdue">{t('managers.paused')}</span>}
            </div>
            <div className="form-grid">
              <label>
                {t('managers.email')}
                <BlurInput value={m.email} label={t('managers.email')} type="email" wide onCommit={(v) => v && patch(m, { email: v })} />
              </label>
              <label>
                {t('managers.phone')}
                <BlurInput value={m.phone ?? ''} label={t('managers.phone')} wide onCommit={(v) => patch(m, { phone: v || null })} />
              </label>
              <label>
                {t('managers.timezone')}
                <TimezoneInput value={m.timezone} onCommit={(v) => patch(m, { timezone: v })} />
              </label>
              <label>
                {t('managers.shift')}
                <BlurInput value={m.shift ?? ''} label={t('managers.shift')} wide placeholder={t('managers.shiftExample')} onCommit={(v) => patch(m, { shift: v || null })} />
                <span className="muted small">
                  {m.shift ? (m.onShift === false ? t('managers.offShift') : t('managers.onShift')) : t('managers.noShift')}
                </span>
              </label>
              <label>
                {t('managers.capacity')}
                <BlurInput value={m.capacity == null ? '' : String(m.capacity)} label={t('managers.capacity')} type="number" wide onCommit={(v) => patch(m, { capacity: v === '' ? null : Number(v) })} />
              </label>
              <label>
                {t('managers.weight')}
                <BlurInput value={String(m.weight)} label={t('managers.weight')} type="number" wide onCommit={(v) => patch(m, { weight: Number(v) || 1 })} />
              </label>
            </div>
            <div className="lead-actions">
              <button type="button" onClick={() => patch(m, { available: !m.available })} aria-pressed={!m.available}>
                {m.available ? t('managers.pause') : t('managers.resume')}
              </button>
              <button type="button" onClick={() => setResetting(m)} data-testid="reset-password">
                {t('managers.resetPassword')}
              </button>
              <button type="button" onClick={() => setConfirmOff(m)} data-testid="deactivate">
                {t('managers.deactivate')}
              </button>
              <TelegramLink manager={m} />
            </div>
          </li>
        ))}
      </ul>
      {inactive.length > 0 && (
        <section className="card">
          <button type="button" className="link" aria-expanded={showInactive} onClick={() => setShowInactive(!showInactive)}>
            {t('managers.inactive', { n: inactive.length })}
          </button>
          {showInactive && (
            <ul className="list" data-testid="inactive-managers">
              {inactive.map((m) => (
                <li key={m.id} className="row wrap">
                  <span className="grow">
                    {m.name} <span className="muted small">{m.email}</span>
                  </span>
                  <button type="button" onClick={() => patch(m, { active: true })} data-testid="reactivate">
                    {t('managers.reactivate')}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
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
      {resetting && (
        <PasswordDialog
          manager={resetting}
          onClose={() => setResetting(null)}
          onSave={async (password) => {
            await api(`/api/managers/${resetting.id}`, { method: 'PATCH', body: { password } });
            setResetting(null);
            managers.reload();
          }}
        />
      )}
      {confirmOff && (
        <Dialog title={t('managers.deactivateTitle', { name: confirmOff.name })} onClose={() => setConfirmOff(null)}>
          <p>{t('managers.deactivateText')}</p>
          <div className="row">
            <button
              type="button"
              className="primary"
              onClick={() => {
                const m = confirmOff;
                setConfirmOff(null);
                void patch(m, { active: false });
              }}
            >
              {t('managers.deactivate')}
            </button>
            <button type="button" onClick={() => setConfirmOff(null)}>
              {t('cancel')}
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}

/** What went wrong, in the admin's language: which field and the format it expects, or a taken email. */
export function explainManagerError(error: unknown, t: (k: MessageKey, v?: Record<string, string | number>) => string): string {
  if (error instanceof ApiError) {
    if (error.status === 409) return t('managers.emailTaken');
    const fields = (error.body as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) {
      return Object.keys(fields)
        .map((f) => {
          const key = `managers.invalid.${f}`;
          const text = t(key as MessageKey);
          return text === key ? `${f}: ${fields[f]}` : text;
        })
        .join(' ');
    }
  }
  return t('error', { message: error instanceof Error ? error.message : String(error) });
}

const TIMEZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
})();

function TimezoneInput({ value, onCommit }: { value: string; onCommit: (v: string) => void }) {
  const { t } = useI18n();
  return (
    <>
      <BlurInput value={value} label={t('managers.timezone')} wide list="leadline-timezones" onCommit={(v) => v && onCommit(v)} />
      <datalist id="leadline-timezones">
        {TIMEZONES.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
    </>
  );
}

function PasswordDialog({ manager, onSave, onClose }: { manager: Manager; onSave: (password: string) => Promise<void>; onClose: () => void }) {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title={t('managers.resetTitle', { name: manager.name })} onClose={onClose} testId="password-dialog">
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await onSave(password);
          } catch (err) {
            setError(explainManagerError(err, t));
          }
        }}
      >
        <p className="muted small">{t('managers.resetHint')}</p>
        <label>
          {t('managers.newPassword')}
          <input type="password" required minLength={8} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="row">
          <button type="submit" className="primary">
            {t('save')}
          </button>
          <button type="button" onClick={onClose}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** An input that saves when it loses focus or on Enter, only if the value changed. */
function BlurInput({
  value,
  label,
  type = 'text',
  wide,
  placeholder,
  list,
  onCommit,
}: {
  value: string;
  label: string;
  type?: string;
  wide?: boolean;
  placeholder?: string;
  list?: string;
  onCommit: (v: string) => void;
}) {
  const [v, setV] = useState(value);
  useEffect(() => setV(value), [value]);
  const commit = () => v !== value && onCommit(v.trim());
  return (
    <input
      className={wide ? undefined : 'narrow'}
      placeholder={placeholder}
      list={list}
      type={type}
      aria-label={label}
      value={v}
      onChange={(e) => setV(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
    />
  );
}

/** The Telegram binding of a manager ("Linked": the managers API's bindings) and a button for a new link code. */
export function TelegramLink({ manager }: { manager: Manager }) {
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
      {manager.bindings?.some((b) => b.channel === 'telegram') && <span className="pill ok">{t('managers.telegramLinked')}</span>}
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
