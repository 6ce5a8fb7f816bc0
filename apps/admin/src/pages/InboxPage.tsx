import { useEffect, useState } from 'react';
import { api, ApiError, type Deal, type Page, type Task } from '../api';
import { useAsync, useLiveEvents } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { ChannelIcon, ErrorNote, Loading, Section } from '../ui';

// Catches what no notice announces (a lead assigned to someone else, a notice missed while offline).
const REFRESH_MS = 30_000;

export function InboxPage({ onSeen }: { onSeen: () => void }) {
  const { t, dateTime } = useI18n();
  const { user } = useSession();
  const [message, setMessage] = useState<string | null>(null);
  const queue = useAsync(() => api<Deal[]>('/api/queue'), []);
  const mine = useAsync(() => api<Page<Deal>>(`/api/deals?stage=new&status=open${user.role === 'admin' ? `&ownerId=${user.id}` : ''}&limit=50`), [user.id]);
  const overdue = useAsync(() => api<Task[]>(`/api/tasks?overdue=true${user.role === 'admin' ? '' : '&mine=true'}`), []);

  const reloadAll = () => {
    queue.reload();
    mine.reload();
    overdue.reload();
  };
  useLiveEvents(reloadAll);
  useEffect(() => {
    onSeen();
    const timer = setInterval(reloadAll, REFRESH_MS);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const take = async (deal: Deal) => {
    try {
      await api(`/api/queue/${deal.id}/take`, { method: 'POST' });
      setMessage(null);
    } catch (err) {
      setMessage(err instanceof ApiError && err.status === 409 ? t('inbox.taken') : String(err));
    }
    reloadAll();
  };

  const dealRow = (d: Deal, action?: React.ReactNode) => (
    <li key={d.id} className="row" data-testid="inbox-deal">
      <ChannelIcon kind={d.sourceChannel} />
      <Link to={`/contacts/${d.contactId}`} className="grow">
        {d.contactName ?? t('unknownName')}
      </Link>
      <time className="muted" dateTime={d.createdAt}>
        {dateTime(d.createdAt)}
      </time>
      {action}
    </li>
  );

  return (
    <div className="stack">
      <h1>{t('inbox.title')}</h1>
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      <div className="grid-3">
        <Section title={t('inbox.queue')}>
          {queue.error ? (
            <ErrorNote error={queue.error} onRetry={queue.reload} />
          ) : !queue.data ? (
            <Loading />
          ) : queue.data.length === 0 ? (
            <p className="muted">{t('inbox.empty')}</p>
          ) : (
            <ul className="list" data-testid="queue">
              {queue.data.map((d) =>
                dealRow(
                  d,
                  <button type="button" onClick={() => take(d)}>
                    {t('inbox.take')}
                  </button>,
                ),
              )}
            </ul>
          )}
        </Section>
        <Section title={t('inbox.mine')}>
          {mine.error ? (
            <ErrorNote error={mine.error} onRetry={mine.reload} />
          ) : !mine.data ? (
            <Loading />
          ) : mine.data.items.length === 0 ? (
            <p className="muted">{t('inbox.empty')}</p>
          ) : (
            <ul className="list" data-testid="my-leads">
              {mine.data.items.map((d) => dealRow(d))}
            </ul>
          )}
        </Section>
        <Section title={t('inbox.overdue')}>
          {overdue.error ? (
            <ErrorNote error={overdue.error} onRetry={overdue.reload} />
          ) : !overdue.data ? (
            <Loading />
          ) : overdue.data.length === 0 ? (
            <p className="muted">{t('inbox.empty')}</p>
          ) : (
            <ul className="list" data-testid="overdue">
              {overdue.data.map((task) => (
                <li key={task.id} className="row">
                  <Link to={`/contacts/${task.contactId}`} className="grow">
                    {task.contactName ?? t('unknownName')}
                  </Link>
                  <span>{task.title}</span>
                  <time className="overdue" dateTime={task.dueAt}>
                    {dateTime(task.dueAt)}
                  </time>
                </li>
              ))}
            </ul>
          )}
        </Section>
      </div>
    </div>
  );
}
