import { api, type Task } from '../api';
import { dueState } from '../format';
import { useAsync, useLiveEvents } from '../hooks';
import { useI18n } from '../i18n';
import { ErrorNote, Loading, Section } from '../ui';
import { TaskActions } from './TaskActions';
import { taskTitle } from './taskTitle';

/** The contact's open tasks, soonest first, each with done (and its result), snooze and reschedule. */
export function ContactTasks({ contactId, contactName, onChanged }: { contactId: string; contactName: string; onChanged: () => void }) {
  const { t, dateTime } = useI18n();
  const tasks = useAsync(() => api<Task[]>(`/api/tasks?contactId=${contactId}&status=open&limit=50`), [contactId]);
  useLiveEvents(tasks.reload);
  const changed = () => {
    tasks.reload();
    onChanged();
  };
  return (
    <Section title={t('contact.openTasks')}>
      {tasks.error ? (
        <ErrorNote error={tasks.error} onRetry={tasks.reload} />
      ) : !tasks.data ? (
        <Loading />
      ) : tasks.data.length === 0 ? (
        <p className="muted">{t('contact.noOpenTasks')}</p>
      ) : (
        <ul className="list" data-testid="contact-tasks">
          {tasks.data.map((task) => {
            const state = dueState(task.dueAt);
            return (
              <li key={task.id} className="task-row" data-task-id={task.id}>
                <div className="task-main">
                  <strong className="task-title">{taskTitle(task, contactName, t)}</strong>
                  <time className={`small due-${state}`} dateTime={task.dueAt}>
                    {dateTime(task.dueAt)}
                  </time>
                </div>
                <div className="lead-actions">
                  <TaskActions taskId={task.id} contactName={contactName} onDone={changed} withReschedule />
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </Section>
  );
}
