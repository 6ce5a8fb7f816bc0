import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, setUnauthorizedHandler, type Manager, type Notification, type User } from './api';
import { takeBoot } from './boot';
import { InboxProvider, useInbox } from './cockpit/inboxStore';
import { NotificationsBell } from './cockpit/NotificationsPanel';
import { chime, showDesktop } from './cockpit/desktopNotices';
import { noticeText } from './cockpit/notices';
import { INBOX_EVENT, NOTIFICATION_EVENT, STREAM_OPEN_EVENT } from './hooks';
import { useI18n, type Lang } from './i18n';
import { InboxPage } from './pages/InboxPage';
import { LoginPage } from './pages/LoginPage';
import { Link, navigate, useRoute } from './router';
import { SessionContext, type Session } from './session';
import { Loading } from './ui';

// The inbox (the first screen) ships in the main bundle; other pages load when first opened, so a
// phone on a slow network shows the inbox sooner.
const CompaniesPage = lazy(() => import('./pages/CompaniesPage').then((m) => ({ default: m.CompaniesPage })));
const CompanyPage = lazy(() => import('./pages/CompanyPage').then((m) => ({ default: m.CompanyPage })));
const ContactPage = lazy(() => import('./pages/ContactPage').then((m) => ({ default: m.ContactPage })));
const ContactsPage = lazy(() => import('./pages/ContactsPage').then((m) => ({ default: m.ContactsPage })));
const DealsPage = lazy(() => import('./pages/DealsPage').then((m) => ({ default: m.DealsPage })));
const ReportsPage = lazy(() => import('./pages/ReportsPage').then((m) => ({ default: m.ReportsPage })));
const SettingsPage = lazy(() => import('./pages/SettingsPage').then((m) => ({ default: m.SettingsPage })));
const TasksPage = lazy(() => import('./pages/TasksPage').then((m) => ({ default: m.TasksPage })));

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  useEffect(() => {
    setUnauthorizedHandler(() => setUser(null));
    (takeBoot<User>('me')?.then((a) => a.value) ?? api<User>('/api/auth/me')).then(setUser, () => setUser(null));
    return () => setUnauthorizedHandler(null);
  }, []);
  if (user === undefined) return <Loading />;
  if (!user) return <LoginPage onLogin={setUser} />;
  return <Shell user={user} onLogout={() => setUser(null)} />;
}

function Shell({ user, onLogout }: { user: User; onLogout: () => void }) {
  const { t, lang, setLang } = useI18n();
  const { path } = useRoute();
  const [managers, setManagers] = useState<Manager[]>([]);
  const [unread, setUnread] = useState(0);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    if (user.role !== 'admin') return;
    api<Manager[]>('/api/managers').then(setManagers, () => setManagers([]));
  }, [user.role]);

  // The latest t, for the event handler registered once.
  const tRef = useRef(t);
  tRef.current = t;
  useEffect(() => {
    const countUnread = () => api<Notification[]>('/api/notifications?unread=true&limit=500').then((n) => setUnread(n.length), () => undefined);
    void countUnread();
    // The browser reconnects by itself (the hub sends retry: 5000).
    const source = new EventSource('/api/events?inbox=1', { withCredentials: true });
    source.addEventListener('open', () => {
      void countUnread();
      window.dispatchEvent(new CustomEvent(STREAM_OPEN_EVENT));
    });
    source.addEventListener('notification', (ev) => {
      const notice = JSON.parse((ev as MessageEvent).data) as Notification;
      setUnread((n) => n + 1);
      chime();
      const contactId = typeof notice.payload.contactId === 'string' ? notice.payload.contactId : null;
      showDesktop(tRef.current('appName'), noticeText(notice, tRef.current), notice.id, () => contactId && navigate(`/contacts/${contactId}`));
      window.dispatchEvent(new CustomEvent(NOTIFICATION_EVENT, { detail: notice }));
    });
    source.addEventListener('inbox', () => window.dispatchEvent(new CustomEvent(INBOX_EVENT)));
    return () => source.close();
  }, []);

  const session: Session = useMemo(
    () => ({
      user,
      managers,
      managerName: (id) => (id ? (id === user.id ? user.name : (managers.find((m) => m.id === id)?.name ?? null)) : null),
    }),
    [user, managers],
  );

  const logout = useCallback(async () => {
    try {
      await api('/api/auth/logout', { method: 'POST' });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    navigate('/', true);
    onLogout();
  }, [onLogout]);

  const nav: Array<[string, string]> = [
    ['/', t('nav.inbox')],
    ['/contacts', t('nav.contacts')],
    ['/companies', t('nav.companies')],
    ['/deals', t('nav.deals')],
    ['/tasks', t('nav.tasks')],
    ['/reports', t('nav.reports')],
  ];
  if (user.role === 'admin') nav.push(['/settings', t('nav.settings')]);
  const active = (to: string) => (to === '/' ? path === '/' : path.startsWith(to));
  const current = nav.find(([to]) => active(to));

  return (
    <SessionContext.Provider value={session}>
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <InboxProvider title={t('appName')}>
        <header className="topbar">
          <span className="brand">{t('appName')}</span>
          <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen((o) => !o)} data-testid="menu-button">
            <span aria-hidden="true">☰</span> {current?.[1] ?? t('nav.menu')}
          </button>
          <nav id="main-nav" aria-label="main" className={menuOpen ? 'open' : undefined}>
            {nav.map(([to, label]) => (
              <Link key={to} to={to} aria-current={active(to) ? 'page' : undefined} className={active(to) ? 'active' : undefined} onClick={() => setMenuOpen(false)}>
                {label}
                {to === '/' && <InboxCount />}
              </Link>
            ))}
          </nav>
          <div className="topbar-right">
            <NotificationsBell unread={unread} onUnreadChange={setUnread} />
            <label className="lang">
              <span className="sr-only">{t('language')}</span>
              <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t('language')} data-testid="lang">
                <option value="en">English</option>
                <option value="ru">Русский</option>
              </select>
            </label>
            <span className="who" title={t(`role.${user.role}`)}>
              {user.name}
            </span>
            <button type="button" onClick={logout}>
              {t('logout')}
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          <Suspense fallback={<Loading />}>
            <Route path={path} />
          </Suspense>
        </main>
      </InboxProvider>
    </SessionContext.Provider>
  );
}

/** How many leads wait for someone to act (the tab title shows the same number). */
function InboxCount() {
  const { t } = useI18n();
  const { count } = useInbox();
  if (count === 0) return null;
  return (
    <span className="badge" data-testid="inbox-count" aria-label={t('inbox.waiting', { n: count })}>
      {count}
    </span>
  );
}

function Route({ path }: { path: string }) {
  const contact = /^\/contacts\/([0-9a-f-]{36})$/i.exec(path);
  if (contact) return <ContactPage id={contact[1]} />;
  if (path.startsWith('/contacts')) return <ContactsPage />;
  const company = /^\/companies\/([0-9a-f-]{36})$/i.exec(path);
  if (company) return <CompanyPage id={company[1]} />;
  if (path.startsWith('/companies')) return <CompaniesPage />;
  if (path.startsWith('/deals')) return <DealsPage />;
  if (path.startsWith('/tasks')) return <TasksPage />;
  if (path.startsWith('/reports')) return <ReportsPage />;
  if (path.startsWith('/settings')) return <SettingsPage />;
  return <InboxPage />;
}
