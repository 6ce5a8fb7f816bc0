import { useState, type ReactNode } from 'react';
import { api, type Deal, type LostReason, type Stage } from '../api';
import { isLostStage } from '../format';
import { useAsync } from '../hooks';
import { useI18n } from '../i18n';
import { Dialog } from './Dialog';

type DealRef = Pick<Deal, 'id' | 'stage' | 'stageId' | 'closedAt' | 'contactName'>;
type Pending = { deal: DealRef; stage: Stage; ask: 'lost' | 'reopen' };

/**
 * One way to move a deal to another stage, from the board and the contact page alike: lost asks for a
 * reason (the admin's list or free text), a closed deal reopens only after a confirmation. Returns the
 * `move` function and the dialog to render.
 */
export function useStageChange(onMoved: () => void): { move: (deal: DealRef, stage: Stage) => void; dialog: ReactNode; error: string | null } {
  const [pending, setPending] = useState<Pending | null>(null);
  const [error, setError] = useState<string | null>(null);

  const send = async (deal: DealRef, stage: Stage, extra: { lostReason?: string; reopen?: boolean }) => {
    try {
      const target = stage.id ? { stageId: stage.id } : { stage: stage.key };
      await api(`/api/deals/${deal.id}`, { method: 'PATCH', body: { ...target, ...extra } });
      setError(null);
      setPending(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
    onMoved();
  };

  const move = (deal: DealRef, stage: Stage) => {
    if (deal.stage === stage.key && (!stage.id || !deal.stageId || deal.stageId === stage.id)) return;
    if (isLostStage(stage)) setPending({ deal, stage, ask: 'lost' });
    else if (deal.closedAt && stage.kind === 'open') setPending({ deal, stage, ask: 'reopen' });
    else void send(deal, stage, {});
  };

  const dialog = pending ? (
    pending.ask === 'lost' ? (
      <LostReasonDialog onCancel={() => setPending(null)} onSave={(lostReason) => send(pending.deal, pending.stage, { lostReason })} error={error} />
    ) : (
      <ReopenDialog stage={pending.stage} onCancel={() => setPending(null)} onConfirm={() => send(pending.deal, pending.stage, { reopen: true })} />
    )
  ) : null;
  return { move, dialog, error: pending ? null : error };
}

function LostReasonDialog({ onSave, onCancel, error }: { onSave: (reason: string) => void; onCancel: () => void; error: string | null }) {
  const { t } = useI18n();
  const reasons = useAsync(() => api<LostReason[]>('/api/lost-reasons').catch(() => [] as LostReason[]), []);
  const [choice, setChoice] = useState('');
  const [text, setText] = useState('');
  const reason = (choice === OTHER || !choice ? text : [choice, text.trim()].filter(Boolean).join(': ')).trim();
  return (
    <Dialog title={t('deals.lostTitle')} onClose={onCancel}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason) onSave(reason);
        }}
      >
        {reasons.data && reasons.data.length > 0 && (
          <label>
            {t('deals.lostReason')}
            <select value={choice} onChange={(e) => setChoice(e.target.value)} data-testid="lost-reason-choice">
              <option value="">—</option>
              {reasons.data.map((r) => (
                <option key={r.id} value={r.label}>
                  {r.label}
                </option>
              ))}
              <option value={OTHER}>{t('deals.lostOther')}</option>
            </select>
          </label>
        )}
        <label>
          {reasons.data && reasons.data.length > 0 ? t('deals.lostComment') : t('deals.lostReason')}
          <textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} data-testid="lost-reason" />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="row">
          <button type="submit" className="primary" disabled={!reason}>
            {t('save')}
          </button>
          <button type="button" onClick={onCancel}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const OTHER = '\u0000other';

function ReopenDialog({ stage, onConfirm, onCancel }: { stage: Stage; onConfirm: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const key = `stage.${stage.key}`;
  const name = t(key as never) === key ? stage.name : t(key as never);
  return (
    <Dialog title={t('deals.reopenTitle')} onClose={onCancel} testId="reopen-dialog">
      <p>{t('deals.reopenText', { stage: name })}</p>
      <div className="row">
        <button type="button" className="primary" onClick={onConfirm}>
          {t('deals.reopen')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </Dialog>
  );
}
