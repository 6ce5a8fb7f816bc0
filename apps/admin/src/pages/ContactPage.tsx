import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, optionalApi, type Company, type Contact, type MessageTemplate, type MessageTemplateInfo, type Page, type ReplyChannelOption, type TimelineEntry } from '../api';
import { CallAction } from '../cockpit/CallAction';
import { renderTemplate, replyChoices, useChannelCatalogue, useChannels } from '../cockpit/channels';
import { ContactTasks } from '../cockpit/ContactTasks';
import { DealPanel } from '../cockpit/DealPanel';
import { appendPage, mergeNewest } from '../format';
import { useAsync, useLiveEvents } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { ChannelIcon, ErrorNote, isNotFound, Loading, Section, StageLabel } from '../ui';
import { TimelineItem } from './TimelineItem';

const PAGE = 30;

export function ContactPage({ id }: { id: string }) {
  const { t } = useI18n();
  const { managerName, user } = useSession();
  const channelCatalogue = useChannelCatalogue();
  const contact = useAsync(() => api<Contact>(`/api/contacts/${id}`), [id]);
  const timeline = useTimeline(id);

  if (contact.error) {
    return isNotFound(contact.error) ? (
      <p className="error" role="alert" data-testid="not-found">
        {t('contact.notFound')}
      </p>
    ) : (
      <ErrorNote error={contact.error} onRetry={contact.reload} />
    );
  }
  if (!contact.data) return <Loading />;
  const c = contact.data;
  const phone = c.identities.find((i) => i.kind === 'phone')?.value;

  return (
    <div className="contact-layout">
      <aside className="stack">
        <h1 data-testid="contact-name">{c.name ?? t('unknownName')}</h1>
        <Section title={t('contact.identities')}>
          <ul className="list">
            {c.identities.map((i) => (
              <li key={`${i.kind}:${i.value}`} className="row">
                <ChannelIcon kind={channelCatalogue.ofIdentity(i.kind)} />
                {i.kind === 'phone' ? <a href={`tel:${i.value}`}>{c.phoneDisplay?.[i.value] ?? i.value}</a> : i.kind === 'email' ? <a href={`mailto:${i.value}`}>{i.value}</a> : <span>{i.value}</span>}
              </li>
            ))}
          </ul>
          {phone && <CallAction contactId={c.id} phone={phone} onStarted={timeline.refresh} />}
        </Section>
        <ContactTasks contactId={c.id} contactName={c.name ?? t('unknownName')} onChanged={timeline.refresh} />
        <Section title={t('contact.owner')}>
          {user.role === 'admin' ? (
            <OwnerPicker contactId={c.id} ownerId={c.ownerId} onChanged={() => {
              contact.reload();
              timeline.refresh();
            }} />
          ) : (
            <p>{managerName(c.ownerId) ?? t('unassigned')}</p>
          )}
        </Section>
        <CompanySection contactId={c.id} company={c.company ?? null} onChanged={() => {
          contact.reload();
          timeline.refresh();
        }} />
        <DealPanel
          contact={c}
          onChanged={() => {
            contact.reload();
            timeline.refresh();
          }}
        />
      </aside>
      <section className="stack timeline-col">
        <Composer contact={c} onSent={timeline.refresh} />
        <h2>{t('contact.timeline')}</h2>
        <Timeline state={timeline} contactId={c.id} />
      </section>
    </div>
  );
}

interface TimelineState {
  items: TimelineEntry[] | null;
  cursor: string | null;
  error: unknown;
  loadMore: () => void;
  refresh: () => void;
}

function useTimeline(contactId: string): TimelineState {
  const [items, setItems] = useState<TimelineEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const busy = useRef(false);

  const fetchPage = useCallback(
    async (after: string | null) => {
      if (busy.current) return;
      busy.current = true;
      try {
        const q = new URLSearchParams({ limit: String(PAGE) });
        if (after) q.set('cursor', after);
        const page = await api<Page<TimelineEntry>>(`/api/contacts/${contactId}/timeline?${q}`);
        if (after) {
          setItems((shown) => appendPage(shown ?? [], page.items));
          setCursor(page.nextCursor);
        } else {
          // A refresh: the newest page replaces its entries (statuses change), older pages already
          // scrolled in stay, and so does the cursor past them.
          let keptOlder = false;
          setItems((shown) => {
            const merged = mergeNewest(shown, page.items);
            keptOlder = merged.length > page.items.length;
            return merged;
          });
          setCursor((c) => (keptOlder ? c : page.nextCursor));
        }
        setError(null);
      } catch (err) {
        setError(err);
      } finally {
        busy.current = false;
      }
    },
    [contactId],
  );

  // Newest first: a refresh reloads the first page (new entries arrive on top).
  const refresh = useCallback(() => void fetchPage(null), [fetchPage]);
  useEffect(refresh, [refresh]);
  useLiveEvents(refresh);
  const loadMore = useCallback(() => {
    if (cursor) void fetchPage(cursor);
  }, [cursor, fetchPage]);
  return { items, cursor, error, loadMore, refresh };
}

