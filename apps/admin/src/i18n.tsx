import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { en } from './i18n.en';
import { ru } from './i18n.ru';

export type Lang = 'en' | 'ru';
export type MessageKey = keyof typeof en;
export const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = { en, ru };
const STORAGE_KEY = 'leadline.lang';

/** The remembered language, else the browser's (Russian for ru-*), else English. */
export function initialLang(storage: Pick<Storage, 'getItem'> | null = safeStorage(), languages: readonly string[] = navigator.languages ?? []): Lang {
  const saved = storage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'ru') return saved;
  return languages.some((l) => l.toLowerCase().startsWith('ru')) ? 'ru' : 'en';
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** "{n} leads" with vars filled in; unknown keys show as themselves so a gap is visible, not blank. */
export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  let text = DICTIONARIES[lang][key] ?? DICTIONARIES.en[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(String(v));
  return text;
}

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  /** Dates and times in the UI language. */
  dateTime: (iso: string) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => initialLang());
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((l: Lang) => {
    safeStorage()?.setItem(STORAGE_KEY, l);
    setLangState(l);
  }, []);
  const t = useCallback((key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars), [lang]);
  const dateTime = useCallback(
    (iso: string) => new Date(iso).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }),
    [lang],
  );
  return <I18nContext.Provider value={{ lang, setLang, t, dateTime }}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
