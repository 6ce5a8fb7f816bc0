import { useEffect, useState, type FormEvent } from 'react';
import { api, type AuditEntry } from '../api';
import { auditDiff, showValue } from '../auditDiff';
import { useI18n } from '../i18n';
import { ErrorNote, Loading } from '../ui';

export type { AuditEntry };

interface Filters {
  action: string;
  search: string;
  from: string;
  to: string;
}

function queryOf(f: Filters, cursor: string | null): string {
  const q = new URLSearchParams({ limit: '50' });
  if (f.action) q.set('action', f.action);
  if (f.search.trim()) q.set('search', f.search.trim());
  // Local days, inclusive: from the start of `from` to the end of `to`.
  if (f.from) q.set('from', new Date(`${f.from}T00:00:00`).toISOString());
  if (f.to) q.set('to', new Date(new Date(`${f.to}T00:00:00`).getTime() + 86_400_000).toISOString());
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

/** Settings → Audit log: who did what in the admin, newest first, with what changed. */
export function AuditLogTab() {
  const { t, dateTime } = useI18n();
  const [actions, setActions] = useState<string[]>([]);
  const [draft, setDraft] = useState<Filters>({ action: '', search: '', from: '', to: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);

  useEffect(() => {
    api<string[]>('/api/audit/actions').then(setActions, () => setActions([]));
  }, []);

  const load = async (f: Filters, cursor: string | null) => {
    try {
      const page = await api<{ items: AuditEntry[]; nextCursor: string | null }>(`/api/audit?${queryOf(f, cursor)}`);
      setItems((shown) => (cursor && shown ? [...shown, ...page.items] : page.items));
      setNext(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setItems(null);
    void load(filters, null);
  }, [filters]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft });
  };

  return (
    <div className="stack" data-testid="audit-log">
      <form className="row wrap" onSubmit={apply} aria-label={t('audit.filters')}>
        <label>
          {t('audit.action')}{' '}
          <select value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} data-testid="audit-action">
            <option value="">{t('audit.allActions')}</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('audit.search')} <input type="search" value={draft.search} maxLength={200} onChange={(e) => setDraft({ ...draft, search: e.target.value })} data-testid="audit-search" />
        </label>
        <label>
          {t('audit.from')} <input type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          {t('audit.to')} <input type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <button type="submit">{t('audit.apply')}</button>
      </form>
      {error ? <ErrorNote error={error} onRetry={() => void load(filters, null)} /> : null}
      {!items ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="muted">{t('audit.empty')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="audit-entries">
            <thead>
              <tr>
                <th>{t('audit.when')}</th>
                <th>{t('audit.who')}</th>
                <th>{t('audit.action')}</th>
                <th>{t('audit.what')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <AuditRow key={e.id} entry={e} open={open === e.id} onToggle={() => setOpen(open === e.id ? null : e.id)} when={dateTime(e.at)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <button type="button" onClick={() => void load(filters, next)} data-testid="audit-more">
          {t('audit.more')}
        </button>
      )}
    </div>
  );
}

function AuditRow({ entry, open, onToggle, when }: { entry: AuditEntry; open: boolean; onToggle: () => void; when: string }) {
  const { t } = useI18n();
  const changes = auditDiff(entry.before, entry.after);
  return (
    <>
      <tr>
        <td>{when}</td>
        <td title={entry.actor.email ?? undefined}>{entry.actor.name ?? t('audit.system')}</td>
        <td>
          <code>{entry.action}</code>
        </td>
        <td>{entry.summary ?? entry.entityId ?? ''}</td>
        <td>
          <button type="button" className="link" aria-expanded={open} onClick={onToggle}>
            {open ? t('audit.hide') : t('audit.details')}
          </button>
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={5}>
            {changes.length > 0 ? (
              <table className="table" data-testid="audit-changes">
                <thead>
                  <tr>
                    <th>{t('audit.field')}</th>
                    <th>{t('audit.before')}</th>
                    <th>{t('audit.after')}</th>
                  </tr>
                </thead>
                <tbody>
                  {changes.map((c) => (
                    <tr key={c.field}>
                      <td>{c.field}</td>
                      <td>{showValue(c.before)}</td>
                      <td>{showValue(c.after)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="muted">{t('audit.noChanges')}</p>
            )}
            <p className="muted">
              {entry.request ? `${entry.request.method} ${entry.request.path}` : ''} {entry.ip ? `· ${entry.ip}` : ''}
            </p>
            {Object.keys(entry.details).length > 0 && <pre className="audit-details">{JSON.stringify(entry.details, null, 2)}</pre>}
          </td>
        </tr>
      )}
    </>
  );
}
