import { useEffect, useState, type FormEvent } from 'react';
import { FormManage } from './settings/FormManage';
import type { FormFieldTarget, FormOriginSeen, FormSeenField, FormSpamItem, WebForm } from '@leadline/contracts';
import { api } from '../api';
import { useAsync } from '../hooks';
import { useI18n, type Lang } from '../i18n';
import { navigate } from '../router';
import { ErrorNote, Loading, Section } from '../ui';

/** Settings → Forms (issue 13): connecting a website, what its visitors see, spam held back. */

type Target = FormFieldTarget;
const TARGETS: Target[] = ['name', 'phone', 'email', 'message', 'company'];

/** A form as GET /api/forms answers it (the shared contract type). */
export type FormSettings = WebForm;
type OriginSeen = FormOriginSeen;
type SeenField = FormSeenField;
type SpamItem = FormSpamItem;

/** The fields of a held-back submission: the hub keeps it as received (any JSON), fields under `body`. */
export function spamFields(raw: unknown): Record<string, unknown> {
  const body = raw && typeof raw === 'object' ? (raw as { body?: unknown }).body : undefined;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

const SNIPPET_TEXT: Record<Lang, { comment: string; name: string; phone: string; email: string; message: string; send: string }> = {
  en: { comment: 'Put the <script> line on every page of the site (e.g. in the footer): it keeps the ad tags of the visit.', name: 'Your name', phone: 'Phone', email: 'Email', message: 'Message', send: 'Send' },
  ru: { comment: 'строку script ниже поставьте на все страницы сайта (например, в подвал): так метки рекламы сохраняются за весь визит', name: 'Ваше имя', phone: 'Телефон', email: 'Email', message: 'Сообщение', send: 'Отправить' },
};

/** The copy-paste snippet: a plain form that works without JavaScript, enhanced by the hub's script. */
export function formSnippet(form: Pick<FormSettings, 'key' | 'endpoint' | 'snippetUrl' | 'honeypotField'>, lang: Lang): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const t = SNIPPET_TEXT[lang];
  return [
    `<!-- Leadline: ${t.comment} -->`,
    `<form data-leadline="${esc(form.key)}" action="${esc(form.endpoint)}" method="post" enctype="multipart/form-data">`,
    `  <input name="name" placeholder="${t.name}" autocomplete="name">`,
    `  <input name="phone" type="tel" placeholder="${t.phone}" autocomplete="tel">`,
    `  <input name="email" type="email" placeholder="${t.email}" autocomplete="email">`,
    `  <textarea name="message" placeholder="${t.message}"></textarea>`,
    `  <input name="${esc(form.honeypotField)}" style="display:none" tabindex="-1" autocomplete="off" aria-hidden="true">`,
    `  <button type="submit">${t.send}</button>`,
    `</form>`,
    `<script src="${esc(form.snippetUrl)}" async></script>`,
  ].join('\n');
}

export function FormsTab() {
  const { t } = useI18n();
  const forms = useAsync(() => api<FormSettings[]>('/api/forms'), []);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  if (forms.error) return <ErrorNote error={forms.error} onRetry={forms.reload} />;
  if (!forms.data) return <Loading />;
  const add = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api('/api/forms', { body: { name } });
      setName('');
      setError(null);
    } catch (err) {
      setError(err);
    }
    forms.reload();
  };
  return (
    <>
      {error ? <ErrorNote error={error} /> : null}
      {forms.data.map((f) => (
        <FormCard key={f.id} form={f} onSaved={forms.reload} />
      ))}
      <form className="card inline-form" onSubmit={add}>
        <h2>{t('forms.add')}</h2>
        <input required placeholder={t('forms.name')} aria-label={t('forms.name')} value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="primary">
          {t('create')}
        </button>
      </form>
      <SpamList />
    </>
  );
}

