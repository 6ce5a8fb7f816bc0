import { useState } from 'react';
import type { TimelineEntry } from '../api';
import { dueState, entryText, formatDuration, leadFields, leadUtm } from '../format';
import { useChannelCatalogue } from '../cockpit/channels';
import { assignmentReason, systemText } from '../cockpit/systemText';
import { useI18n, type MessageKey } from '../i18n';
import { useSession } from '../session';
import { ChannelIcon, StageLabel } from '../ui';

const KNOWN = new Set([
  'lead', 'repeat_lead', 'message_in', 'message_out', 'call_in', 'call_out', 'call_missed', 'recording', 'task_created', 'task_done',
  'task_overdue', 'task_escalated', 'assigned', 'unassigned', 'stage_changed', 'identity_conflict', 'identity_added', 'merged', 'note',
]);

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The sender's claimed time when it differs from our receipt by more than a minute. */
function claimedAt(p: Record<string, unknown>, occurredAt: string): string | null {
  const claimed = str(p.claimedAt);
  if (!claimed || Number.isNaN(Date.parse(claimed))) return null;
  return Math.abs(Date.parse(claimed) - Date.parse(occurredAt)) > 60_000 ? claimed : null;
}

interface Attachment {
  id: string;
  filename?: string;
  name?: string;
  size?: number;
}

/** One entry of the unified timeline. Every value from outside is rendered as text (React escapes it). */
export function TimelineItem({ entry, onRetry }: { entry: TimelineEntry; onRetry?: (activityId: string) => Promise<void> }) {
  const { t, dateTime } = useI18n();
  const { managerName } = useSession();
  const channels = useChannelCatalogue();
  const p = entry.payload;
  const details = obj(p.details);
  const title = KNOWN.has(entry.kind) ? t(`timeline.${entry.kind}` as MessageKey) : t('timeline.other');
  const actor = managerName(entry.actorId);
  const text = systemText(p, t, channels.label) ?? entryText(entry);

  return (
    <li className={`tl tl-${entry.kind}`} data-testid="timeline-entry" data-kind={entry.kind}>
      <div className="tl-head">
        {entry.channel && <ChannelIcon kind={entry.channel} />}
        <strong>{title}</strong>
        {actor && <span className="muted">· {actor}</span>}
        <time className="muted" dateTime={entry.occurredAt}>
          {dateTime(entry.occurredAt)}
        </time>
        {/* The sender's own clock, information only (the entry's time is when we received it). */}
        {claimedAt(p, entry.occurredAt) && (
          <time className="muted tl-claimed" dateTime={claimedAt(p, entry.occurredAt)!}>
            · {t('timeline.sentAt', { time: dateTime(claimedAt(p, entry.occurredAt)!) })}
          </time>
        )}
      </div>
      {entry.kind === 'identity_added' && p.foundInText === true && <div className="muted tl-found-in-text">{t('timeline.foundInText')}</div>}
      {str(p.subject) && <div className="tl-subject">{str(p.subject)}</div>}
      {text && <p className="tl-text">{text}</p>}
      {(entry.kind === 'lead' || entry.kind === 'repeat_lead') && <LeadDetails payload={p} />}
      {entry.kind === 'message_out' && str(p.status) === 'failed' ? (
        <FailedMessage entry={entry} onRetry={onRetry} />
      ) : (
        entry.kind === 'message_out' &&
        str(p.status) && (
          <div className={`muted status-${str(p.status)}`} data-testid="message-status">
            {t('timeline.status', { status: t(`status.${str(p.status)}` as MessageKey) === `status.${str(p.status)}` ? str(p.status)! : t(`status.${str(p.status)}` as MessageKey) })}
          </div>
        )
      )}
      {(entry.kind === 'message_in' || entry.kind === 'message_out' || entry.kind === 'lead') && entry.channel === 'email' && <EmailBody entry={entry} />}
      {Array.isArray(details.attachments) && details.attachments.length > 0 && (
        <div className="attachments">
          <span className="muted">{t('timeline.attachments')}:</span>
          {(details.attachments as Attachment[]).map((a) => (
            <a key={a.id} href={`/api/attachments/${encodeURIComponent(a.id)}`} download={a.filename ?? a.name ?? true}>
              {a.filename ?? a.name ?? a.id}
            </a>
          ))}
        </div>
      )}
      {/* A file the client sent, kept at the channel's provider and streamed by the hub (GET /api/activities/:id/media). */}
      {details.media != null && typeof details.media === 'object' && <ProviderMedia entry={entry} media={obj(details.media)} />}
      {(entry.kind === 'call_in' || entry.kind === 'call_out' || entry.kind === 'call_missed' || entry.kind === 'recording') && <CallDetails payload={p} />}
      {entry.kind === 'task_created' && str(p.dueAt) && (
        <div className={`due due-${dueState(str(p.dueAt)!)}`}>{t('timeline.due', { time: dateTime(str(p.dueAt)!) })}</div>
      )}
      {(entry.kind === 'task_created' || entry.kind === 'task_done' || entry.kind === 'task_overdue' || entry.kind === 'task_escalated') && (p.kind === 'callback' || str(p.title)) && (
        <div>{p.kind === 'callback' ? t('task.callbackGeneric') : str(p.title)}</div>
      )}
      {entry.kind === 'task_done' && str(p.result) && (
        <div className={`pill result-${str(p.result)}`} data-testid="task-result">
          {t(`task.result.${str(p.result)}` as MessageKey)}
        </div>
      )}
      {entry.kind === 'assigned' && (
        <div>
          {str(p.managerName) ?? managerName(str(p.managerId))}
          {assignmentReason(p, t) && (
            <span className="muted" title={str(p.reason) ?? undefined}>
              {' '}
              — {t('timeline.reason', { reason: assignmentReason(p, t)! })}
            </span>
          )}
        </div>
      )}
      {entry.kind === 'unassigned' && str(p.reason) && (
        <div className="muted" title={str(p.reason)!}>
          {t('timeline.reason', { reason: assignmentReason(p, t)! })}
        </div>
      )}
      {entry.kind === 'stage_changed' && (
        <div>
          <StageLabel stage={String(p.from ?? '')} /> → <StageLabel stage={String(p.to ?? '')} />
          {str(p.lostReason) && <div className="muted">{t('timeline.reason', { reason: str(p.lostReason)! })}</div>}
        </div>
      )}
      {(entry.kind === 'identity_added' || entry.kind === 'identity_conflict') && (str(p.value) || str(p.kind)) && (
        <div>
          {str(p.kind)} {str(p.value)}
        </div>
      )}
    </li>
  );
}

