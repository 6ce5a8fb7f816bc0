import { useState, type FormEvent } from 'react';
import { api, ApiError, type User } from '../api';
import { useI18n, type Lang } from '../i18n';

export function LoginPage({ onLogin }: { onLogin: (u: User) => void }) {
  const { t, lang, setLang } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await api<{ user: User }>('/api/auth/login', { body: { email, password } });
      onLogin(res.user);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 429 ? t('login.rateLimited') : err instanceof ApiError && err.status === 401 ? t('login.failed') : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form onSubmit={submit} className="card login-card" aria-labelledby="login-title">
        <h1 id="login-title">{t('login.title')}</h1>
        <label>
          {t('login.email')}
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} name="email" autoFocus />
        </label>
        <label>
          {t('login.password')}
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} name="password" />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {t('login.submit')}
        </button>
        <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t('language')} data-testid="lang">
          <option value="en">English</option>
          <option value="ru">Русский</option>
        </select>
      </form>
    </main>
  );
}
