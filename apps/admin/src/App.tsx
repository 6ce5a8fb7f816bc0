import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError, setUnauthorizedHandler, type Manager, type Notification, type User } from './api';
import { NOTIFICATION_EVENT } from './hooks';
import { useI18n, type Lang } from './i18n';
import { CompaniesPage } from './pages/CompaniesPage';
import { CompanyPage } from './pages/CompanyPage';
import { ContactPage } from './pages/ContactPage';
import { ContactsPage } from './pages/ContactsPage';
import { DealsPage } from './pages/DealsPage';
import { InboxPage } from './pages/InboxPage';
import { LoginPage } from './pages/LoginPage';
import { ReportsPage } from './pages/ReportsPage';
import { SettingsPage } from './pages/SettingsPage';
import { TasksPage } from './pages/TasksPage';
import { Link, navigate, useRoute } from './router';
import { SessionContext, type Session } from './session';
import { Loading } from './ui';

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  useEffect(() => {
    setUnauthorizedHandler(() => setUser(null));
    api<User>('/api/auth/me').then(setUser, () => setUser(null));
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

  useEffect(() => {
    if (user.role !== 'admin') return;
    api<Manager[]>('/api/managers').then(setManagers, () => setManagers([]));
  }, [user.role]);

  useEffect(() => {
    api<Notification[]>('/api/notifications?unread=true&limit=100').then((n) => setUnread(n.length), () => undefined);
    // The browser reconnects by itself (the hub sends retry: 5000).
    const source = new EventSource('/api/events', { withCredentials: true });
    source.addEventListener('notification', (ev) => {
      setUnread((n) => n + 1);
      chime();
      window.dispatchEvent(new CustomEvent(NOTIFICATION_EVENT, { detail: JSON.parse((ev as MessageEvent).data) }));
    });
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

  const markSeen = useCallback(async () => {
    const list = await api<Notification[]>('/api/notifications?unread=true&limit=100');
    await Promise.all(list.map((n) => api(`/api/notifications/${n.id}/read`, { method: 'POST' })));
    setUnread(0);
  }, []);

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

  return (
    <SessionContext.Provider value={session}>
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <span className="brand">{t('appName')}</span>
        <nav aria-label="main">
          {nav.map(([to, label]) => (
            <Link key={to} to={to} aria-current={active(to) ? 'page' : undefined} className={active(to) ? 'active' : undefined}>
              {label}
              {to === '/' && unread > 0 && (
                <span className="badge" data-testid="unread-badge" aria-label={t('inbox.newBadge', { n: unread })}>
                  {unread}
                </span>
              )}
            </Link>
          ))}
        </nav>
        <div className="topbar-right">
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
        <Route path={path} onSeen={markSeen} />
      </main>
    </SessionContext.Provider>
  );
}

function Route({ path, onSeen }: { path: string; onSeen: () => void }) {
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
  return <InboxPage onSeen={onSeen} />;
}

/** A short, quiet two-note chime for a new notice (no audio file: nothing to fetch, CSP stays strict). */
function chime(): void {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    const gain = ctx.createGain();
    gain.gain.value = 0.04;
    gain.connect(ctx.destination);
    [880, 1320].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start(ctx.currentTime + i * 0.12);
      osc.stop(ctx.currentTime + i * 0.12 + 0.1);
    });
    setTimeout(() => void ctx.close(), 600);
  } catch {
    // Sound is a nicety; browsers may refuse audio before a user gesture.
  }
}
