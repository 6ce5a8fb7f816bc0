import { useEffect, useState } from 'react';
import { api, type WebForm } from '../../api';
import { embedSnippet } from '../../format';
import { useAsync } from '../../hooks';
import { useI18n } from '../../i18n';
import { ErrorNote, Loading, Section } from '../../ui';
import { useAction } from './useAction';

export function FormsTab() {
  const { t } = useI18n();
  const forms = useAsync(() => api<WebForm[]>('/api/forms'), []);
  const [run, error] = useAction(forms.reload);
  const [name, setName] = useState('');
  if (forms.error) return <ErrorNote error={forms.error} onRetry={forms.reload} />;
  if (!forms.data) return <Loading />;
  return (
    <>
      {error ? <ErrorNote error={error} /> : null}
      {forms.data.map((f) => (
        <Section key={f.id} title={f.name}>
          <dl className="kv">
            <dt>{t('forms.key')}</dt>
            <dd>
              <code>{f.key}</code>
            </dd>
            <dt>{t('forms.endpoint')}</dt>
            <dd>
              <code className="break">{f.endpoint}</code>
            </dd>
          </dl>
          <label>
            {t('forms.origins')}
            <OriginsEditor form={f} onSave={(origins) => run(() => api(`/api/forms/${f.id}`, { method: 'PATCH', body: { allowedOrigins: origins } }))} />
          </label>
          <Snippet text={embedSnippet(f)} />
        </Section>
      ))}
      <form
        className="card inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api('/api/forms', { body: { name } });
            setName('');
          });
        }}
      >
        <h2>{t('forms.add')}</h2>
        <input required placeholder={t('forms.name')} aria-label={t('forms.name')} value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="primary">
          {t('create')}
        </button>
      </form>
    </>
  );
}

function OriginsEditor({ form, onSave }: { form: WebForm; onSave: (o: string[]) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState(form.allowedOrigins.join('\n'));
  useEffect(() => setText(form.allowedOrigins.join('\n')), [form.allowedOrigins]);
  return (
    <div className="row wrap">
      <textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} className="grow" />
      <button
        type="button"
        onClick={() =>
          onSave(
            text
              .split(/\s+/)
              .map((s) => s.trim())
              .filter(Boolean),
          )
        }
      >
        {t('save')}
      </button>
    </div>
  );
}

function Snippet({ text }: { text: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div className="snippet">
      <div className="row">
        <strong className="grow">{t('forms.snippet')}</strong>
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard?.writeText(text);
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          {copied ? t('copied') : t('copy')}
        </button>
      </div>
      <pre data-testid="embed-snippet">{text}</pre>
    </div>
  );
}
