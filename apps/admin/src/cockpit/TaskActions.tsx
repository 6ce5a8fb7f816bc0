import { useState } from 'react';
import { api, TASK_RESULTS, type TaskResult } from '../api';
import { useI18n } from '../i18n';
import { Dialog } from './Dialog';

/** Snooze choices: minutes from now, or "tomorrow" (9:00 local time next day). */
const SNOOZES = ['15', '60', '180', 'tomorrow'] as const;

export function snoozeUntil(choice: (typeof SNOOZES)[number], now = new Date()): Date {
  if (choice === 'tomorrow') {
    const d = new Date(now);
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    return d;
  }
  return new Date(now.getTime() + Number(choice) * 60_000);
}

/**
 * Complete (with what came of the call: reached, no answer, wrong number, call later) or snooze a task.
 * `onDone` runs after the hub accepted the change; a refusal is shown in place.
 */
export function TaskActions({ taskId, contactName, onDone, withReschedule }: { taskId: string; contactName: string; onDone: () => void; withReschedule?: boolean }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const [rescheduling, setRescheduling] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
      setAsking(false);
      setRescheduling(false);
      onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const complete = (result: TaskResult | null) => run(() => api(`/api/tasks/${taskId}/complete`, { body: result ? { result } : {} }));
  const snooze = (until: Date) => run(() => api(`/api/tasks/${taskId}/snooze`, { body: { until: until.toISOString() } }));
  return (
    <span className="task-actions">
      <button type="button" onClick={() => setAsking(true)} data-testid="complete-task">
        ✓ {t('task.complete')}
      </button>
      <label className="snooze">
        <span className="sr-only">{t('task.snooze')}</span>
        <select
          value=""
          aria-label={`${t('task.snooze')}: ${contactName}`}
          data-testid="snooze-task"
          onChange={(e) => {
            const v = e.target.value as (typeof SNOOZES)[number] | 'pick' | '';
            if (v === 'pick') setRescheduling(true);
            else if (v) void snooze(snoozeUntil(v));
          }}
        >
          <option value="">{t('task.snooze')}…</option>
          {SNOOZES.map((s) => (
            <option key={s} value={s}>
              {t(`task.snooze.${s}` as never)}
            </option>
          ))}
          {withReschedule && <option value="pick">{t('task.reschedule')}</option>}
        </select>
      </label>
      {error && (
        <span className="error-text small" role="alert">
          {error}
        </span>
      )}
      {asking && (
        <Dialog title={t('task.resultTitle', { name: contactName })} onClose={() => setAsking(false)} testId="result-dialog">
          <div className="result-choices">
            {TASK_RESULTS.map((r) => (
              <button key={r} type="button" onClick={() => complete(r)}>
                {t(`task.result.${r}` as never)}
              </button>
            ))}
            <button type="button" className="primary" onClick={() => complete(null)}>
              {t('task.completeNoResult')}
            </button>
          </div>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="button" className="link" onClick={() => setAsking(false)}>
            {t('cancel')}
          </button>
        </Dialog>
      )}
      {rescheduling && <RescheduleDialog title={t('task.reschedule')} onSave={snooze} onClose={() => setRescheduling(false)} error={error} />}
    </span>
  );
}

function RescheduleDialog({ title, onSave, onClose, error }: { title: string; onSave: (d: Date) => void; onClose: () => void; error: string | null }) {
  const { t } = useI18n();
  const [value, setValue] = useState(() => localInput(new Date(Date.now() + 3_600_000)));
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          onSave(new Date(value));
        }}
      >
        <label>
          {t('task.due')}
          <input type="datetime-local" required value={value} onChange={(e) => setValue(e.target.value)} />
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

/** A Date as the value of a datetime-local input (local time, minutes). */
export function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
