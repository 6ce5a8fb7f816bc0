import type { WebForm } from '@leadline/core';

/**
 * The pages a visitor sees after a plain HTML form post (no JavaScript on the site): a thank-you
 * page or a readable error, in the visitor's language, with a way back to the site. Never JSON.
 */

export type VisitorLang = 'en' | 'ru';

/** The visitor's language from Accept-Language: the first of ru / en by preference, else English. */
export function visitorLang(acceptLanguage: string | undefined, override?: unknown): VisitorLang {
  if (override === 'ru' || override === 'en') return override;
  const prefs = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { lang: tag.split('-')[0], q: q === undefined ? 1 : Number(q), i };
    })
    .filter((p) => p.lang && p.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return prefs.find((p) => p.lang === 'ru' || p.lang === 'en')?.lang === 'ru' ? 'ru' : 'en';
}

export const DEFAULT_THANK_YOU: Record<VisitorLang, string> = {
  en: 'Thank you! We have received your request and will contact you soon.',
  ru: 'Спасибо! Мы получили вашу заявку и скоро с вами свяжемся.',
};

const TEXT = {
  en: {
    thanksTitle: 'Thank you',
    errorTitle: 'The form was not sent',
    back: 'Back to the site',
    backHint: 'Use your browser’s Back button to return to the form.',
    backToForm: 'Back to the form',
  },
  ru: {
    thanksTitle: 'Спасибо',
    errorTitle: 'Заявка не отправлена',
    back: 'Вернуться на сайт',
    backHint: 'Нажмите «Назад» в браузере, чтобы вернуться к форме.',
    backToForm: 'Вернуться к форме',
  },
} as const;

/** The reason a submission was refused, as the visitor should read it. */
export interface FormRefusal {
  status: number;
  error: string;
  fields?: Record<string, string>;
  origin?: string;
  formName?: string;
  retryAfter?: number;
  maxFileMb?: number;
}

export function refusalText(r: FormRefusal, lang: VisitorLang): string {
  const ru = lang === 'ru';
  switch (r.error) {
    case 'invalid':
      if (r.fields?.phone === 'not a valid phone number') {
        return ru ? 'Номер телефона указан неверно. Проверьте его или оставьте email.' : 'The phone number does not look right. Please check it or leave an email.';
      }
      if (r.fields?.email === 'not a valid email address') {
        return ru ? 'Email указан неверно. Проверьте его или оставьте телефон.' : 'The email address does not look right. Please check it or leave a phone number.';
      }
      if (r.fields?.phone || r.fields?.email) {
        return ru ? 'Укажите телефон или email, чтобы мы могли с вами связаться.' : 'Please give a phone number or an email so we can reach you.';
      }
      return ru ? 'Форма отправлена с ошибкой. Попробуйте ещё раз.' : 'The form could not be read. Please try again.';
    case 'forbidden':
      return ru
        ? `Форма «${r.formName ?? ''}» не принимает заявки с сайта ${r.origin ?? ''}.`
        : `The form “${r.formName ?? ''}” does not accept submissions from ${r.origin ?? 'this site'}.`;
    case 'not_found':
    case 'form_disabled':
      return ru ? 'Эта форма больше не принимает заявки.' : 'This form no longer accepts submissions.';
    case 'rate_limited':
      return ru
        ? `Слишком много заявок подряд. Попробуйте ещё раз через ${r.retryAfter ?? 60} с.`
        : `Too many submissions in a row. Please try again in ${r.retryAfter ?? 60} s.`;
    case 'payload_too_large':
      return ru
        ? `Заявка слишком большая${r.maxFileMb ? ` (файлы — до ${r.maxFileMb} МБ каждый)` : ''}.`
        : `The submission is too large${r.maxFileMb ? ` (files up to ${r.maxFileMb} MB each)` : ''}.`;
    case 'unsupported_media_type':
      return ru ? 'Форма отправлена в неподдерживаемом формате.' : 'The form was sent in a format we do not accept.';
    default:
      return ru ? 'Сейчас мы не можем принять заявку. Попробуйте через минуту.' : 'We cannot take your request right now. Please try again in a minute.';
  }
}

export function thankYouText(form: Pick<WebForm, 'thankYou'> | null, lang: VisitorLang): string {
  return form?.thankYou?.[lang] || DEFAULT_THANK_YOU[lang];
}

export function thankYouPage(form: WebForm, lang: VisitorLang, backUrl: string | null): string {
  const t = TEXT[lang];
  return page(lang, t.thanksTitle, thankYouText(form, lang), backUrl ? link(backUrl, t.back) : '');
}

export function errorPage(refusal: FormRefusal, lang: VisitorLang, backUrl: string | null): string {
  const t = TEXT[lang];
  return page(lang, t.errorTitle, refusalText(refusal, lang), backUrl ? link(backUrl, t.backToForm) : `<p class="hint">${esc(t.backHint)}</p>`);
}

/** Only http(s) pages are offered as the way back (a Referer could be anything). */
export function backUrlOf(referer: string | undefined): string | null {
  if (!referer) return null;
  try {
    const u = new URL(referer);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** The CSP of these pages: inline styles only, nothing runs. */
export const FORM_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function link(href: string, text: string): string {
  return `<p><a href="${esc(href)}">${esc(text)}</a></p>`;
}

function page(lang: VisitorLang, title: string, text: string, after: string): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)}</title>
<style>
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:32px;max-width:480px;margin:16px}
h1{font-size:22px;margin:0 0 12px}
a{color:#0969da}
.hint{color:#59636e;font-size:14px}
</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
<p>${esc(text)}</p>
${after}
</main>
</body>
</html>
`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