type TimelineFilter = 'all' | 'calls' | 'messages' | 'notes' | 'tasks' | 'system';
const FILTERS: TimelineFilter[] = ['all', 'calls', 'messages', 'notes', 'tasks', 'system'];

/** Which filter an entry kind belongs to (anything not a call, message, note or task is the system's). */
export function filterOf(kind: string): Exclude<TimelineFilter, 'all'> {
  if (kind.startsWith('call_') || kind === 'recording') return 'calls';
  if (kind === 'message_in' || kind === 'message_out' || kind === 'lead' || kind === 'repeat_lead') return 'messages';
  if (kind === 'note') return 'notes';
  if (kind.startsWith('task_')) return 'tasks';
  return 'system';
}

function Timeline({ state, contactId }: { state: TimelineState; contactId: string }) {
  const { t } = useI18n();
  const [filter, setFilter] = useState<TimelineFilter>('all');
  const retry = useCallback(
    async (activityId: string) => {
      await api(`/api/contacts/${contactId}/messages/${activityId}/retry`, { method: 'POST' });
      state.refresh();
    },
    [contactId, state],
  );
  const sentinel = useRef<HTMLDivElement>(null);
  const { loadMore, cursor } = state;

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(), { rootMargin: '300px' });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, loadMore]);

  if (state.error && !state.items) return <ErrorNote error={state.error} onRetry={state.refresh} />;
  if (!state.items) return <Loading />;
  if (state.items.length === 0) return <p className="muted">{t('timeline.empty')}</p>;
  const shown = filter === 'all' ? state.items : state.items.filter((e) => filterOf(e.kind) === filter);
  return (
    <>
      <div className="tabs chips" role="group" aria-label={t('timeline.filter')} data-testid="timeline-filter">
        {FILTERS.map((f) => (
          <button key={f} type="button" aria-pressed={filter === f} className={filter === f ? 'active' : ''} onClick={() => setFilter(f)}>
            {t(`filter.${f}`)}
          </button>
        ))}
      </div>
      <ol className="timeline" data-testid="timeline">
        {shown.map((e) => (
          <TimelineItem key={e.id} entry={e} onRetry={retry} />
        ))}
      </ol>
      <div ref={sentinel} />
      {cursor ? (
        <button type="button" onClick={loadMore}>
          {t('more')}
        </button>
      ) : (
        <p className="muted small">{t('timeline.end')}</p>
      )}
    </>
  );
}

