import { useState, type FormEvent } from 'react';
import { api, type ContactSummary } from '../api';
import { useI18n } from '../i18n';
import { ErrorNote } from '../ui';

/**
 * Settings → Personal data: find a person, download everything the hub holds on them, or erase them
 * (after typing ERASE). Both land in the audit log.
 */
export function PersonalDataTab() {
  const { t } = useI18n();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<ContactSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [erasing, setErasing] = useState<ContactSummary | null>(null);
  const [confirmText, setConfirmText] = useState('');
  const [done, setDone] = useState<string | null>(null);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    try {
      const page = await api<{ items: ContactSummary[] }>(`/api/contacts?search=${encodeURIComponent(query.trim())}&limit=20`);
      setFound(page.items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };

  const erase = async (e: FormEvent) => {
    e.preventDefault();
    if (!erasing || confirmText !== 'ERASE') return;
    try {
      await api(`/api/contacts/${erasing.id}/personal-data`, { method: 'DELETE' });
      setFound((list) => (list ?? []).filter((c) => c.id !== erasing.id));
      setDone(t('privacy.erased', { name: erasing.name ?? erasing.id }));
      setErasing(null);
      setConfirmText('');
      setError(null);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="stack" data-testid="personal-data">
      <p className="muted">{t('privacy.intro')}</p>
      <form className="row" onSubmit={search}>
        <label>
          {t('privacy.search')} <input type="search" value={query} maxLength={200} onChange={(e) => setQuery(e.target.value)} data-testid="privacy-search" />
        </label>
        <button type="submit">{t('privacy.find')}</button>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {done && (
        <p role="status" data-testid="privacy-done">
          {done}
        </p>
      )}
      {found && found.length === 0 && <p className="muted">{t('privacy.none')}</p>}
      {found && found.length > 0 && (
        <table className="table" data-testid="privacy-results">
          <tbody>
            {found.map((c) => (
              <tr key={c.id}>
                <td>{c.name ?? '—'}</td>
                <td>{c.identities.map((i) => i.value).join(', ')}</td>
                <td>
                  <a href={`/api/contacts/${c.id}/personal-data`} download>
                    {t('privacy.export')}
                  </a>
                </td>
                <td>
                  <button type="button" onClick={() => setErasing(c)}>
                    {t('privacy.erase')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {erasing && (
        <form className="card stack" onSubmit={erase} aria-label={t('privacy.erase')}>
          <p>{t('privacy.confirm', { name: erasing.name ?? erasing.id })}</p>
          <label>
            {t('privacy.typeErase')} <input value={confirmText} onChange={(e) => setConfirmText(e.target.value)} data-testid="privacy-confirm" />
          </label>
          <div className="row">
            <button type="submit" disabled={confirmText !== 'ERASE'}>
              {t('privacy.eraseNow')}
            </button>
            <button type="button" onClick={() => setErasing(null)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
