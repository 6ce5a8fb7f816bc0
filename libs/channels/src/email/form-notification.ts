import { htmlToText } from './email-parser';

/**
 * Site builders mail each form submission to the business. Their layouts, as they really arrive:
 * - "Label: value" lines (Tilda, Elementor's [all-fields], Bitrix templates, hand-made CF7 mails),
 *   in text or as HTML with <br> / <p>;
 * - an HTML table, one row per field: label cell, value cell (CF7 HTML mails, Bitrix, many themes);
 * - the label on its own line and the value under it (Yandex Forms, Bitrix's web-form module with
 *   "*****" rules, CF7's default "Message Body:" block);
 * - CF7's default "From: Name <email>" line.
 * This turns any of them into form fields with the keys the web-form mapper understands (name,
 * phone, email, message, page, utm_*), keeping every other field under its own label.
 */
const KEY_ALIASES: Record<string, string> = {
  name: 'name',
  имя: 'name',
  фио: 'name',
  'ваше имя': 'name',
  'имя посетителя': 'name',
  'имя и фамилия': 'name',
  'как вас зовут': 'name',
  'как к вам обращаться': 'name',
  'контактное лицо': 'name',
  'your name': 'name',
  'full name': 'name',
  'first and last name': 'name',
  'your-name': 'name',
  phone: 'phone',
  tel: 'phone',
  telephone: 'phone',
  телефон: 'phone',
  'ваш телефон': 'phone',
  'номер телефона': 'phone',
  'ваш номер телефона': 'phone',
  'контактный телефон': 'phone',
  'телефон для связи': 'phone',
  'мобильный телефон': 'phone',
  'phone number': 'phone',
  'your phone': 'phone',
  'your-phone': 'phone',
  'mobile phone': 'phone',
  email: 'email',
  'e-mail': 'email',
  почта: 'email',
  'эл. почта': 'email',
  'электронная почта': 'email',
  'адрес электронной почты': 'email',
  'ваш e-mail': 'email',
  'ваш email': 'email',
  'ваша почта': 'email',
  'your email': 'email',
  'your e-mail': 'email',
  'your-email': 'email',
  'email address': 'email',
  'e-mail address': 'email',
  message: 'message',
  сообщение: 'message',
  'ваше сообщение': 'message',
  'текст сообщения': 'message',
  'тело сообщения': 'message',
  комментарий: 'message',
  'комментарий к заказу': 'message',
  вопрос: 'message',
  'ваш вопрос': 'message',
  'your message': 'message',
  'your-message': 'message',
  'message body': 'message',
  comment: 'message',
  comments: 'message',
  question: 'message',
  страница: 'page',
  'page url': 'page',
  'url страницы': 'page',
  'адрес страницы': 'page',
  'страница отправки': 'page',
  'page': 'page',
  источник: 'utm_source',
  subject: 'subject',
  тема: 'subject',
  from: 'from',
  от: 'from',
};

/** Labels whose value may run over several lines (a free-text message). */
const MULTILINE_KEYS = new Set(['message']);

/** Lines that only draw a rule between blocks. */
const RULE = /^\s*([-=*_~]\s*){3,}\s*$/;
/** "Label: value" (the label has no URL slashes and does not start with a digit, so times and links are not labels). */
const LABEL_VALUE = /^\s*([^:\n]{1,80}?)\s*:(?!\d)\s*(.*)$/;
/** "Label - value" (Bitrix's "Дата - 23.11.2026"), only for labels we know. */
const LABEL_DASH_VALUE = /^\s*([^\n]{1,60}?)\s+[-–—]\s+(.+)$/;

/** `htmlText`: the HTML body through formHtmlToText (kept on the receipt, so a replay reads the same). */
export function parseFormNotification(text: string | null, htmlText?: string | null): Record<string, string> {
  const fromText = text ? parseLines(text) : {};
  if (!htmlText) return fromText;
  const fromHtml = parseLines(htmlText);
  // The one that reads more of what a lead needs wins; the HTML (its layout kept) on a tie.
  return score(fromHtml) >= score(fromText) ? fromHtml : fromText;
}

/** True when the fields name someone we can reach. */
export function hasContactField(fields: Record<string, string>): boolean {
  return !!(fields.phone || fields.email);
}

function score(fields: Record<string, string>): number {
  return ['name', 'phone', 'email', 'message'].filter((k) => fields[k]).length;
}

