import { useState, type FormEvent } from 'react';
import { api, type Stage } from '../api';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { ErrorNote } from '../ui';

interface BulkOutcome {
  id: string;
  status: 'done' | 'refused';
  error?: string;
  message?: string;
}
interface BulkResult {
  done: number;
  refused: number;
  results: BulkOutcome[];
}
type ActionType = 'assign' | 'stage' | 'tag';

/**
 * The bar over a list with rows selected: one action for all of them in one request. The hub runs
 * the single action's rules per row and answers each row's outcome; refused rows stay selected and
 * are listed with the reason, so nothing fails silently.
 */
export function BulkBar({
  kind,
  selected,
  labelOf,
  stages = [],
  onDone,
  onClear,
}: {
  kind: 'deals' | 'contacts';
  selected: string[];
  labelOf: (id: string) => string;
  stages?: Stage[];
  onDone: (refusedIds: string[]) => void;
  onClear: () => void;
}) {
  // Rendered by the list at all times: it shows nothing until rows are selected.
  const { t } = useI18n();
  const { user, managers } = useSession();
  const types: ActionType[] = [...(user.role === 'admin' ? (['assign'] as const) : []), ...(kind === 'deals' ? (['stage'] as const) : []), 'tag'];
  const [type, setType] = useState<ActionType>(types[0]);
  const [managerId, setManagerId] = useState('');
  const [stage, setStage] = useState('');
  const [lostReason, setLostReason] = useState('');
  const [tag, setTag] = useState('');
  const [reopen, setReopen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<BulkResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const stageKind = stages.find((s) => s.key === stage)?.kind;

  const ready = type === 'assign' ? !!managerId : type === 'stage' ? !!stage && (stageKind !== 'lost' || !!lostReason.trim()) : !!tag.trim();
  const apply = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready || busy) return;
    const action =
      type === 'assign'
        ? { type, managerId }
        : type === 'stage'
          ? { type, stage, ...(stageKind === 'lost' ? { lostReason: lostReason.trim() } : {}), ...(stageKind === 'open' && reopen ? { reopen: true } : {}) }
          : { type, tag: tag.trim() };
    setBusy(true);
    try {
      const res = await api<BulkResult>(`/api/${kind}/bulk`, { body: { ids: selected, action } });
      setResult(res);
      setError(null);
      onDone(res.results.filter((r) => r.status === 'refused').map((r) => r.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const reason = (r: BulkOutcome) =>
    r.error === 'not_found' ? t('bulk.refusedNotFound') : r.error === 'forbidden' ? t('bulk.refusedForbidden') : r.error === 'conflict' ? t('bulk.refusedConflict') : t('bulk.refusedOther', { message: r.message ?? '' });

  const outcome = result && (
    <div role="status" data-testid="bulk-result">
      {t('bulk.result', { done: result.done, refused: result.refused })}
      {result.refused > 0 && (
        <ul className="small">
          {result.results
            .filter((r) => r.status === 'refused')
            .map((r) => (
              <li key={r.id} data-testid="bulk-refused">
                {labelOf(r.id)} — {reason(r)}
              </li>
            ))}
        </ul>
      )}
    </div>
  );
  // With nothing selected (all done), the last outcome stays in view until the next selection.
  if (selected.length === 0) return outcome ? <div className="card bulk-bar">{outcome}</div> : null;

  return (
    <div className="card stack bulk-bar" data-testid="bulk-bar">
      <form className="row wrap" onSubmit={apply}>
        <strong>{t('bulk.selected', { n: selected.length })}</strong>
        <select value={type} onChange={(e) => setType(e.target.value as ActionType)} aria-label={t('bulk.action')} data-testid="bulk-action">
          {types.map((x) => (
            <option key={x} value={x}>
              {t(`bulk.${x}`)}
            </option>
          ))}
        </select>
        {type === 'assign' && (
          <select value={managerId} onChange={(e) => setManagerId(e.target.value)} aria-label={t('bulk.manager')} data-testid="bulk-manager">
            <option value="">{t('bulk.chooseManager')}</option>
            {managers
              .filter((m) => m.active !== false)
              .map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
          </select>
        )}
        {type === 'stage' && (
          <select value={stage} onChange={(e) => setStage(e.target.value)} aria-label={t('bulk.stage')} data-testid="bulk-stage">
            <option value="">{t('bulk.chooseStage')}</option>
            {stages.map((s) => (
              <option key={s.key} value={s.key}>
                {t(`stage.${s.key}` as never) === `stage.${s.key}` ? s.name : t(`stage.${s.key}` as never)}
              </option>
            ))}
          </select>
        )}
        {type === 'stage' && stageKind === 'lost' && (
          <input value={lostReason} onChange={(e) => setLostReason(e.target.value)} required maxLength={1000} placeholder={t('bulk.lostReason')} aria-label={t('bulk.lostReason')} data-testid="bulk-lost-reason" />
        )}
        {type === 'tag' && <input value={tag} onChange={(e) => setTag(e.target.value)} maxLength={100} placeholder={t('bulk.tag')} aria-label={t('bulk.tag')} data-testid="bulk-tag" />}
        <button type="submit" className="primary" disabled={!ready || busy}>
          {t('bulk.apply')}
        </button>
        <button type="button" onClick={onClear}>
          {t('bulk.clear')}
        </button>
      </form>
      {type === 'stage' && stageKind === 'open' && (
        <label className="check small">
          <input type="checkbox" checked={reopen} onChange={(e) => setReopen(e.target.checked)} data-testid="bulk-reopen" /> {t('bulk.reopen')}
        </label>
      )}
      {error ? <ErrorNote error={error} /> : null}
      {outcome}
    </div>
  );
}
