import { useState } from 'react';
import { optionalApi, type ChannelStatus, type Mailbox } from '../../api';
import { useChannels } from '../../cockpit/channels';
import { useAsync } from '../../hooks';
import { useI18n } from '../../i18n';
import type { MailboxDetails } from '../../mailboxForm';
import { ErrorNote, Loading, Section } from '../../ui';
import { MailboxEditor } from '../MailboxEditor';

function StatusPill({ status }: { status: string }) {
  const { t } = useI18n();
  const key = `status.${status}`;
  const label = t(key as never);
  return <span className={`pill status-${status}`}>{label === key ? status : label}</span>;
}

export function ChannelsTab() {
  const { t, dateTime } = useI18n();
  const statuses = useAsync(() => optionalApi<ChannelStatus[]>('/api/channels/status'), []);
  const mailboxes = useAsync(() => optionalApi<Array<Mailbox & MailboxDetails>>('/api/mailboxes'), []);
  // null: no form open; 'new': the create form; else the id of the mailbox being edited.
  const [editing, setEditing] = useState<string | null>(null);
  const done = () => {
    setEditing(null);
    mailboxes.reload();
  };
  return (
    <>
      <Section title={t('channels.all')}>
        <ChannelAvailabilityList />
      </Section>
      <Section title={t('settings.channels')} actions={<button type="button" onClick={statuses.reload}>{t('retry')}</button>}>
        {statuses.error ? (
          <ErrorNote error={statuses.error} onRetry={statuses.reload} />
        ) : statuses.loading && !statuses.data ? (
          <Loading />
        ) : statuses.data === null ? (
          <p className="muted">{t('channels.unavailable')}</p>
        ) : statuses.data!.length === 0 ? (
          <p className="muted">{t('channels.empty')}</p>
        ) : (
          <ul className="list" data-testid="channel-status">
            {statuses.data!.map((s) => (
              <li key={`${s.channel}:${s.name}`} className="row wrap">
                <strong>{s.channel}</strong>
                <span className="grow">{s.name}</span>
                <StatusPill status={s.status} />
                {s.since && <time className="muted small">{dateTime(s.since)}</time>}
                {s.lastError && <div className="error-text small full">{s.lastError}</div>}
                {!!s.rejectedRequests?.total && (
                  <div className="muted small full" data-testid="channel-rejected">
                    {t('channels.rejected', { n: String(s.rejectedRequests.lastHour), total: String(s.rejectedRequests.total), reason: s.rejectedRequests.lastReason ?? '—' })}
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section
        title={t('channels.mailboxes')}
        actions={
          mailboxes.data !== null && editing === null ? (
            <button type="button" onClick={() => setEditing('new')}>
              {t('mailbox.add')}
            </button>
          ) : undefined
        }
      >
        {editing === 'new' && <MailboxEditor mailbox={null} onDone={done} onCancel={() => setEditing(null)} />}
        {mailboxes.error ? (
          <ErrorNote error={mailboxes.error} onRetry={mailboxes.reload} />
        ) : mailboxes.loading && !mailboxes.data ? (
          <Loading />
        ) : !mailboxes.data || mailboxes.data.length === 0 ? (
          <p className="muted">{t('channels.noMailboxes')}</p>
        ) : (
          <ul className="list" data-testid="mailboxes">
            {mailboxes.data.map((m) => (
              <li key={m.id} className="row wrap">
                <strong>{m.name}</strong>
                <span className="grow">{m.address}</span>
                <StatusPill status={m.enabled ? m.status : 'disabled'} />
                {editing !== m.id && (
                  <button type="button" onClick={() => setEditing(m.id)} aria-label={`${t('mailbox.editButton')} ${m.name}`}>
                    {t('mailbox.editButton')}
                  </button>
                )}
                {m.lastError && <div className="error-text small full">{m.lastError}</div>}
                {editing === m.id && (
                  <div className="full">
                    <MailboxEditor mailbox={m} onDone={done} onCancel={() => setEditing(null)} />
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

/** Every channel this hub knows, on or off, and for an off one what turns it on. */
function ChannelAvailabilityList() {
  const { t, lang } = useI18n();
  const channels = useChannels();
  if (!channels) return <Loading />;
  return (
    <ul className="list" data-testid="channel-availability">
      {channels.map((c) => {
        const on = c.receives || c.sends || c.calls;
        const can = [c.receives && t('channels.receives'), c.sends && t('channels.sends'), c.calls && t('channels.calls')].filter(Boolean).join(', ');
        const how = c.enableWith.map((x) => (x === 'settings:channels' ? t('channels.howToSettings') : x)).join(', ');
        return (
          <li key={c.key} className="row wrap" data-channel={c.key}>
            <strong>{c.label[lang]}</strong>
            <span className={`pill ${on ? 'ok' : 'status-disabled'}`}>{on ? t('channels.on') : t('channels.off')}</span>
            {can && <span className="muted small grow">{can}</span>}
            {c.enableWith.length > 0 && (
              <div className="full small" data-testid="how-to-enable">
                {t('channels.howTo', { how })}
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
