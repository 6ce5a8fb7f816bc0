import { useEffect, useState } from 'react';
import { api, type ContactSummary, type Page } from '../api';
import { channelsOfIdentities, inboundChannels, useChannelCatalogue } from '../cockpit/channels';
import { appendPage } from '../format';
import { useI18n } from '../i18n';
import { Link, navigate, useRoute } from '../router';
import { useSession } from '../session';
import { ChannelIcon, ErrorNote, Loading } from '../ui';
import { BulkBar } from '../cockpit/BulkBar';

/** Sort choices of the list: `field:order`, in the URL as `sort` and `order`. */
const SORTS = ['activity:desc', 'activity:asc', 'name:asc', 'name:desc', 'created:desc', 'created:asc'] as const;
type SortChoice = (typeof SORTS)[number];
const FILTER_KEYS = ['ownerId', 'source', 'tag', 'period', 'task'] as const;
type Filters = Record<(typeof FILTER_KEYS)[number], string>;

function sortFrom(query: URLSearchParams): SortChoice {
  const wanted = `${query.get('sort') ?? 'activity'}:${query.get('order') ?? (query.get('sort') === 'name' ? 'asc' : 'desc')}`;
  return SORTS.find((s) => s === wanted) ?? 'activity:desc';
}

/** The list's own address: search, filters and sort, so a reload or a shared link shows the same list. */
function listUrl(search: string, filters: Filters, sort: SortChoice): string {
  const params = new URLSearchParams();
  if (search.trim()) params.set('q', search.trim());
  for (const k of FILTER_KEYS) if (filters[k].trim()) params.set(k, filters[k].trim());
  if (sort !== 'activity:desc') {
    const [field, order] = sort.split(':');
    params.set('sort', field);
    params.set('order', order);
  }
  const qs = params.toString();
  return qs ? `/contacts?${qs}` : '/contacts';
}

