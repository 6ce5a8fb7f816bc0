import { useState } from 'react';
import { api, optionalApi, type Pipeline } from '../api';
import { BarChart, ShareChart } from '../Charts';
import { useAsync } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import { inboundChannels, useChannelCatalogue } from '../cockpit/channels';
import { duration, EMPTY_FILTERS, percent, reportUrl, type ReportFilters, type ReportKind } from '../reports';
import { Link, navigate, useRoute } from '../router';
import { useSession } from '../session';
import { ErrorNote, Loading, Section, StageLabel } from '../ui';

const KINDS: ReportKind[] = ['funnel', 'sources', 'managers', 'sla'];

interface Period {
  period: { from: string; to: string };
}
interface FunnelReport extends Period {
  totals: { deals: number; open: number; won: number; lost: number; wonAmount: number; conversion: number | null };
  steps: Array<{ stage: string; deals: number; reached: number; conversionFromPrevious: number | null; conversionFromFirst: number | null; lostHere: number }>;
}
interface SourceRow {
  leads: number;
  won: number;
  lost: number;
  conversion: number | null;
  revenue: number;
}
interface SourcesReport extends Period {
  totals: SourceRow;
  byChannel: Array<SourceRow & { channel: string }>;
  byUtm: Array<SourceRow & { utmSource: string | null; utmCampaign: string | null }>;
}
interface ManagersReport extends Period {
  slaMinutes: number;
  managers: Array<{
    managerId: string;
    name: string;
    leadsAssigned: number;
    callsMade: number;
    callsAnswered: number;
    callsMissed: number;
    avgFirstResponseSeconds: number | null;
    p90FirstResponseSeconds: number | null;
    calledBackWithinSlaShare: number | null;
    won: number;
    lost: number;
    openTasks: number;
    overdueTasks: number;
  }>;
}
interface SlaReport extends Period {
  slaMinutes: number;
  totals: { leads: number; answered: number; answeredWithinSla: number; share: number | null; neverAnswered: number };
  days: Array<{ date: string; leads: number; answered: number; answeredWithinSla: number; share: number | null }>;
  neverAnswered: Array<{ dealId: string; contactId: string; contactName: string | null; ownerName: string | null; sourceChannel: string; createdAt: string }>;
}