/** HTML of a notification as "label: value" lines: table rows of two cells become one line each. */
export function formHtmlToText(html: string): string {
  // A block element is a paragraph: a free-text answer ends with its <div> / <p>.
  const blocks = html.replace(/<(script|style|head|title)[^>]*>[\s\S]*?<\/\1>/gi, '').replace(/<\/(div|p)>/gi, '</$1>\n\n');
  const rows = blocks.replace(/<tr[^>]*>([\s\S]*?)<\/tr>/gi, (row, inner: string) => {
    const cells = [...inner.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/gi)].map((c) => htmlToText(c[1]).trim());
    const filled = cells.filter(Boolean);
    if (filled.length === 2) return `\n${filled[0].replace(/\s*:\s*$/, '')}: ${filled[1]}\n`;
    return `\n${filled.join(' ')}\n`;
  });
  return htmlToText(rows);
}

function labelKey(raw: string): { key: string; known: boolean } | null {
  const label = raw
    .trim()
    .replace(/^[*\-•\s]+/, '')
    .replace(/\s*\((required|обязательно|обязательное поле)\)\s*$/i, '')
    .replace(/[*?:\s]+$/, '')
    .trim()
    .toLowerCase();
  if (!label || /[/\\]/.test(label) || /^\d/.test(label)) return null;
  const alias = KEY_ALIASES[label];
  if (alias) return { key: alias, known: true };
  return { key: label.replace(/\s+/g, '_'), known: false };
}

function parseLines(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const set = (key: string, value: string) => {
    const v = value.trim();
    if (v && !fields[key]) fields[key] = v;
  };
  const lines = text.replace(/\r\n?/g, '\n').replace(/\u00a0/g, ' ').split('\n');
  // A label alone on its line waits for its value on the next non-empty line(s).
  let waiting: string | null = null;
  let continuing: string | null = null;
  for (const rawLine of lines) {
    const line = rawLine.trimEnd();
    if (RULE.test(line)) {
      // Bitrix puts a ***** rule between a question and its answer: a waiting label keeps waiting.
      continuing = null;
      continue;
    }
    if (!line.trim()) {
      // A blank line ends a message only once it has text (CF7 puts one between label and text).
      if (continuing && fields[continuing]) continuing = null;
      continue;
    }
    const alone = labelAlone(line);
    if (alone) {
      waiting = alone;
      continuing = null;
      continue;
    }
    if (waiting) {
      set(waiting, line);
      continuing = MULTILINE_KEYS.has(waiting) ? waiting : null;
      waiting = null;
      continue;
    }
    const pair = LABEL_VALUE.exec(line);
    const label = pair ? labelKey(pair[1]) : null;
    // Inside a message, "Please call me back tomorrow: after lunch" is more message, not a field.
    if (pair && label && !/^https?$/i.test(pair[1].trim()) && !(continuing && !label.known && pair[1].trim().split(/\s+/).length > 3)) {
      if (label.key === 'from') readFrom(pair[2], set);
      else if (pair[2].trim()) set(label.key, pair[2]);
      else if (MULTILINE_KEYS.has(label.key) || label.known) {
        waiting = label.key;
        continue;
      }
      continuing = MULTILINE_KEYS.has(label.key) ? label.key : null;
      continue;
    }
    const dash = LABEL_DASH_VALUE.exec(line);
    const dashLabel = dash ? labelKey(dash[1]) : null;
    if (dash && dashLabel?.known) {
      set(dashLabel.key, dash[2]);
      continuing = null;
      continue;
    }
    if (continuing) fields[continuing] = `${fields[continuing] ?? ''}\n${line.trim()}`.trim();
  }
  return fields;
}

/** A line that is only a known label ("Телефон", "Как вас зовут?", "Message Body:"). */
function labelAlone(line: string): string | null {
  const t = line.trim();
  if (t.length > 60) return null;
  const bare = /^([^:]+?)\s*:?\s*$/.exec(t);
  if (!bare) return null;
  const label = labelKey(bare[1]);
  if (!label?.known || label.key === 'from') return null;
  return label.key;
}

/** CF7's default "From: Anna Petrova <anna@example.com>". */
function readFrom(value: string, set: (key: string, value: string) => void): void {
  const m = /^\s*"?([^"<]*?)"?\s*<\s*([^<>\s]+@[^<>\s]+)\s*>\s*$/.exec(value);
  if (m) {
    set('name', m[1]);
    set('email', m[2]);
  } else if (/^[^\s@]+@[^\s@]+$/.test(value.trim())) set('email', value.trim());
}
