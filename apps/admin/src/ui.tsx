import type { ReactNode } from 'react';
import { ApiError } from './api';
import { useI18n } from './i18n';
import { useChannelCatalogue } from './cockpit/channels';

export function Loading() {
  const { t } = useI18n();
  return <p className="muted" role="status">{t('loading')}</p>;
}

export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      {t('error', { message })}
      {onRetry && (
        <button type="button" className="link" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 403);
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <header className="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** Glyphs by the `iconKey` a channel registers (GET /api/channels); a key without one gets a dot. */
const ICONS: Record<string, string> = { phone: '☎', email: '✉', telegram: '✈', web_form: '▤', whatsapp: '◉', sms: '✆' };
/** A channel's icon with its name as the label; `kind` is a channel's key (activity.channel, a deal's source). */
export function ChannelIcon({ kind }: { kind: string }) {
  const channels = useChannelCatalogue();
  const label = channels.label(kind);
  const icon = channels.iconKey(kind);
  return (
    <span className={`chan chan-${icon}`} title={label} aria-label={label} role="img">
      {ICONS[icon] ?? '•'}
    </span>
  );
}

export function StageLabel({ stage, name }: { stage: string; name?: string }) {
  const { t } = useI18n();
  const key = `stage.${stage}`;
  const translated = t(key as never);
  return <span className={`stage stage-${stage}`}>{translated !== key ? translated : (name ?? stage)}</span>;
}
