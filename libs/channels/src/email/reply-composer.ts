/** The client's message a reply answers, as the thread shows it. */
export interface QuotedMessage {
  text: string;
  /** Who wrote it: the client's name, address. */
  name: string | null;
  address: string | null;
  /** When they wrote it (their claimed Date when known, else when we received it). */
  at: Date;
}

const CYRILLIC = /[А-Яа-яЁё]/;

/**
 * The From display name of a manager's reply: a person at a company, as people expect mail from a
 * business to look ("Anna from Acme" <sales@acme.example>; Russian: "Анна, Ромашка"). Either part
 * alone when the other is unknown; null when neither is (the bare address).
 */
export function fromDisplayName(manager: string | null, company: string | null): string | null {
  const m = manager?.trim() || null;
  // A mailbox named by its address is no company name.
  const c = company?.trim() && !company.includes('@') ? company.trim() : null;
  if (m && c) return CYRILLIC.test(`${m}${c}`) ? `${m}, ${c}` : `${m} from ${c}`;
  return m ?? c;
}

/**
 * The reply's plain text and HTML with the client's last message quoted below it, as mail clients
 * do: "> " lines in text, a cite blockquote in HTML. The attribution line follows the language
 * of the quoted message. The manager's own text is escaped (it is text, never markup).
 */
export function composeReply(text: string, html: string | null, quote: QuotedMessage | null, timezone: string): { text: string; html: string } {
  const bodyHtml = html ?? textToHtml(text);
  if (!quote || !quote.text.trim()) return { text, html: bodyHtml };
  const who = [quote.name, quote.address ? `<${quote.address}>` : null].filter(Boolean).join(' ') || (CYRILLIC.test(quote.text) ? 'клиент' : 'the client');
  const attribution = CYRILLIC.test(quote.text)
    ? `${formatDate(quote.at, timezone, 'ru-RU')}, ${who} пишет:`
    : `On ${formatDate(quote.at, timezone, 'en-GB')}, ${who} wrote:`;
  const quotedLines = quote.text
    .replace(/\r\n?/g, '\n')
    .trim()
    .split('\n')
    .map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`))
    .join('\n');
  return {
    text: `${text}\n\n${attribution}\n${quotedLines}\n`,
    html:
      `<div>${bodyHtml}</div><br>` +
      `<div class="leadline_quote">${escapeHtml(attribution)}<br>` +
      `<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${textToHtml(quote.text.trim())}</blockquote></div>`,
  };
}

function formatDate(at: Date, timezone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: timezone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(at);
}

function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
