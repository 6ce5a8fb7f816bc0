import { useMemo, useState, type DragEvent } from 'react';
import { api, optionalApi, type Deal, type Page, type Pipeline, type Stage } from '../api';
import { BulkBar } from '../cockpit/BulkBar';
import { useChannelCatalogue } from '../cockpit/channels';
import { formatMoney, sumByCurrency } from '../cockpit/money';
import { useStageChange } from '../cockpit/stageChange';
import { boardStages } from '../format';
import { useAsync, useLiveEvents } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { ChannelIcon, ErrorNote, Loading, StageLabel } from '../ui';

/** Won and lost deals closed longer ago than this are folded away under their column. */
const CLOSED_FOLD_DAYS = 30;
const PERIODS = ['', '7', '30', '90', '365'] as const;

export function DealsPage() {
  const { t, lang } = useI18n();
  const channels = useChannelCatalogue();
  const { user, managers, managerName } = useSession();
  const [owner, setOwner] = useState('');
  const [source, setSource] = useState('');
  const [period, setPeriod] = useState<(typeof PERIODS)[number]>('');
  const [search, setSearch] = useState('');
  const [unfolded, setUnfolded] = useState<Record<string, boolean>>({});
  const [selected, setSelected] = useState<string[]>([]);
  const pipelines = useAsync(() => optionalApi<Pipeline[]>('/api/pipelines'), []);
  const deals = useAsync(() => api<Page<Deal>>(`/api/deals?limit=500${owner ? `&ownerId=${owner}` : ''}`), [owner]);
  useLiveEvents(deals.reload);
  const { move, dialog, error } = useStageChange(deals.reload);
  const [pipelineId, setPipelineId] = useState('');
  const pipeline = pipelines.data?.find((p) => p.id === pipelineId) ?? pipelines.data?.find((p) => p.isDefault) ?? pipelines.data?.[0];
  const stages = boardStages(pipelines.data ?? null, pipeline?.id);

  const sources = useMemo(() => [...new Set((deals.data?.items ?? []).map((d) => d.sourceChannel))].sort(), [deals.data]);
  const since = period ? Date.now() - Number(period) * 86_400_000 : 0;
  const needle = search.trim().toLowerCase();
  const shown = (deals.data?.items ?? []).filter(
    (d) =>
      (!source || d.sourceChannel === source) &&
      (!pipeline || !d.pipelineId || d.pipelineId === pipeline.id) &&
      (!since || new Date(d.createdAt).getTime() >= since) &&
      (!needle || (d.contactName ?? '').toLowerCase().includes(needle) || (d.title ?? '').toLowerCase().includes(needle)),
  );
  const foldBefore = Date.now() - CLOSED_FOLD_DAYS * 86_400_000;

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
        <input type="search" className="grow" placeholder={t('deals.search')} aria-label={t('deals.search')} value={search} onChange={(e) => setSearch(e.target.value)} data-testid="deal-search" />
        <select value={period} onChange={(e) => setPeriod(e.target.value as (typeof PERIODS)[number])} aria-label={t('deals.period')}>
          {PERIODS.map((p) => (
            <option key={p} value={p}>
              {p ? t('deals.lastDays', { n: p }) : t('deals.anyTime')}
            </option>
          ))}
        </select>
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
              {channels.label(s)}
            </option>
          ))}
        </select>
      </div>
      {error ? <ErrorNote error={error} /> : null}
      <BulkBar
        kind="deals"
        selected={selected}
        stages={stages}
        labelOf={(id) => deals.data?.items.find((d) => d.id === id)?.contactName ?? t('unknownName')}
        onDone={(refused) => {
          setSelected(refused);
          deals.reload();
        }}
        onClear={() => setSelected([])}
      />
      {deals.error ? (
        <ErrorNote error={deals.error} onRetry={deals.reload} />
      ) : !deals.data ? (
        <Loading />
      ) : (
        <div className="board" data-testid="board">
          {stages.map((stage) => {
            const all = shown.filter((d) => (d.stageId && stage.id ? d.stageId === stage.id : d.stage === stage.key));
            const folded = unfolded[stage.key] ? [] : all.filter((d) => d.closedAt && new Date(d.closedAt).getTime() < foldBefore);
            const column = all.filter((d) => !folded.includes(d));
            const sums = sumByCurrency(all);
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
                  <StageLabel stage={stage.key} name={stage.name} /> <span className="muted">{all.length}</span>
                </h2>
                {sums.length > 0 && (
                  <div className="stage-sum small" data-testid="stage-sum">
                    {sums.map(([cur, n]) => formatMoney(n, cur || null, lang)).join(' + ')}
                  </div>
                )}
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
                      <label className="deal-select">
                        <input
                          type="checkbox"
                          aria-label={t('bulk.select', { name: d.contactName ?? t('unknownName') })}
                          checked={selected.includes(d.id)}
                          onChange={() => setSelected((s) => (s.includes(d.id) ? s.filter((x) => x !== d.id) : [...s, d.id]))}
                        />
                      </label>
                      <ChannelIcon kind={d.sourceChannel} />
                      <Link to={`/contacts/${d.contactId}`} className="grow">
                        {d.contactName ?? t('unknownName')}
                      </Link>
                    </div>
                    {d.title && <div className="small">{d.title}</div>}
                    {d.amount !== null && (
                      <div className="small amount" data-testid="deal-amount">
                        {formatMoney(d.amount, d.currency ?? null, lang)}
                      </div>
                    )}
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
                {folded.length > 0 && (
                  <button type="button" className="small" onClick={() => setUnfolded({ ...unfolded, [stage.key]: true })} data-testid="unfold">
                    {t('deals.olderClosed', { n: folded.length, days: CLOSED_FOLD_DAYS })}
                  </button>
                )}
              </section>
            );
          })}
        </div>
      )}
      {dialog}
    </div>
  );
}
