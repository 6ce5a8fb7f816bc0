import { useEffect, useState, type FormEvent } from 'react';
import { api, type Company, type Page } from '../api';
import { appendPage } from '../format';
import { useI18n } from '../i18n';
import { Link, navigate } from '../router';
import { ErrorNote, Loading } from '../ui';

/** Companies with search as you type and a small create form. */
export function CompaniesPage() {
  const { t } = useI18n();
  const [search, setSearch] = useState('');
  const [items, setItems] = useState<Company[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [domain, setDomain] = useState('');
  const [createError, setCreateError] = useState<unknown>(null);

  const load = async (q: string, after: string | null) => {
    try {
      const params = new URLSearchParams({ limit: '50' });
      if (q.trim()) params.set('search', q.trim());
      if (after) params.set('cursor', after);
      const page = await api<Page<Company>>(`/api/companies?${params}`);
      setItems((shown) => (after && shown ? appendPage(shown, page.items) : page.items));
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    const timer = setTimeout(() => void load(search, null), 250);
    return () => clearTimeout(timer);
  }, [search]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const body: Record<string, string> = { name: name.trim() };
      if (domain.trim()) body.domain = domain.trim();
      const created = await api<Company>('/api/companies', { body });
      navigate(`/companies/${created.id}`);
    } catch (err) {
      setCreateError(err);
    }
  };

  return (
    <div className="stack">
      <h1>{t('companies.title')}</h1>
      <form className="filters" onSubmit={create} aria-label={t('companies.create')}>
        <label>
          {t('companies.name')}
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={300} />
        </label>
        <label>
          {t('companies.domain')}
          <input value={domain} onChange={(e) => setDomain(e.target.value)} maxLength={300} placeholder="example.com" />
        </label>
        <button type="submit" className="primary" disabled={!name.trim()}>
          {t('companies.create')}
        </button>
      </form>
      {createError ? <ErrorNote error={createError} /> : null}
      <input type="search" className="search" placeholder={t('companies.search')} aria-label={t('companies.search')} value={search} onChange={(e) => setSearch(e.target.value)} />
      {error ? <ErrorNote error={error} onRetry={() => load(search, null)} /> : null}
      {!items ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="muted">{t('companies.empty')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="companies">
            <thead>
              <tr>
                <th>{t('companies.name')}</th>
                <th>{t('companies.domain')}</th>
                <th>{t('companies.contacts')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/companies/${c.id}`}>{c.name}</Link>
                  </td>
                  <td className="break">{c.domain ?? t('none')}</td>
                  <td>{c.contactCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" onClick={() => load(search, cursor)}>
          {t('more')}
        </button>
      )}
    </div>
  );
}