function OwnerPicker({ contactId, ownerId, onChanged }: { contactId: string; ownerId: string | null; onChanged: () => void }) {
  const { t } = useI18n();
  const { managers } = useSession();
  const [error, setError] = useState<string | null>(null);
  const change = async (managerId: string) => {
    if (!managerId || managerId === ownerId) return;
    try {
      await api(`/api/contacts/${contactId}/owner`, { body: { managerId } });
      setError(null);
      onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <>
      <label>
        <span className="sr-only">{t('contact.reassign')}</span>
        <select value={ownerId ?? ''} onChange={(e) => change(e.target.value)} aria-label={t('contact.reassign')} data-testid="owner-select">
          {!ownerId && <option value="">{t('unassigned')}</option>}
          {managers
            .filter((m) => m.active || m.id === ownerId)
            .map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
        </select>
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

export function Composer({ contact, onSent }: { contact: Contact; onSent: () => void }) {
  const { t } = useI18n();
  const catalogue = useChannelCatalogue();
  // Only channels this hub can send through and this contact can be written to on now (the hub's
  // per-contact answer: an address there, and the channel's own rule such as a reply window).
  const available = useChannels();
  const options = useReplyOptions(contact);
  const { usable, refused } = replyChoices(available, options ?? []);
  // A channel that refuses free text now but has templates (a closed reply window) is offered for a template.
  const templated = refused.filter((o) => catalogue.list.find((c) => c.key === o.channel)?.capabilities.templates).map((o) => o.channel);
  const channels = [...usable, ...templated];
  const ready = !!available && !!options;

  const [mode, setMode] = useState<'reply' | 'note' | 'task'>(channels.length ? 'reply' : 'note');
  const [due, setDue] = useState(() => defaultDue());
  const [channel, setChannel] = useState<string>(channels[0] ?? '');
  const [text, setText] = useState('');
  const [subject, setSubject] = useState('');
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState<{ template: MessageTemplate; text: string } | null>(null);
  const [round, setRound] = useState(0);
  // The channels are known a moment after the page: then the reply tab and its channel follow them.
  useEffect(() => {
    if (!ready) return;
    if (!channels.includes(channel)) setChannel(channels[0] ?? '');
    if (channels.length > 0 && mode === 'note' && !text) setMode('reply');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ready, options]);
  const withSubject = !!catalogue.list.find((c) => c.key === channel)?.capabilities.subject;
  const byTemplate = mode === 'reply' && templated.includes(channel);
  const empty = byTemplate ? !picked : !text.trim();
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (empty) return;
    setBusy(true);
    setError(null);
    try {
      if (mode === 'reply') {
        await api(`/api/contacts/${contact.id}/messages`, {
          body:
            byTemplate && picked
              ? { channel, text: picked.text, template: picked.template }
              : { text, ...(channel ? { channel } : {}), ...(withSubject && subject.trim() ? { subject: subject.trim() } : {}) },
        });
      } else if (mode === 'task') {
        await api(`/api/contacts/${contact.id}/tasks`, { body: { title: text.trim(), dueAt: new Date(due).toISOString() } });
        setDue(defaultDue());
      } else {
        await api(`/api/contacts/${contact.id}/notes`, { body: { text } });
      }
      setText('');
      setSubject('');
      setPicked(null);
      setRound((r) => r + 1);
      onSent();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 && mode === 'reply' ? t('composer.unavailable') : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card composer" onSubmit={submit} data-testid="composer">
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={mode === 'reply'} className={mode === 'reply' ? 'active' : ''} onClick={() => setMode('reply')}>
          {t('composer.reply')}
        </button>
        <button type="button" role="tab" aria-selected={mode === 'note'} className={mode === 'note' ? 'active' : ''} onClick={() => setMode('note')}>
          {t('composer.note')}
        </button>
        <button type="button" role="tab" aria-selected={mode === 'task'} className={mode === 'task' ? 'active' : ''} onClick={() => setMode('task')}>
          {t('composer.task')}
        </button>
        {mode === 'reply' && channels.length > 0 && (
          <select value={channel} onChange={(e) => setChannel(e.target.value)} aria-label={t('composer.via', { channel: '' })}>
            {channels.map((c) => (
              <option key={c} value={c}>
                {t(templated.includes(c) ? 'composer.viaTemplate' : 'composer.via', { channel: catalogue.label(c) })}
              </option>
            ))}
          </select>
        )}
      </div>
      {mode === 'reply' &&
        refused.map((o) => (
          <p key={o.channel} className="muted small" data-testid="composer-refused" data-channel={o.channel}>
            {t('composer.refused', { channel: catalogue.label(o.channel), reason: refusalText(t, o.reason) })}
          </p>
        ))}
      {mode === 'reply' && !ready ? (
        <Loading />
      ) : mode === 'reply' && channels.length === 0 ? (
        <p className="muted">{t('composer.noChannel')}</p>
      ) : (
        <>
          {byTemplate && <TemplatePicker key={`${channel}:${round}`} channel={channel} onChange={setPicked} />}
          {mode === 'reply' && withSubject && !byTemplate && (
            <input placeholder={t('composer.subject')} aria-label={t('composer.subject')} value={subject} onChange={(e) => setSubject(e.target.value)} />
          )}
          {!byTemplate && (
            <textarea
              rows={3}
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder={mode === 'reply' ? t('composer.text') : mode === 'task' ? t('composer.taskTitle') : t('composer.noteText')}
              aria-label={mode === 'reply' ? t('composer.text') : mode === 'task' ? t('composer.taskTitle') : t('composer.noteText')}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) (e.currentTarget.form as HTMLFormElement | null)?.requestSubmit();
              }}
            />
          )}
          {mode === 'task' && (
            <label className="row">
              {t('tasks.due')}
              <input type="datetime-local" required value={due} onChange={(e) => setDue(e.target.value)} />
            </label>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary" disabled={busy || empty}>
            {mode === 'reply' ? t('composer.send') : mode === 'task' ? t('composer.addTask') : t('composer.addNote')}
          </button>
        </>
      )}
    </form>
  );
}

/** Tomorrow 10:00 local time, as a datetime-local value. */
function defaultDue(now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 10, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The contact's company (a link to its page), else the company its email domain suggests. */
function CompanySection({ contactId, company, onChanged }: { contactId: string; company: { id: string; name: string } | null; onChanged: () => void }) {
  const { t } = useI18n();
  const suggestion = useAsync(
    () => (company ? Promise.resolve(null) : optionalApi<{ suggestion: { domain: string; company: Company } | null }>(`/api/contacts/${contactId}/company-suggestion`)),
    [contactId, company?.id],
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const accept = async () => {
    setBusy(true);
    try {
      await api(`/api/contacts/${contactId}/company-suggestion/accept`, { method: 'POST' });
      setError(null);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const suggested = suggestion.data?.suggestion ?? null;
  return (
    <Section title={t('company.title')}>
      {company ? (
        <p data-testid="contact-company">
          <Link to={`/companies/${company.id}`}>{company.name}</Link>
        </p>
      ) : suggested ? (
        <div className="row wrap" data-testid="company-suggestion">
          <span className="grow">{t('company.suggested', { name: suggested.company.name, domain: suggested.domain })}</span>
          <button type="button" onClick={accept} disabled={busy}>
            {t('company.accept')}
          </button>
        </div>
      ) : (
        <p className="muted">{t('company.none')}</p>
      )}
      {error ? <ErrorNote error={error} /> : null}
    </Section>
  );
}

/** The hub's reply channels for this contact (GET /api/contacts/:id/reply-channels), again when its identities change. */
function useReplyOptions(contact: Contact): ReplyChannelOption[] | null {
  const [options, setOptions] = useState<ReplyChannelOption[] | null>(null);
  const identities = contact.identities.map((i) => `${i.kind}:${i.value}`).join('|');
  useEffect(() => {
    let live = true;
    api<ReplyChannelOption[]>(`/api/contacts/${contact.id}/reply-channels`).then(
      (o) => live && setOptions(o),
      () => live && setOptions([]),
    );
    return () => {
      live = false;
    };
  }, [contact.id, identities]);
  return options;
}

/** A channel's refusal code in the reader's language when the UI knows it, else the code itself. */
function refusalText(t: ReturnType<typeof useI18n>['t'], reason: string | undefined): string {
  const key = `composer.refusal.${reason ?? ''}` as MessageKey;
  const text = t(key);
  return text === key ? (reason ?? '') : text;
}

/** A channel's pre-approved templates: pick one, fill its parameters, see what the client will read. */
function TemplatePicker({ channel, onChange }: { channel: string; onChange: (picked: { template: MessageTemplate; text: string } | null) => void }) {
  const { t } = useI18n();
  const list = useAsync(() => api<MessageTemplateInfo[]>(`/api/channels/${encodeURIComponent(channel)}/templates`), [channel]);
  const [index, setIndex] = useState(0);
  const [params, setParams] = useState<string[]>([]);
  const tpl = list.data?.[index];
  useEffect(() => {
    const values = tpl ? Array.from({ length: tpl.params }, (_, i) => params[i] ?? '') : [];
    onChange(tpl && values.every((v) => v.trim()) ? { template: { name: tpl.name, language: tpl.language, params: values }, text: renderTemplate(tpl.text, values) } : null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tpl, params]);
  if (list.error) return <ErrorNote error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading />;
  if (!tpl) return <p className="muted">{t('composer.noTemplates')}</p>;
  return (
    <div className="stack" data-testid="composer-templates">
      <select
        value={index}
        onChange={(e) => {
          setIndex(Number(e.target.value));
          setParams([]);
        }}
        aria-label={t('composer.template')}
      >
        {list.data.map((x, i) => (
          <option key={`${x.name}:${x.language}`} value={i}>
            {x.name} ({x.language})
          </option>
        ))}
      </select>
      {Array.from({ length: tpl.params }, (_, i) => (
        <input
          key={i}
          aria-label={t('composer.templateParam', { n: i + 1 })}
          placeholder={t('composer.templateParam', { n: i + 1 })}
          value={params[i] ?? ''}
          onChange={(e) => setParams((p) => Object.assign([...p], { [i]: e.target.value }))}
        />
      ))}
      <p className="tl-text" data-testid="template-preview">
        {renderTemplate(tpl.text, params)}
      </p>
    </div>
  );
}
