import { useState } from 'react';
import { api, type Task } from '../api';
import { dueState } from '../format';
import { useAsync, useLiveEvents } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { ErrorNote, Loading } from '../ui';

type Filter = 'mine' | 'overdue' | 'today' | 'all';

/** Tomorrow 10:00 local time. */
function tomorrowMorning(now = new Date()): Date {
  const d = new Date(now);
  d.setDate(d.getDate() + 1);
  d.setHours(10, 0, 0, 0);
  return d;
}

export function TasksPage() {
  const { t, dateTime } = useI18n();
  const { user, managerName } = useSession();
  const [filter, setFilter] = useState<Filter>('mine');
  const [error, setError] = useState<unknown>(null);
  const tasks = useAsync(() => {
    const q = new URLSearchParams({ limit: '200' });
    if (filter === 'mine' || filter === 'today') q.set('mine', 'true');
    if (filter === 'overdue') q.set('overdue', 'true');
    return api<Task[]>(`/api/tasks?${q}`);
  }, [filter]);
  useLiveEvents(tasks.reload);

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
    } catch (err) {
      setError(err);
    }
    tasks.reload();
  };
  const complete = (task: Task) => act(() => api(`/api/tasks/${task.id}/complete`, { method: 'POST' }));
  const snooze = (task: Task, until: Date) => act(() => api(`/api/tasks/${task.id}/snooze`, { body: { until: until.toISOString() } }));

  const shown = (tasks.data ?? []).filter((task) => (filter === 'today' ? dueState(task.dueAt) !== 'later' : true));
  const filters: Array<[Filter, string]> = [
    ['mine', t('tasks.mine')],
    ['overdue', t('tasks.overdue')],
    ['today', t('tasks.today')],
    ['all', t('tasks.all')],
  ];

  return (
    <div className="stack">
      <h1>{t('tasks.title')}</h1>
      <div className="tabs" role="tablist" aria-label={t('tasks.title')}>
        {filters.map(([f, label]) => (
          <button key={f} type="button" role="tab" aria-selected={filter === f} className={filter === f ? 'active' : ''} onClick={() => setFilter(f)}>
            {label}
          </button>
        ))}
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {tasks.error ? (
        <ErrorNote error={tasks.error} onRetry={tasks.reload} />
      ) : !tasks.data ? (
        <Loading />
      ) : shown.length === 0 ? (
        <p className="muted">{t('tasks.empty')}</p>
      ) : (
        <ul className="list" data-testid="tasks">
          {shown.map((task) => {
            const state = dueState(task.dueAt);
            return (
              <li key={task.id} className="row wrap" data-testid="task" data-task-id={task.id}>
                <span className={`pill due-${state}`}>{t(`tasks.state.${state}`)}</span>
                <span className="grow">
                  <strong>{task.title}</strong> ·{' '}
                  <Link to={`/contacts/${task.contactId}`}>{task.contactName ?? t('unknownName')}</Link>
                  {user.role === 'admin' && task.assigneeId !== user.id && <span className="muted"> · {managerName(task.assigneeId) ?? t('unassigned')}</span>}
                </span>
                <time dateTime={task.dueAt}>{dateTime(task.dueAt)}</time>
                <button type="button" className="primary" onClick={() => complete(task)}>
                  {t('tasks.complete')}
                </button>
                <select
                  aria-label={t('tasks.snooze')}
                  value=""
                  onChange={(e) => {
                    const v = e.target.value;
                    if (v === '1h') void snooze(task, new Date(Date.now() + 3_600_000));
                    if (v === 'tomorrow') void snooze(task, tomorrowMorning());
                  }}
                >
                  <option value="">{t('tasks.snooze')}…</option>
                  <option value="1h">{t('tasks.snooze1h')}</option>
                  <option value="tomorrow">{t('tasks.snoozeTomorrow')}</option>
                </select>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
