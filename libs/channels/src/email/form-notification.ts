/**
 * Site builders (Tilda, WordPress Contact Form 7, Wix, Bitrix…) mail form submissions to the
 * business as "Key: value" lines. This turns such a body into form fields with the keys the web-form
 * mapper understands, so the lead looks as if the form had posted directly.
 */
const KEY_ALIASES: Record<string, string> = {
  имя: 'name',
  фио: 'name',
  'ваше имя': 'name',
  'your name': 'name',
  'full name': 'name',
  телефон: 'phone',
  'ваш телефон': 'phone',
  'номер телефона': 'phone',
  'phone number': 'phone',
  'your phone': 'phone',
  почта: 'email',
  'эл. почта': 'email',
  'электронная почта': 'email',
  'e-mail': 'email',
  'your email': 'email',
  'email address': 'email',
  сообщение: 'message',
  комментарий: 'message',
  вопрос: 'message',
  'your message': 'message',
  comment: 'message',
  страница: 'page',
  'page url': 'page',
  'url страницы': 'page',
  'источник': 'utm_source',
};

const LINE = /^\s*([^:\n]{1,60}?)\s*:\s*(.*)$/;

export function parseFormNotification(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let lastKey: string | null = null;
  for (const rawLine of text.replace(/\r\n/g, '\n').split('\n')) {
    const line = rawLine.replace(/\u00a0/g, ' ');
    const m = LINE.exec(line);
    // "https://…" and times look like keys; a key has no slash and does not start with a digit.
    if (m && !/[/\\]/.test(m[1]) && !/^\d/.test(m[1].trim())) {
      const label = m[1].trim().replace(/^[*\-•]\s*/, '').toLowerCase();
      const key = KEY_ALIASES[label] ?? label.replace(/\s+/g, '_');
      const value = m[2].trim();
      if (!(key in fields) || !fields[key]) fields[key] = value;
      lastKey = key;
    } else if (lastKey && line.trim() && fields[lastKey] !== undefined && lastKey === 'message') {
      // A multi-line message continues on the following lines.
      fields[lastKey] = `${fields[lastKey]}\n${line.trim()}`.trim();
    } else if (!line.trim()) {
      lastKey = null;
    }
  }
  for (const k of Object.keys(fields)) if (!fields[k]) delete fields[k];
  return fields;
}