function FormCard({ form, onSaved }: { form: FormSettings; onSaved: () => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>(null);
  const save = async (body: Partial<FormSettings>) => {
    try {
      await api(`/api/forms/${form.id}`, { method: 'PATCH', body });
      setError(null);
    } catch (err) {
      setError(err);
    }
    onSaved();
  };
  return (
    <Section title={form.name}>
      <div className="stack" data-testid={`form-${form.key}`}>
        {error ? <ErrorNote error={error} /> : null}
        <FormManage form={form} onChanged={onSaved} onDeleted={onSaved} />
        <dl className="kv">
          <dt>{t('forms.key')}</dt>
          <dd>
            <code>{form.key}</code>
          </dd>
          <dt>{t('forms.endpoint')}</dt>
          <dd>
            <code className="break">{form.endpoint}</code>
            <div className="muted small">{t('forms.webhookHint')}</div>
          </dd>
        </dl>
        <Origins form={form} onSave={(allowedOrigins) => save({ allowedOrigins })} />
        <VisitorAnswer form={form} onSave={save} />
        <Snippet form={form} />
        <Preview form={form} />
        <FieldMapping form={form} onSave={(fieldMap) => save({ fieldMap })} />
      </div>
    </Section>
  );
}

function Origins({ form, onSave }: { form: FormSettings; onSave: (o: string[]) => void }) {
  const { t, dateTime } = useI18n();
  const [text, setText] = useState(form.allowedOrigins.join('\n'));
  useEffect(() => setText(form.allowedOrigins.join('\n')), [form.allowedOrigins]);
  const seen = useAsync(() => api<OriginSeen[]>(`/api/forms/${form.id}/origins`), [form.id, form.allowedOrigins.join(' ')]);
  const parsed = text
    .split(/\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return (
    <div>
      <label>
        {t('forms.origins')}
        <div className="row wrap">
          <textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} className="grow" />
          <button type="button" onClick={() => onSave(parsed)}>
            {t('save')}
          </button>
        </div>
      </label>
      <div className="muted small">{t('forms.recentOrigins')}</div>
      {seen.data && seen.data.length === 0 && <div className="muted small">{t('forms.noOrigins')}</div>}
      {seen.data && seen.data.length > 0 && (
        <ul className="list" data-testid="recent-origins">
          {seen.data.map((o) => (
            <li key={o.origin} className="row">
              <code className="grow">{o.origin}</code>
              <span className="small">{t('forms.originCounts', { accepted: o.accepted, refused: o.refused })}</span>
              <time className="muted small" dateTime={o.lastSeenAt}>
                {dateTime(o.lastSeenAt)}
              </time>
              {form.allowedOrigins.length > 0 && !form.allowedOrigins.includes(o.origin) && (
                <button type="button" onClick={() => onSave([...form.allowedOrigins, o.origin])}>
                  {t('forms.allowOrigin')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {/* Open to any site so far: tighten to the sites that really posted (refused ones stay out). */}
      {form.allowedOrigins.length === 0 && seen.data && seen.data.some((o) => o.accepted > 0) && (
        <button type="button" onClick={() => onSave(seen.data!.filter((o) => o.accepted > 0 && o.origin !== 'null').map((o) => o.origin))}>
          {t('forms.restrictToSeen')}
        </button>
      )}
    </div>
  );
}

function VisitorAnswer({ form, onSave }: { form: FormSettings; onSave: (body: Partial<FormSettings>) => void }) {
  const { t } = useI18n();
  const initial = () => ({ successUrl: form.successUrl ?? '', en: form.thankYou.en ?? '', ru: form.thankYou.ru ?? '', minFill: String(form.minFillSeconds) });
  const [draft, setDraft] = useState(initial);
  useEffect(() => setDraft(initial()), [form.updatedAt]);
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        onSave({ successUrl: draft.successUrl.trim() || null, thankYou: { en: draft.en, ru: draft.ru }, minFillSeconds: Number(draft.minFill) || 0 });
      }}
    >
      <strong>{t('forms.visitorAnswer')}</strong>
      <label>
        {t('forms.successUrl')}
        <input type="url" value={draft.successUrl} placeholder="https://example.com/thanks" onChange={(e) => setDraft({ ...draft, successUrl: e.target.value })} />
      </label>
      <label>
        {t('forms.thankYouEn')}
        <textarea rows={2} value={draft.en} placeholder="Thank you! We have received your request and will contact you soon." onChange={(e) => setDraft({ ...draft, en: e.target.value })} />
      </label>
      <label>
        {t('forms.thankYouRu')}
        <textarea rows={2} value={draft.ru} placeholder="Спасибо! Мы получили вашу заявку и скоро с вами свяжемся." onChange={(e) => setDraft({ ...draft, ru: e.target.value })} />
      </label>
      <label>
        {t('forms.minFill')}
        <input type="number" min={0} max={600} value={draft.minFill} onChange={(e) => setDraft({ ...draft, minFill: e.target.value })} />
      </label>
      <div>
        <button type="submit">{t('save')}</button>
      </div>
    </form>
  );
}

function Snippet({ form }: { form: FormSettings }) {
  const { t, lang: uiLang } = useI18n();
  const [lang, setLang] = useState<Lang>(uiLang);
  const [copied, setCopied] = useState(false);
  const text = formSnippet(form, lang);
  return (
    <div className="snippet">
      <div className="row">
        <strong className="grow">{t('forms.snippet')}</strong>
        <div className="tabs" role="tablist" aria-label={t('forms.snippetLang')}>
          {(['en', 'ru'] as Lang[]).map((l) => (
            <button key={l} type="button" role="tab" aria-selected={lang === l} className={lang === l ? 'active' : ''} onClick={() => setLang(l)}>
              {l === 'en' ? 'English' : 'Русский'}
            </button>
          ))}
        </div>
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
      <div className="muted small">{t('forms.snippetHint')}</div>
    </div>
  );
}

interface TestOutcome {
  kind: 'lead' | 'kept' | 'spam' | 'handshake' | 'invalid';
  ids?: { dealId: string; contactId: string };
  fields?: Record<string, string>;
}

/** The form as a visitor fills it; the submission becomes a real lead marked as a test (left out of reports). */
function Preview({ form }: { form: FormSettings }) {
  const { t } = useI18n();
  const [fields, setFields] = useState({ name: '', phone: '', email: '', message: '' });
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<TestOutcome | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSending(true);
    try {
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v.trim()));
      setResult(await api<TestOutcome>(`/api/forms/${form.id}/test-submission`, { body }));
      setError(null);
    } catch (err) {
      setError(err);
    }
    setSending(false);
  };
  return (
    <form className="card stack" onSubmit={submit} aria-label={t('forms.preview')} data-testid="form-preview">
      <strong>{t('forms.preview')}</strong>
      <div className="muted small">{t('forms.previewHint')}</div>
      <div className="inline-form">
        {(['name', 'phone', 'email'] as const).map((k) => (
          <input key={k} aria-label={t(`forms.field.${k}`)} placeholder={t(`forms.field.${k}`)} value={fields[k]} onChange={(e) => setFields({ ...fields, [k]: e.target.value })} />
        ))}
      </div>
      <textarea aria-label={t('forms.field.message')} placeholder={t('forms.field.message')} rows={2} value={fields.message} onChange={(e) => setFields({ ...fields, message: e.target.value })} />
      <div className="row">
        <button type="submit" className="primary" disabled={sending}>
          {t('forms.previewSend')}
        </button>
        {result?.kind === 'lead' && result.ids && (
          <span role="status">
            {t('forms.previewDone')}{' '}
            <a
              href={`/admin/contacts/${result.ids.contactId}`}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/contacts/${result.ids!.contactId}`);
              }}
            >
              {t('forms.previewOpen')}
            </a>
          </span>
        )}
        {result?.kind === 'invalid' && <span className="error-text">{t('forms.previewInvalid')}</span>}
        {result?.kind === 'kept' && <span className="error-text">{t('forms.previewKept')}</span>}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

function FieldMapping({ form, onSave }: { form: FormSettings; onSave: (m: Record<string, Target>) => void }) {
  const { t } = useI18n();
  const seen = useAsync(() => api<SeenField[]>(`/api/forms/${form.id}/fields`), [form.id, JSON.stringify(form.fieldMap)]);
  const [draft, setDraft] = useState<Record<string, Target | ''>>({});
  const [newName, setNewName] = useState('');
  useEffect(() => {
    if (seen.data) setDraft(Object.fromEntries(seen.data.map((f) => [f.name, f.mappedTo ?? ''])));
  }, [seen.data]);
  if (seen.error) return <ErrorNote error={seen.error} onRetry={seen.reload} />;
  if (!seen.data) return null;
  const rows: SeenField[] = [
    ...seen.data,
    ...Object.keys(draft)
      .filter((n) => !seen.data!.some((f) => f.name === n))
      .map((name) => ({ name, mappedTo: null, known: null, suggested: null, example: '' })),
  ];
  const save = () => onSave(Object.fromEntries(Object.entries(draft).filter((e): e is [string, Target] => e[1] !== '')));
  return (
    <div className="stack" data-testid="field-mapping">
      <strong>{t('forms.mapping')}</strong>
      <div className="muted small">{t('forms.mappingHint')}</div>
      {rows.length === 0 && <div className="muted small">{t('forms.mappingEmpty')}</div>}
      {rows.map((f) => (
        <div key={f.name} className="row wrap">
          <code className="grow">{f.name}</code>
          {f.example && <span className="muted small">«{f.example}»</span>}
          <select aria-label={t('forms.mapTo', { field: f.name })} value={draft[f.name] ?? ''} onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value as Target | '' })}>
            <option value="">{t('forms.unmapped')}</option>
            {TARGETS.map((x) => (
              <option key={x} value={x}>
                {t(`forms.field.${x}`)}
              </option>
            ))}
          </select>
          {f.known && !draft[f.name] && <span className="muted small">{t('forms.understoodAs', { target: t(`forms.field.${f.known}`) })}</span>}
          {f.suggested && !f.known && !draft[f.name] && (
            <button type="button" onClick={() => setDraft({ ...draft, [f.name]: f.suggested! })}>
              {t('forms.useSuggestion', { target: t(`forms.field.${f.suggested}`) })}
            </button>
          )}
        </div>
      ))}
      <div className="row wrap">
        <input placeholder={t('forms.mappingAdd')} aria-label={t('forms.mappingAdd')} value={newName} onChange={(e) => setNewName(e.target.value)} />
        <button
          type="button"
          disabled={!newName.trim()}
          onClick={() => {
            setDraft({ ...draft, [newName.trim().toLowerCase()]: '' });
            setNewName('');
          }}
        >
          {t('forms.mappingAddButton')}
        </button>
        <span className="grow" />
        <button type="button" onClick={save}>
          {t('save')}
        </button>
      </div>
    </div>
  );
}

/** Submissions the spam rules held back, across forms; restoring makes the lead. */
function SpamList() {
  const { t, dateTime } = useI18n();
  const spam = useAsync(() => api<SpamItem[]>('/api/forms/spam'), []);
  const [error, setError] = useState<unknown>(null);
  const restore = async (id: string) => {
    try {
      await api(`/api/forms/spam/${id}/restore`, { method: 'POST' });
      setError(null);
    } catch (err) {
      setError(err);
    }
    spam.reload();
  };
  return (
    <Section title={t('forms.spam')}>
      <div className="muted small">{t('forms.spamHint')}</div>
      {error ? <ErrorNote error={error} /> : null}
      {spam.error ? <ErrorNote error={spam.error} onRetry={spam.reload} /> : null}
      {spam.data && spam.data.length === 0 && <div className="muted">{t('forms.spamEmpty')}</div>}
      {spam.data && spam.data.length > 0 && (
        <ul className="list" data-testid="spam-list">
          {spam.data.map((s) => {
            const body = spamFields(s.raw);
            const who = ['name', 'phone', 'email'].map((k) => body[k]).filter((v) => typeof v === 'string' && v).join(' · ');
            return (
              <li key={s.id} className="row wrap" data-testid="spam-item">
                <span className="grow">
                  <strong>{who || JSON.stringify(body).slice(0, 120)}</strong>
                  <div className="muted small">
                    {s.formName} · {t(s.reason === 'honeypot' ? 'forms.spamHoneypot' : 'forms.spamTooFast')}
                    {s.origin ? ` · ${s.origin}` : ''} · {dateTime(s.receivedAt)}
                  </div>
                </span>
                <button type="button" onClick={() => restore(s.id)}>
                  {t('forms.restore')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </Section>
  );
}