/** A message that did not reach the client: the channel's reason and a way to send it again. */
function FailedMessage({ entry, onRetry }: { entry: TimelineEntry; onRetry?: (activityId: string) => Promise<void> }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reason = str(entry.payload.error) ?? '—';
  return (
    <div className="status-failed" data-testid="message-failed">
      <span className="pill status-failed">{t('timeline.failedBecause', { reason })}</span>
      {onRetry && (
        <button
          type="button"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onRetry(entry.id);
              setError(null);
            } catch (err) {
              setError(err instanceof Error ? err.message : String(err));
            } finally {
              setBusy(false);
            }
          }}
        >
          {t('timeline.retry')}
        </button>
      )}
      {error && <span className="error-text small"> {error}</span>}
    </div>
  );
}

/** A form field's name as people read it ("utm_source" → "Ad source"; unknown keys made readable). */
function fieldLabel(key: string, t: (k: MessageKey) => string): string {
  const k = `field.${key.toLowerCase()}`;
  const known = t(k as MessageKey);
  if (known !== k) return known;
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function LeadDetails({ payload }: { payload: Record<string, unknown> }) {
  const { t } = useI18n();
  const fields = [...leadFields(payload), ...leadUtm(payload)].filter(([, v]) => v.trim() !== '' && v !== 'null');
  const source = obj(payload.source);
  const page = str(source.page);
  const name = str(payload.name);
  const ids = Array.isArray(payload.identities) ? (payload.identities as Array<{ kind?: string; value?: string }>) : [];
  return (
    <dl className="fields" data-testid="lead-fields">
      {name && (
        <>
          <dt>{t('field.name')}</dt>
          <dd>{name}</dd>
        </>
      )}
      {ids.map((i, n) => (
        <span key={`id${n}`} className="field">
          <dt>{fieldLabel(String(i.kind ?? ''), t)}</dt>
          <dd>{String(i.value ?? '')}</dd>
        </span>
      ))}
      {fields.map(([k, v]) => (
        <span key={k} className="field">
          <dt>{fieldLabel(k, t)}</dt>
          <dd>{v}</dd>
        </span>
      ))}
      {page && (
        <>
          <dt>{t('field.page')}</dt>
          <dd className="break">{page}</dd>
        </>
      )}
    </dl>
  );
}

/** The sanitised HTML from the hub, in a sandbox with no scripts and no same-origin rights. */
function EmailBody({ entry }: { entry: TimelineEntry }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const details = obj(entry.payload.details);
  if (!details.messageId && !entry.payload.html && !details.html) return null;
  return open ? (
    <iframe className="email-frame" sandbox="" referrerPolicy="no-referrer" title={str(entry.payload.subject) ?? 'email'} src={`/api/activities/${entry.id}/html`} />
  ) : (
    <button type="button" className="link" onClick={() => setOpen(true)}>
      {t('timeline.showEmail')}
    </button>
  );
}

function ProviderMedia({ entry, media }: { entry: TimelineEntry; media: Record<string, unknown> }) {
  const { t } = useI18n();
  const src = `/api/activities/${entry.id}/media`;
  const kind = str(media.kind) ?? str(media.type) ?? '';
  if (kind === 'photo' || kind === 'image' || kind === 'sticker') return <img className="media" src={src} alt={str(media.caption) ?? t('timeline.media')} loading="lazy" />;
  if (kind === 'voice' || kind === 'audio') return <audio controls preload="none" src={src} />;
  if (kind === 'video' || kind === 'video_note') return <video controls preload="none" src={src} className="media" />;
  return (
    <a href={src} download={str(media.fileName) ?? true}>
      {str(media.fileName) ?? t('timeline.media')}
    </a>
  );
}

function CallDetails({ payload }: { payload: Record<string, unknown> }) {
  const { t } = useI18n();
  const recording = obj(payload.recording);
  const recUrl = str(recording.url) ?? (str(payload.callId) && recording.durationSeconds != null ? `/api/calls/${payload.callId}/recording` : null);
  return (
    <div className="call">
      {str(payload.status) && <span>{t('timeline.status', { status: str(payload.status)! })}</span>}
      {payload.durationSeconds != null && <span> · {t('timeline.duration', { d: formatDuration(Number(payload.durationSeconds)) })}</span>}
      {(str(payload.from) || str(payload.to)) && (
        <span className="muted">
          {' '}
          · {str(payload.from)} → {str(payload.to)}
        </span>
      )}
      {recUrl && recUrl.startsWith('/') && <audio controls preload="none" src={recUrl} data-testid="recording" />}
    </div>
  );
}