export function ReportsPage() {
  const { t, lang } = useI18n();
  const channels = useChannelCatalogue();
  const { user, managers } = useSession();
  const { path } = useRoute();
  const kind = (KINDS.find((k) => path === `/reports/${k}`) ?? 'funnel') as ReportKind;
  const [filters, setFilters] = useState<ReportFilters>(EMPTY_FILTERS);
  const set = (k: keyof ReportFilters) => (e: { target: { value: string } }) => setFilters((f) => ({ ...f, [k]: e.target.value }));
  const pipelines = useAsync(() => optionalApi<Pipeline[]>('/api/pipelines'), []);

  return (
    <div className="stack">
      <h1>{t('reports.title')}</h1>
      <div className="tabs" role="tablist">
        {KINDS.map((k) => (
          <button key={k} type="button" role="tab" aria-selected={kind === k} className={kind === k ? 'active' : ''} onClick={() => navigate(`/reports/${k}`)}>
            {t(`reports.${k}` as MessageKey)}
          </button>
        ))}
      </div>
      <div className="report-filters" data-testid="report-filters">
        <label>
          {t('reports.from')}
          <input type="date" value={filters.from} onChange={set('from')} />
        </label>
        <label>
          {t('reports.to')}
          <input type="date" value={filters.to} onChange={set('to')} />
        </label>
        {user.role === 'admin' && (
          <label>
            {t('reports.owner')}
            <select value={filters.ownerId} onChange={set('ownerId')}>
              <option value="">{t('reports.everyone')}</option>
              {managers.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {t('reports.channel')}
          <select value={filters.channel} onChange={set('channel')}>
            <option value="">{t('reports.allChannels')}</option>
            {inboundChannels(channels.list).map((c) => (
              <option key={c} value={c}>
                {channels.label(c)}
              </option>
            ))}
          </select>
        </label>
        {kind === 'funnel' && pipelines.data && pipelines.data.length > 0 && (
          <label>
            {t('reports.pipeline')}
            <select value={filters.pipelineId} onChange={set('pipelineId')}>
              <option value="">{t('reports.defaultPipeline')}</option>
              {pipelines.data.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <a className="button-link" href={reportUrl(kind, filters, true, lang)} download data-testid="report-csv">
          {t('reports.csv')}
        </a>
      </div>
      {/* Keyed by the URL: a new report never renders with the previous one's data. */}
      <Report key={reportUrl(kind, filters)} kind={kind} filters={filters} pipelines={pipelines.data ?? null} />
    </div>
  );
}

function Report({ kind, filters, pipelines }: { kind: ReportKind; filters: ReportFilters; pipelines: Pipeline[] | null }) {
  const url = reportUrl(kind, filters);
  const report = useAsync(() => api<unknown>(url), [url]);
  if (report.error) return <ErrorNote error={report.error} onRetry={report.reload} />;
  if (!report.data || report.loading) return <Loading />;
  if (kind === 'funnel') return <Funnel r={report.data as FunnelReport} pipelines={pipelines} pipelineId={filters.pipelineId} />;
  if (kind === 'sources') return <Sources r={report.data as SourcesReport} />;
  if (kind === 'managers') return <Managers r={report.data as ManagersReport} />;
  return <Sla r={report.data as SlaReport} />;
}

function PeriodNote({ r }: { r: Period }) {
  const { t } = useI18n();
  return <p className="muted small">{t('reports.period', { from: r.period.from, to: r.period.to })}</p>;
}

function Funnel({ r, pipelines, pipelineId }: { r: FunnelReport; pipelines: Pipeline[] | null; pipelineId: string }) {
  const { t } = useI18n();
  const pipeline = pipelines?.find((p) => p.id === pipelineId) ?? pipelines?.find((p) => p.isDefault);
  const stageName = (key: string) => pipeline?.stages.find((s) => s.key === key)?.name;
  const label = (key: string) => {
    const k = `stage.${key}` as MessageKey;
    const tr = t(k);
    return tr !== k ? tr : (stageName(key) ?? key);
  };
  return (
    <Section title={t('reports.funnel')}>
      <PeriodNote r={r} />
      <dl className="totals">
        <Total label={t('reports.deals')} value={r.totals.deals} />
        <Total label={t('reports.open')} value={r.totals.open} />
        <Total label={t('reports.won')} value={r.totals.won} />
        <Total label={t('reports.lost')} value={r.totals.lost} />
        <Total label={t('reports.conversion')} value={percent(r.totals.conversion)} />
      </dl>
      <BarChart
        label={t('reports.funnel')}
        testId="funnel-chart"
        rows={r.steps.map((s) => ({ key: s.stage, label: label(s.stage), value: s.reached, note: percent(s.conversionFromFirst) }))}
      />
      <div className="table-wrap">
        <table className="table" data-testid="funnel">
          <thead>
            <tr>
              <th>{t('reports.stage')}</th>
              <th>{t('reports.reached')}</th>
              <th>{t('reports.now')}</th>
              <th>{t('reports.fromPrevious')}</th>
              <th>{t('reports.fromFirst')}</th>
              <th>{t('reports.lostHere')}</th>
            </tr>
          </thead>
          <tbody>
            {r.steps.map((s) => (
              <tr key={s.stage}>
                <td>
                  <StageLabel stage={s.stage} name={stageName(s.stage)} />
                </td>
                <td>{s.reached}</td>
                <td>{s.deals}</td>
                <td>{percent(s.conversionFromPrevious)}</td>
                <td>{percent(s.conversionFromFirst)}</td>
                <td>{s.lostHere}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

function Total({ label, value }: { label: string; value: string | number }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function SourceTable({ rows, first, testId }: { rows: Array<SourceRow & { key: string; name: string }>; first: string; testId: string }) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            <th>{first}</th>
            <th>{t('reports.leads')}</th>
            <th>{t('reports.won')}</th>
            <th>{t('reports.lost')}</th>
            <th>{t('reports.conversion')}</th>
            <th>{t('reports.revenue')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.key}>
              <td className="break">{s.name}</td>
              <td>{s.leads}</td>
              <td>{s.won}</td>
              <td>{s.lost}</td>
              <td>{percent(s.conversion)}</td>
              <td>{s.revenue}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Sources({ r }: { r: SourcesReport }) {
  const { t } = useI18n();
  const catalogue = useChannelCatalogue();
  const channels = r.byChannel.map((c) => ({ ...c, key: c.channel, name: catalogue.label(c.channel) }));
  const utm = r.byUtm.map((u, i) => ({ ...u, key: `${i}:${u.utmSource}:${u.utmCampaign}`, name: `${u.utmSource ?? t('none')} / ${u.utmCampaign ?? t('none')}` }));
  return (
    <>
      <Section title={t('reports.byChannel')}>
        <PeriodNote r={r} />
        <BarChart label={t('reports.byChannel')} rows={channels.map((c) => ({ key: c.key, label: c.name, value: c.leads }))} />
        <SourceTable rows={channels} first={t('reports.channel')} testId="sources-channel" />
      </Section>
      <Section title={t('reports.byUtm')}>
        {utm.length === 0 ? (
          <p className="muted">{t('reports.empty')}</p>
        ) : (
          <>
            <BarChart label={t('reports.byUtm')} rows={utm.map((u) => ({ key: u.key, label: u.name, value: u.leads }))} />
            <SourceTable rows={utm} first={t('reports.utm')} testId="sources-utm" />
          </>
        )}
      </Section>
    </>
  );
}

function Managers({ r }: { r: ManagersReport }) {
  const { t } = useI18n();
  return (
    <Section title={t('reports.managers')}>
      <PeriodNote r={r} />
      <p className="muted small">{t('reports.slaMinutes', { n: r.slaMinutes })}</p>
      {r.managers.length === 0 ? (
        <p className="muted">{t('reports.empty')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="managers-report">
            <thead>
              <tr>
                <th>{t('reports.manager')}</th>
                <th>{t('reports.leads')}</th>
                <th>{t('reports.callsMade')}</th>
                <th>{t('reports.callsAnswered')}</th>
                <th>{t('reports.callsMissed')}</th>
                <th>{t('reports.avgResponse')}</th>
                <th>{t('reports.p90Response')}</th>
                <th>{t('reports.withinSla')}</th>
                <th>{t('reports.won')}</th>
                <th>{t('reports.lost')}</th>
                <th>{t('reports.openTasks')}</th>
                <th>{t('reports.overdueTasks')}</th>
              </tr>
            </thead>
            <tbody>
              {r.managers.map((m) => (
                <tr key={m.managerId}>
                  <td>{m.name}</td>
                  <td>{m.leadsAssigned}</td>
                  <td>{m.callsMade}</td>
                  <td>{m.callsAnswered}</td>
                  <td>{m.callsMissed}</td>
                  <td>{duration(m.avgFirstResponseSeconds)}</td>
                  <td>{duration(m.p90FirstResponseSeconds)}</td>
                  <td>{percent(m.calledBackWithinSlaShare)}</td>
                  <td>{m.won}</td>
                  <td>{m.lost}</td>
                  <td>{m.openTasks}</td>
                  <td className={m.overdueTasks > 0 ? 'overdue' : undefined}>{m.overdueTasks}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function Sla({ r }: { r: SlaReport }) {
  const { t, dateTime } = useI18n();
  return (
    <>
      <Section title={t('reports.sla')}>
        <PeriodNote r={r} />
        <dl className="totals">
          <Total label={t('reports.leads')} value={r.totals.leads} />
          <Total label={t('reports.answered')} value={r.totals.answered} />
          <Total label={t('reports.withinSla')} value={`${percent(r.totals.share)} (${t('reports.slaMinutes', { n: r.slaMinutes })})`} />
          <Total label={t('reports.neverAnswered')} value={r.totals.neverAnswered} />
        </dl>
        <ShareChart label={t('reports.sla')} days={r.days} testId="sla-chart" />
      </Section>
      <Section title={t('reports.neverAnswered')}>
        {r.neverAnswered.length === 0 ? (
          <p className="muted">{t('reports.empty')}</p>
        ) : (
          <ul className="list" data-testid="never-answered">
            {r.neverAnswered.map((l) => (
              <li key={l.dealId} className="row wrap">
                <Link to={`/contacts/${l.contactId}`} className="grow">
                  {l.contactName ?? t('unknownName')}
                </Link>
                <span className="muted small">{l.ownerName ?? t('unassigned')}</span>
                <time className="muted small" dateTime={l.createdAt}>
                  {dateTime(l.createdAt)}
                </time>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
