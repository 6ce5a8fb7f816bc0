import type { ReactNode } from 'react';
import { ApiError } from './api';
import { useI18n } from './i18n';

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

const ICONS: Record<string, string> = { phone: '☎', email: '✉', telegram: '✈', web_form: '▤' };
export function ChannelIcon({ kind }: { kind: string }) {
  const { t } = useI18n();
  const label = t(`channel.${kind}` as never) ?? kind;
  return (
    <span className={`chan chan-${kind}`} title={label} aria-label={label} role="img">
      {ICONS[kind] ?? '•'}
    </span>
  );
}

export function StageLabel({ stage, name }: { stage: string; name?: string }) {
  const { t } = useI18n();
  const key = `stage.${stage}`;
  const translated = t(key as never);
  return <span className={`stage stage-${stage}`}>{translated !== key ? translated : (name ?? stage)}</span>;
}
