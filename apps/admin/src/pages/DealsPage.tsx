import { useMemo, useState, type DragEvent, type FormEvent } from 'react';
import { api, optionalApi, type Deal, type Page, type Pipeline, type Stage } from '../api';
import { boardStages, isLostStage } from '../format';
import { useAsync, useLiveEvents } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { ChannelIcon, ErrorNote, Loading, StageLabel } from '../ui';

export function DealsPage() {
  const { t } = useI18n();
  const { user, managers, managerName } = useSession();
  const [owner, setOwner] = useState('');
  const [source, setSource] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [askLost, setAskLost] = useState<{ deal: Deal; stage: Stage } | null>(null);
  const pipelines = useAsync(() => optionalApi<Pipeline[]>('/api/pipelines'), []);
  const deals = useAsync(() => api<Page<Deal>>(`/api/deals?limit=500${owner ? `&ownerId=${owner}` : ''}`), [owner]);
  useLiveEvents(deals.reload);
  const [pipelineId, setPipelineId] = useState('');
  const pipeline = pipelines.data?.find((p) => p.id === pipelineId) ?? pipelines.data?.find((p) => p.isDefault) ?? pipelines.data?.[0];
  const stages = boardStages(pipelines.data ?? null, pipeline?.id);

  const sources = useMemo(() => [...new Set((deals.data?.items ?? []).map((d) => d.sourceChannel))].sort(), [deals.data]);
  const shown = (deals.data?.items ?? []).filter((d) => (!source || d.sourceChannel === source) && (!pipeline || !d.pipelineId || d.pipelineId === pipeline.id));

  const move = async (deal: Deal, stage: Stage, lostReason?: string) => {
    if (deal.stage === stage.key && (!stage.id || !deal.stageId || deal.stageId === stage.id)) return;
    if (isLostStage(stage) && !lostReason) {
      setAskLost({ deal, stage });
      return;
    }
    try {
      const target = stage.id ? { stageId: stage.id } : { stage: stage.key };
      await api(`/api/deals/${deal.id}`, { method: 'PATCH', body: { ...target, ...(lostReason ? { lostReason } : {}) } });
      setError(null);
    } catch (err) {
      setError(err);
    }
    deals.reload();
  };

  const onDrop = (e: DragEvent, stage: Stage) => {
    e.preventDefault();
    const id = e.dataTransfer.getData('text/plain');
    const deal = shown.find((d) => d.id === id);
    if (deal) void move(deal, stage);
  };

  return (
    <div className="stack">
      <h1>{t('deals.title')}</h1>
      <div className="filters">
        {pipelines.data && pipelines.data.length > 1 && (
          <select value={pipeline?.id ?? ''} onChange={(e) => setPipelineId(e.target.value)} aria-label={t('deals.pipeline')}>
            {pipelines.data.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        )}
        {user.role === 'admin' && (
          <select value={owner} onChange={(e) => setOwner(e.target.value)} aria-label={t('deals.owner')}>
            <option value="">{t('deals.allOwners')}</option>
            {managers.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        )}
        <select value={source} onChange={(e) => setSource(e.target.value)} aria-label={t('deals.source')}>
          <option value="">{t('deals.allSources')}</option>
          {sources.map((s) => (
            <option key={s} value={s}>
              {t(`channel.${s}` as never) === `channel.${s}` ? s : t(`channel.${s}` as never)}
            </option>
          ))}
        </select>
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {deals.error ? (
        <ErrorNote error={deals.error} onRetry={deals.reload} />
      ) : !deals.data ? (
        <Loading />
      ) : (
        <div className="board" data-testid="board">
          {stages.map((stage) => {
            const column = shown.filter((d) => (d.stageId && stage.id ? d.stageId === stage.id : d.stage === stage.key));
            return (
              <section
                key={stage.key}
                className="column"
                data-testid={`column-${stage.key}`}
                onDragOver={(e) => e.preventDefault()}
                onDrop={(e) => onDrop(e, stage)}
                aria-label={stage.name}
              >
                <h2>
                  <StageLabel stage={stage.key} name={stage.name} /> <span className="muted">{column.length}</span>
                </h2>
                {column.map((d) => (
                  <article
                    key={d.id}
                    className="deal"
                    draggable
                    data-testid="deal-card"
                    data-deal-id={d.id}
                    onDragStart={(e) => {
                      e.dataTransfer.setData('text/plain', d.id);
                      e.dataTransfer.effectAllowed = 'move';
                    }}
                  >
                    <div className="row">
                      <ChannelIcon kind={d.sourceChannel} />
                      <Link to={`/contacts/${d.contactId}`} className="grow">
                        {d.contactName ?? t('unknownName')}
                      </Link>
                    </div>
                    {d.title && <div className="small">{d.title}</div>}
                    <div className="small muted">{managerName(d.ownerId) ?? t('unassigned')}</div>
                    {d.lostReason && <div className="small muted">{t('timeline.reason', { reason: d.lostReason })}</div>}
                    <select
                      className="small"
                      aria-label={t('deals.move')}
                      value=""
                      onChange={(e) => {
                        const target = stages.find((s) => s.key === e.target.value);
                        if (target) void move(d, target);
                      }}
                    >
                      <option value="">{t('deals.move')}</option>
                      {stages
                        .filter((s) => s.key !== d.stage)
                        .map((s) => (
                          <option key={s.key} value={s.key}>
                            {t(`stage.${s.key}` as never) === `stage.${s.key}` ? s.name : t(`stage.${s.key}` as never)}
                          </option>
                        ))}
                    </select>
                  </article>
                ))}
              </section>
            );
          })}
        </div>
      )}
      {askLost && (
        <LostReasonDialog
          onCancel={() => setAskLost(null)}
          onSubmit={(reason) => {
            const { deal, stage } = askLost;
            setAskLost(null);
            void move(deal, stage, reason);
          }}
        />
      )}
    </div>
  );
}

function LostReasonDialog({ onSubmit, onCancel }: { onSubmit: (reason: string) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) onSubmit(reason.trim());
  };
  return (
    <div className="modal-backdrop" onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <form className="card modal" role="dialog" aria-modal="true" aria-labelledby="lost-title" onSubmit={submit}>
        <h2 id="lost-title">{t('deals.lostReason')}</h2>
        <textarea autoFocus rows={3} value={reason} onChange={(e) => setReason(e.target.value)} aria-labelledby="lost-title" data-testid="lost-reason" />
        <div className="row">
          <button type="submit" className="primary" disabled={!reason.trim()}>
            {t('save')}
          </button>
          <button type="button" onClick={onCancel}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </div>
  );
}
