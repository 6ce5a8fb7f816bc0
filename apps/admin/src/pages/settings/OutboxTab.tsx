import { api, type OutboxRow } from '../../api';
import { useAsync } from '../../hooks';
import { useI18n } from '../../i18n';
import { ErrorNote, Loading } from '../../ui';
import { useAction } from './useAction';

export function OutboxTab() {
  const { t, dateTime } = useI18n();
  const rows = useAsync(() => api<OutboxRow[]>('/api/outbox'), []);
  const [run, error] = useAction(rows.reload);
  if (rows.error) return <ErrorNote error={rows.error} onRetry={rows.reload} />;
  if (!rows.data) return <Loading />;
  if (rows.data.length === 0) return <p className="muted">{t('outbox.empty')}</p>;
  return (
    <>
      {error ? <ErrorNote error={error} /> : null}
      <div className="table-wrap">
        <table className="table" data-testid="outbox">
          <thead>
            <tr>
              <th>{t('outbox.kind')}</th>
              <th>{t('outbox.status')}</th>
              <th>{t('outbox.attempts')}</th>
              <th>{t('outbox.error')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.data.map((r) => (
              <tr key={r.id}>
                <td>
                  <code>{r.kind}</code>
                  <div className="muted small">{dateTime(r.updatedAt)}</div>
                </td>
                <td>{r.status}</td>
                <td>{r.attempts}</td>
                <td className="error-text break">{r.lastError}</td>
                <td>
                  <button type="button" onClick={() => run(() => api(`/api/outbox/${r.id}/retry`, { method: 'POST' }))}>
                    {t('outbox.retry')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