export function ContactsPage() {
  const { t, dateTime } = useI18n();
  const { managerName, managers, user } = useSession();
  const channels = useChannelCatalogue();
  const { query } = useRoute();
  const [filters, setFilters] = useState<Filters>(() => Object.fromEntries(FILTER_KEYS.map((k) => [k, query.get(k) ?? ''])) as Filters);
  const [sort, setSort] = useState<SortChoice>(() => sortFrom(query));
  const initial = query.get('q') ?? '';
  const [search, setSearch] = useState(initial);
  const [items, setItems] = useState<ContactSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  const load = async (q: string, after: string | null) => {
    try {
      const params = new URLSearchParams({ limit: '50' });
      if (q.trim()) params.set('search', q.trim());
      if (filters.ownerId) params.set('ownerId', filters.ownerId);
      if (filters.source) params.set('source', filters.source);
      if (filters.tag.trim()) params.set('tag', filters.tag.trim());
      if (filters.period) params.set('createdFrom', new Date(Date.now() - Number(filters.period) * 86_400_000).toISOString());
      if (filters.task) params.set('hasOpenTask', filters.task);
      const [field, order] = sort.split(':');
      params.set('sort', field);
      params.set('order', order);
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
      const url = listUrl(search, filters, sort);
      if (url !== `${location.pathname.replace(/^\/admin/, '')}${location.search}`) navigate(url, true);
    }, 250);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search, filters, sort]);
  /** A header click sorts by that column; a second click turns the order round. */
  const sortBy = (field: 'name' | 'activity' | 'created') => {
    const [current, order] = sort.split(':');
    const next = current === field ? (order === 'asc' ? 'desc' : 'asc') : field === 'name' ? 'asc' : 'desc';
    setSort(`${field}:${next}` as SortChoice);
  };
  const ariaSort = (field: string): 'ascending' | 'descending' | undefined =>
    sort.startsWith(`${field}:`) ? (sort.endsWith(':asc') ? 'ascending' : 'descending') : undefined;
  const header = (field: 'name' | 'activity' | 'created', label: string) => (
    <th aria-sort={ariaSort(field)}>
      <button type="button" className="link sort-header" onClick={() => sortBy(field)} data-testid={`sort-${field}`}>
        {label}
        {ariaSort(field) === 'ascending' ? ' ↑' : ariaSort(field) === 'descending' ? ' ↓' : ''}
      </button>
    </th>
  );
  const set = (k: keyof typeof filters) => (e: { target: { value: string } }) => setFilters({ ...filters, [k]: e.target.value });

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
      <div className="filters" data-testid="contact-filters">
        {user.role === 'admin' && (
          <select value={filters.ownerId} onChange={set('ownerId')} aria-label={t('deals.owner')}>
            <option value="">{t('deals.allOwners')}</option>
            {managers.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        )}
        <select value={filters.source} onChange={set('source')} aria-label={t('deals.source')}>
          <option value="">{t('deals.allSources')}</option>
          {inboundChannels(channels.list).map((c) => (
            <option key={c} value={c}>
              {channels.label(c)}
            </option>
          ))}
        </select>
        <input value={filters.tag} onChange={set('tag')} placeholder={t('contacts.tag')} aria-label={t('contacts.tag')} />
        <select value={filters.period} onChange={set('period')} aria-label={t('deals.period')}>
          <option value="">{t('deals.anyTime')}</option>
          {['7', '30', '90'].map((n) => (
            <option key={n} value={n}>
              {t('deals.lastDays', { n })}
            </option>
          ))}
        </select>
        <select value={filters.task} onChange={set('task')} aria-label={t('contacts.openTask')} data-testid="filter-open-task">
          <option value="">{t('contacts.anyTasks')}</option>
          <option value="true">{t('contacts.withOpenTask')}</option>
          <option value="false">{t('contacts.withoutOpenTask')}</option>
        </select>
        <select value={sort} onChange={(e) => setSort(e.target.value as SortChoice)} aria-label={t('contactSort.label')} data-testid="contact-sort">
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {t(`contactSort.${s.replace(':', '.')}` as never)}
            </option>
          ))}
        </select>
      </div>
      {error ? <ErrorNote error={error} onRetry={() => load(search, null)} /> : null}
      <BulkBar
        kind="contacts"
        selected={selected}
        labelOf={(id) => items?.find((c) => c.id === id)?.name ?? t('unknownName')}
        onDone={(refused) => {
          setSelected(refused);
          void load(search, null);
        }}
        onClear={() => setSelected([])}
      />
      {!items ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="muted">{t('contacts.empty')}</p>
      ) : (
        <table className="table contacts-table" data-testid="contacts">
          <thead>
            <tr>
              <th className="select-cell">
                <input
                  type="checkbox"
                  aria-label={t('bulk.selectAll')}
                  checked={items.length > 0 && items.every((c) => selected.includes(c.id))}
                  onChange={(e) => setSelected(e.target.checked ? items.map((c) => c.id) : [])}
                  data-testid="select-all"
                />
              </th>
              {header('name', t('contacts.name'))}
              <th>{t('contacts.channels')}</th>
              <th>{t('contacts.owner')}</th>
              {header('activity', t('contacts.lastActivity'))}
              {header('created', t('contactSort.created'))}
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id} data-contact-id={c.id}>
                <td className="select-cell">
                  <input type="checkbox" aria-label={t('bulk.select', { name: c.name ?? t('unknownName') })} checked={selected.includes(c.id)} onChange={() => toggle(c.id)} />
                </td>
                <td>
                  <Link to={`/contacts/${c.id}`}>{c.name ?? t('unknownName')}</Link>
                  <div className="muted small">{c.identities.map((i) => i.value).join(', ')}</div>
                </td>
                <td>
                  {channelsOfIdentities(channels, c.identities.map((i) => i.kind)).map((k) => (
                    <ChannelIcon key={k} kind={k} />
                  ))}
                </td>
                <td>{managerName(c.ownerId) ?? t('unassigned')}</td>
                <td>
                  <time dateTime={c.lastActivityAt}>{dateTime(c.lastActivityAt)}</time>
                </td>
                <td>
                  <time dateTime={c.createdAt}>{dateTime(c.createdAt)}</time>
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
