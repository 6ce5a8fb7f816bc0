import { useEffect, useState } from 'react';
import { api, type ContactSummary, type Page } from '../api';
import { appendPage, channelsOf } from '../format';
import { useI18n } from '../i18n';
import { Link, navigate, useRoute } from '../router';
import { useSession } from '../session';
import { ChannelIcon, ErrorNote, Loading } from '../ui';

export function ContactsPage() {
  const { t, dateTime } = useI18n();
  const { managerName } = useSession();
  const { query } = useRoute();
  const initial = query.get('q') ?? '';
  const [search, setSearch] = useState(initial);
  const [items, setItems] = useState<ContactSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = async (q: string, after: string | null) => {
    try {
      const params = new URLSearchParams({ limit: '50' });
      if (q.trim()) params.set('search', q.trim());
      if (after) params.set('cursor', after);
      const page = await api<Page<ContactSummary>>(`/api/contacts?${params}`);
      setItems((shown) => (after && shown ? appendPage(shown, page.items) : page.items));
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };

  // Search as you type, after a short pause.
  useEffect(() => {
    const timer = setTimeout(() => {
      void load(search, null);
      const url = search.trim() ? `/contacts?q=${encodeURIComponent(search.trim())}` : '/contacts';
      if (url !== `${location.pathname.replace(/^\/admin/, '')}${location.search}`) navigate(url, true);
    }, 250);
    return () => clearTimeout(timer);
  }, [search]);

  return (
    <div className="stack">
      <h1>{t('contacts.title')}</h1>
      <input
        type="search"
        className="search"
        placeholder={t('contacts.search')}
        aria-label={t('contacts.search')}
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        data-testid="contact-search"
      />
      {error ? <ErrorNote error={error} onRetry={() => load(search, null)} /> : null}
      {!items ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="muted">{t('contacts.empty')}</p>
      ) : (
        <table className="table" data-testid="contacts">
          <thead>
            <tr>
              <th>{t('contacts.name')}</th>
              <th>{t('contacts.channels')}</th>
              <th>{t('contacts.owner')}</th>
              <th>{t('contacts.lastActivity')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/contacts/${c.id}`}>{c.name ?? t('unknownName')}</Link>
                  <div className="muted small">{c.identities.map((i) => i.value).join(', ')}</div>
                </td>
                <td>
                  {channelsOf(c.identities).map((k) => (
                    <ChannelIcon key={k} kind={k} />
                  ))}
                </td>
                <td>{managerName(c.ownerId) ?? t('unassigned')}</td>
                <td>
                  <time dateTime={c.lastActivityAt}>{dateTime(c.lastActivityAt)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => load(search, cursor)}>
          {t('more')}
        </button>
      )}
    </div>
  );
}
