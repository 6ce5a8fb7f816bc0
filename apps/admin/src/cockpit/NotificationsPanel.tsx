import { useEffect, useRef, useState } from 'react';
import { api, type Notification } from '../api';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import { desktopEnabled, desktopSupported, disableDesktop, enableDesktop, setSound, soundEnabled } from './desktopNotices';
import { noticeText } from './notices';

/** GET /api/notifications answers each notice with its contact's name (the shared contract type). */
export type ListedNotification = Notification;

/**
 * The bell: unread count, and a panel listing my notices (unread first in bold), "mark all read" in
 * one request, and the switches for desktop notices (asked from this visible control) and sound.
 */
export function NotificationsBell({ unread, onUnreadChange }: { unread: number; onUnreadChange: (n: number) => void }) {
  const { t, dateTime } = useI18n();
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<ListedNotification[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [desktop, setDesktop] = useState(desktopEnabled());
  const [sound, setSoundState] = useState(soundEnabled());
  const [denied, setDenied] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  const load = async () => {
    try {
      setItems(await api<ListedNotification[]>('/api/notifications?limit=30'));
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  useEffect(() => {
    if (open) void load();
  }, [open, unread]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (!panel.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  const markRead = async (ids?: string[]) => {
    try {
      const { read } = await api<{ read: number }>('/api/notifications/read', { body: ids ? { ids } : {} });
      onUnreadChange(Math.max(0, unread - read));
      const at = new Date().toISOString();
      setItems((list) => list?.map((n) => (!ids || ids.includes(n.id) ? { ...n, readAt: n.readAt ?? at } : n)) ?? null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const openNotice = (n: ListedNotification) => {
    if (!n.readAt) void markRead([n.id]);
    const contactId = n.payload.contactId;
    if (typeof contactId === 'string') {
      setOpen(false);
      navigate(`/contacts/${contactId}`);
    }
  };
  const toggleDesktop = async () => {
    if (desktop) {
      disableDesktop();
      setDesktop(false);
      return;
    }
    const permission = await enableDesktop();
    setDesktop(permission === 'granted');
    setDenied(permission === 'denied');
  };

  return (
    <div className="bell">
      <button
        ref={button}
        type="button"
        className="icon-button"
        aria-expanded={open}
        aria-haspopup="true"
        aria-label={unread > 0 ? `${t('notices.title')}: ${t('inbox.newBadge', { n: unread })}` : t('notices.title')}
        onClick={() => setOpen((o) => !o)}
        data-testid="bell"
      >
        <BellIcon />
        {unread > 0 && (
          <span className="badge" data-testid="unread-badge">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div ref={panel} className="card notices-panel" role="region" aria-label={t('notices.title')} data-testid="notices">
          <div className="card-head">
            <h2>{t('notices.title')}</h2>
            <button type="button" onClick={() => markRead()} disabled={unread === 0} data-testid="mark-all-read">
              {t('notices.markAll')}
            </button>
          </div>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          {!items ? null : items.length === 0 ? (
            <p className="muted">{t('notices.empty')}</p>
          ) : (
            <ul className="list notices-list">
              {items.map((n) => (
                <li key={n.id} className={n.readAt ? 'notice' : 'notice unread'} data-testid="notice" data-unread={n.readAt ? undefined : 'true'}>
                  <button type="button" className="notice-open" onClick={() => openNotice(n)}>
                    <span className="grow">{noticeText(n, t)}</span>
                    <time className="muted small" dateTime={n.createdAt}>
                      {dateTime(n.createdAt)}
                    </time>
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="notice-prefs">
            {desktopSupported() && (
              <label className="check">
                <input type="checkbox" checked={desktop} onChange={toggleDesktop} data-testid="desktop-toggle" />
                {t('notices.desktop')}
              </label>
            )}
            {denied && <p className="muted small">{t('notices.desktopDenied')}</p>}
            <label className="check">
              <input
                type="checkbox"
                checked={sound}
                onChange={() => {
                  setSound(!sound);
                  setSoundState(!sound);
                }}
              />
              {t('notices.sound')}
            </label>
          </div>
        </div>
      )}
    </div>
  );
}

/** Drawn, not an emoji: phones and servers without an emoji font would show a box. */
function BellIcon() {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}
