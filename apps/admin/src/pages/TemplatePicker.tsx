import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useAsync } from '../hooks';
import { useI18n } from '../i18n';
import { Loading } from '../ui';

/** A pre-approved template as GET /api/channels/:key/templates lists it. */
export interface MessageTemplateInfo {
  name: string;
  language: string;
  /** The body with {{1}}, {{2}}… placeholders. */
  text: string;
  params: number;
}

/** The body with the manager's values in place: what the client reads and the timeline shows. */
export function renderTemplate(text: string, values: readonly string[]): string {
  return text.replace(/\{\{\s*(\d+)\s*\}\}/g, (m, n: string) => values[Number(n) - 1]?.trim() || m);
}

/**
 * Offered when a channel takes only templates now (WhatsApp after the 24-hour window): pick an approved
 * template, fill in its values, see the message as the client will, send it on that channel.
 */
export function TemplatePicker({ contactId, channel, onSent }: { contactId: string; channel: string; onSent: () => void }) {
  const { t } = useI18n();
  const list = useAsync(() => api<MessageTemplateInfo[]>(`/api/channels/${encodeURIComponent(channel)}/templates`), [channel]);
  const [chosen, setChosen] = useState('');
  const [values, setValues] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (list.loading) return <Loading />;
  const templates = list.data ?? [];
  if (!templates.length) return <p className="muted small">{t('templates.none')}</p>;
  const template = templates.find((x) => `${x.name}:${x.language}` === chosen) ?? null;
  const filled = template ? Array.from({ length: template.params }, (_, i) => values[i] ?? '') : [];
  const complete = !!template && filled.every((v) => v.trim());

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!template || !complete) return;
    setBusy(true);
    setError(null);
    try {
      await api(`/api/contacts/${contactId}/messages`, {
        body: { channel, text: renderTemplate(template.text, filled), template: { name: template.name, language: template.language, params: filled.map((v) => v.trim()) } },
      });
      setChosen('');
      setValues([]);
      onSent();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="template-picker" onSubmit={submit} data-testid="template-picker" data-channel={channel}>
      <label className="row">
        {t('templates.choose')}
        <select
          value={chosen}
          onChange={(e) => {
            setChosen(e.target.value);
            setValues([]);
          }}
        >
          <option value="">—</option>
          {templates.map((x) => (
            <option key={`${x.name}:${x.language}`} value={`${x.name}:${x.language}`}>
              {x.name} ({x.language})
            </option>
          ))}
        </select>
      </label>
      {filled.map((v, i) => (
        <input
          key={i}
          aria-label={t('templates.value', { n: i + 1 })}
          placeholder={t('templates.value', { n: i + 1 })}
          value={v}
          onChange={(e) => setValues(filled.map((old, j) => (j === i ? e.target.value : old)))}
        />
      ))}
      {template && (
        <p className="tl-text" data-testid="template-preview">
          {renderTemplate(template.text, filled)}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || !complete}>
        {t('templates.send')}
      </button>
    </form>
  );
}
