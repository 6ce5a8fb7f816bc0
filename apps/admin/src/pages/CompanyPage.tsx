import { useState } from 'react';
import { api, type CompanyDetails, type Page, type TimelineEntry } from '../api';
import { appendPage } from '../format';
import { useAsync } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { ErrorNote, isNotFound, Loading, Section, StageLabel } from '../ui';
import { TimelineItem } from './TimelineItem';

/** A company: its contact persons, their deals and the merged timeline of them all. */
export function CompanyPage({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const { managerName } = useSession();
  const company = useAsync(() => api<CompanyDetails>(`/api/companies/${id}`), [id]);
  if (company.error) return isNotFound(company.error) ? <p className="muted">{t('company.notFound')}</p> : <ErrorNote error={company.error} onRetry={company.reload} />;
  if (!company.data) return <Loading />;
  const c = company.data;
  return (
    <div className="contact-layout">
      <aside className="stack">
        <h1 data-testid="company-name">{c.name}</h1>
        <dl className="kv">
          <dt>{t('companies.domain')}</dt>
          <dd>{c.domain ?? t('none')}</dd>
          <dt>{t('company.legalId')}</dt>
          <dd>{c.legalId ?? t('none')}</dd>
        </dl>
        <Section title={t('companies.contacts')}>
          {c.contacts.length === 0 ? (
            <p className="muted">{t('companies.empty')}</p>
          ) : (
            <ul className="list" data-testid="company-contacts">
              {c.contacts.map((p) => (
                <li key={p.id} className="row wrap">
                  <Link to={`/contacts/${p.id}`} className="grow">
                    {p.name ?? t('unknownName')}
                  </Link>
                  <span className="muted small">{managerName(p.ownerId) ?? t('unassigned')}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title={t('company.deals')}>
          {c.deals.length === 0 ? (
            <p className="muted">{t('companies.empty')}</p>
          ) : (
            <ul className="list" data-testid="company-deals">
              {c.deals.map((d) => (
                <li key={d.id} className="row wrap">
                  <span className="grow">
                    {d.title ?? d.contactName ?? t('unknownName')} <StageLabel stage={d.stage} />
                  </span>
                  <time className="muted small" dateTime={d.createdAt}>
                    {dateTime(d.createdAt)}
                  </time>
                </li>
              ))}
            </ul>
          )}
        </Section>
      </aside>
      <section className="stack timeline-col">
        <h2>{t('contact.timeline')}</h2>
        <CompanyTimeline id={id} />
      </section>
    </div>
  );
}

function CompanyTimeline({ id }: { id: string }) {
  const { t } = useI18n();
  const [extra, setExtra] = useState<{ items: TimelineEntry[]; cursor: string | null } | null>(null);
  const first = useAsync(() => api<Page<TimelineEntry>>(`/api/companies/${id}/timeline?limit=50`), [id]);
  if (first.error) return <ErrorNote error={first.error} onRetry={first.reload} />;
  if (!first.data) return <Loading />;
  const items = extra ? appendPage(first.data.items, extra.items) : first.data.items;
  const cursor = extra ? extra.cursor : first.data.nextCursor;
  const more = async () => {
    const page = await api<Page<TimelineEntry>>(`/api/companies/${id}/timeline?limit=50&cursor=${encodeURIComponent(cursor ?? '')}`);
    setExtra({ items: [...(extra?.items ?? []), ...page.items], cursor: page.nextCursor });
  };
  if (items.length === 0) return <p className="muted">{t('timeline.empty')}</p>;
  return (
    <>
      <ol className="timeline" data-testid="company-timeline">
        {items.map((e) => (
          <TimelineItem key={e.id} entry={e} />
        ))}
      </ol>
      {cursor ? (
        <button type="button" onClick={more}>
          {t('more')}
        </button>
      ) : (
        <p className="muted small">{t('timeline.end')}</p>
      )}
    </>
  );
}
