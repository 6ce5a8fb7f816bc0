import { useState } from 'react';
import { api, type Task } from '../api';
import { dueState } from '../format';
import { useAsync, useLiveEvents } from '../hooks';
import { useI18n } from '../i18n';
import { TaskActions } from '../cockpit/TaskActions';
import { taskTitle } from '../cockpit/taskTitle';
import { Link } from '../router';
import { useSession } from '../session';
import { ErrorNote, Loading } from '../ui';

type Filter = 'mine' | 'overdue' | 'today' | 'all';

export function TasksPage() {
  const { t, dateTime } = useI18n();
  const { user, managerName } = useSession();
  const [filter, setFilter] = useState<Filter>('mine');
  const tasks = useAsync(() => {
    const q = new URLSearchParams({ limit: '200' });
    if (filter === 'mine' || filter === 'today') q.set('mine', 'true');
    if (filter === 'overdue') q.set('overdue', 'true');
    return api<Task[]>(`/api/tasks?${q}`);
  }, [filter]);
  useLiveEvents(tasks.reload);

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
              <li key={task.id} className="task-row" data-testid="task" data-task-id={task.id}>
                <div className="task-main">
                  <span className={`pill due-${state}`}>{t(`tasks.state.${state}`)}</span>
                  <strong className="task-title">{taskTitle(task, task.contactName, t)}</strong>
                  <Link to={`/contacts/${task.contactId}`}>{task.contactName ?? t('unknownName')}</Link>
                  {user.role === 'admin' && task.assigneeId !== user.id && <span className="muted"> · {managerName(task.assigneeId) ?? t('unassigned')}</span>}
                  <time className="muted small" dateTime={task.dueAt}>
                    {dateTime(task.dueAt)}
                  </time>
                </div>
                <div className="lead-actions">
                  <TaskActions taskId={task.id} contactName={task.contactName ?? t('unknownName')} onDone={tasks.reload} withReschedule />
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
