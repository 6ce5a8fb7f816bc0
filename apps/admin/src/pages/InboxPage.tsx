import { useState, type ReactNode } from 'react';
import { api, ApiError, type InboxItem } from '../api';
import { CallAction } from '../cockpit/CallAction';
import { useChannelCatalogue } from '../cockpit/channels';
import { formatCountdown } from '../cockpit/countdown';
import { useInbox } from '../cockpit/inboxStore';
import { TaskActions } from '../cockpit/TaskActions';
import { taskTitle } from '../cockpit/taskTitle';
import { useNow } from '../cockpit/useNow';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { ChannelIcon, ErrorNote, Loading, Section } from '../ui';

const FIRST_ROWS = 8;

/**
 * The callback cockpit: every lead that waits for someone, with what a manager needs to act on it
 * (who, how to reach them, what they wrote, how long is left) and the actions themselves.
 */
export function InboxPage() {
  const { t } = useI18n();
  const { user } = useSession();
  const inbox = useInbox();
  const [message, setMessage] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<Record<string, boolean>>({});

  const take = async (item: InboxItem) => {
    try {
      await api(`/api/queue/${item.dealId}/take`, { method: 'POST' });
      setMessage(null);
    } catch (err) {
      setMessage(err instanceof ApiError && err.status === 409 ? t('inbox.taken') : err instanceof Error ? err.message : String(err));
    }
    inbox.reload();
  };

  if (inbox.error && !inbox.data) return <ErrorNote error={inbox.error} onRetry={inbox.reload} />;
  if (!inbox.data) return <Loading />;
  const { queue, mine, overdue } = inbox.data;
  const admin = user.role === 'admin';

  // The first rows of each list, the rest on request: a long queue must not slow the first screen on a phone.
  const list = (items: InboxItem[], testId: string, render: (i: InboxItem) => ReactNode) =>
    items.length === 0 ? (
      <p className="muted">{t('inbox.empty')}</p>
    ) : (
      <>
        <ul className="list cockpit" data-testid={testId}>
          {(expanded[testId] ? items : items.slice(0, FIRST_ROWS)).map(render)}
        </ul>
        {!expanded[testId] && items.length > FIRST_ROWS && (
          <button type="button" className="show-all" onClick={() => setExpanded({ ...expanded, [testId]: true })}>
            {t('inbox.showAll', { n: items.length })}
          </button>
        )}
      </>
    );

  return (
    <div className="stack">
      <h1>{t('inbox.title')}</h1>
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      <div className="grid-3">
        <Section title={`${t('inbox.queue')} · ${queue.length}`}>
          {list(queue, 'queue', (i) => (
            <LeadRow key={i.dealId} item={i} showOwner={false} onChanged={inbox.reload} skewMs={inbox.skewMs}>
              <button type="button" className="primary" onClick={() => take(i)}>
                {t('inbox.take')}
              </button>
            </LeadRow>
          ))}
        </Section>
        <Section title={`${t('inbox.mine')} · ${mine.length}`}>
          {list(mine, 'my-leads', (i) => (
            <LeadRow key={i.dealId} item={i} showOwner={false} onChanged={inbox.reload} skewMs={inbox.skewMs} withTaskActions />
          ))}
        </Section>
        <Section title={`${t('inbox.overdue')} · ${overdue.length}`}>
          {list(overdue, 'overdue', (i) => (
            <LeadRow key={i.task?.id ?? i.dealId} item={i} showOwner={admin} late onChanged={inbox.reload} skewMs={inbox.skewMs} withTaskActions={!admin || i.task?.assigneeId === user.id || !i.task?.assigneeId} />
          ))}
        </Section>
      </div>
    </div>
  );
}

function LeadRow({
  item,
  showOwner,
  late,
  withTaskActions,
  onChanged,
  skewMs,
  children,
}: {
  item: InboxItem;
  showOwner: boolean;
  late?: boolean;
  withTaskActions?: boolean;
  onChanged: () => void;
  skewMs: number;
  children?: ReactNode;
}) {
  const { t } = useI18n();
  const channels = useChannelCatalogue();
  const name = item.contactName ?? t('unknownName');
  const responsible = late ? (item.task?.assigneeName ?? null) : item.ownerName;
  return (
    <li className="lead-card" data-testid="inbox-deal" data-deal-id={item.dealId}>
      <div className="lead-head">
        <ChannelIcon kind={item.sourceChannel} />
        <Link to={`/contacts/${item.contactId}`} className="lead-name">
          {name}
        </Link>
        {item.task && <Countdown dueAt={item.task.dueAt} skewMs={skewMs} />}
      </div>
      {item.task && late && <div className="small">{taskTitle(item.task, item.contactName, t)}</div>}
      <div className="lead-meta small">
        {item.phoneDisplay && (
          <a href={`tel:${item.phone}`} className="phone" data-testid="lead-phone">
            {item.phoneDisplay}
          </a>
        )}
        {!item.phoneDisplay && item.email && <span className="break">{item.email}</span>}
        <span className="muted">
          {channels.label(item.sourceChannel)}
          {item.source ? ` · ${item.source}` : ''}
        </span>
      </div>
      {item.excerpt && (
        <p className="lead-excerpt" data-testid="lead-excerpt">
          {item.excerpt}
        </p>
      )}
      {showOwner && (
        <div className="small" data-testid="lead-owner">
          {late ? t('inbox.lateManager', { name: responsible ?? t('unassigned') }) : t('inbox.owner', { name: responsible ?? t('unassigned') })}
        </div>
      )}
      <div className="lead-actions">
        {item.phone && <CallAction contactId={item.contactId} phone={item.phone} onStarted={onChanged} className={children ? '' : 'primary'} />}
        {children}
        {withTaskActions && item.task && <TaskActions taskId={item.task.id} contactName={name} onDone={onChanged} />}
      </div>
    </li>
  );
}

/** Time left to the callback due time, ticking every second, red once it has passed. */
function Countdown({ dueAt, skewMs }: { dueAt: string; skewMs: number }) {
  const { t } = useI18n();
  const now = useNow(1000) + skewMs;
  const { text, overdue } = formatCountdown(new Date(dueAt).getTime() - now, { day: t('unit.day'), hour: t('unit.hour'), minute: t('unit.minute') });
  return (
    <time dateTime={dueAt} className={`countdown ${overdue ? 'late' : ''}`} data-testid="countdown" data-overdue={overdue ? 'true' : 'false'}>
      {overdue ? t('inbox.overdueBy', { time: text }) : t('inbox.dueIn', { time: text })}
    </time>
  );
}
