import { simpleParser, type AddressObject, type HeaderValue } from 'mailparser';
import { decodeRawHeaders } from './raw-headers';

export interface MailAddress {
  address: string;
  name: string | null;
}

/** One attachment as parsed; `content` is kept out of receipts and stored (capped) in email_attachment. */
export interface ParsedAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  contentId: string | null;
  /** Inline part of an HTML body (cid: image), not something the sender attached for the reader. */
  inline: boolean;
  content: Buffer;
}

/** What a delivery-status report says about the message it reports on. */
export interface BounceInfo {
  originalMessageId: string | null;
  recipients: string[];
  status: string | null;
  diagnostic: string | null;
}

/** A parsed email reduced to what routing and the timeline need. JSON-serialisable except attachment content. */
export interface ParsedEmail {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: MailAddress | null;
  replyTo: MailAddress | null;
  to: string[];
  subject: string | null;
  text: string | null;
  html: string | null;
  date: string | null;
  /** Lower-cased header name → first value, only the ones classification reads. */
  headers: Record<string, string>;
  contentType: string | null;
  bounce: BounceInfo | null;
  attachments: ParsedAttachment[];
}

const CLASSIFY_HEADERS = ['auto-submitted', 'x-autoreply', 'x-autorespond', 'precedence', 'x-auto-response-suppress', 'list-id', 'x-failed-recipients', 'return-path', 'x-leadline-mailbox'];

/** Parses a raw RFC 5322 message: charsets (UTF-8, windows-1251, KOI8-R…), encoded words, raw 8-bit headers, MIME parts. */
export async function parseEmail(raw: Buffer | string): Promise<ParsedEmail> {
  const mail = await simpleParser(decodeRawHeaders(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8')), { skipTextToHtml: true, keepCidLinks: true });
  const headers: Record<string, string> = {};
  for (const name of CLASSIFY_HEADERS) {
    const v = mail.headers.get(name);
    if (v !== undefined) headers[name] = headerText(v);
  }
  const contentType = mail.headers.get('content-type');
  const attachments: ParsedAttachment[] = [];
  let bounce: BounceInfo | null = null;
  for (const a of mail.attachments) {
    const type = (a.contentType || 'application/octet-stream').toLowerCase();
    // Parts of a delivery report are the report itself, not files the client sent us.
    if (type === 'message/delivery-status' || type === 'message/global-delivery-status') {
      bounce = { ...(bounce ?? emptyBounce()), ...parseDeliveryStatus(a.content.toString('utf8')) };
      continue;
    }
    if (type === 'message/rfc822' || type === 'text/rfc822-headers' || type === 'message/global-headers') {
      const original = await simpleParser(a.content, { skipTextToHtml: true }).catch(() => null);
      const id = original?.messageId ?? /^message-id:\s*(<[^>]+>)/im.exec(a.content.toString('utf8'))?.[1] ?? null;
      bounce = { ...(bounce ?? emptyBounce()), originalMessageId: normalizeMessageId(id) };
      if (isReportContentType(contentType)) continue;
    }
    attachments.push({
      filename: a.filename ?? null,
      contentType: type,
      size: a.size ?? a.content.length,
      contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '') : null,
      inline: a.contentDisposition === 'inline' && !!a.contentId && a.related === true,
      content: a.content,
    });
  }
  const html = typeof mail.html === 'string' && mail.html.trim() ? mail.html : null;
  const text = mail.text?.trim() ? mail.text.replace(/\r\n/g, '\n').trim() : html ? htmlToText(html) : null;
  // mailparser shows message/delivery-status as text: read the report fields from there too.
  if (isReportContentType(contentType) || bounce) {
    const fromText = parseDeliveryStatus(text ?? '');
    bounce = bounce ?? emptyBounce();
    bounce = {
      originalMessageId: bounce.originalMessageId,
      recipients: bounce.recipients.length ? bounce.recipients : fromText.recipients ?? [],
      status: bounce.status ?? fromText.status ?? null,
      diagnostic: bounce.diagnostic ?? fromText.diagnostic ?? null,
    };
  }
  const fromAddress = firstAddress(mail.from)?.address ?? '';
  // A person may well write "undelivered" in a subject: the subject counts only on machine mail (null sender, Auto-Submitted).
  const machine = headers['return-path']?.trim() === '<>' || (!!headers['auto-submitted'] && headers['auto-submitted'].trim().toLowerCase() !== 'no');
  if (!bounce && (headers['x-failed-recipients'] || DAEMON_SENDER.test(fromAddress) || (machine && BOUNCE_SUBJECT.test(mail.subject ?? '')))) {
    bounce = plainBounce(text ?? '', headers['x-failed-recipients'] ?? null, normalizeMessageId(mail.messageId ?? null));
  }
  return {
    messageId: normalizeMessageId(mail.messageId ?? null),
    inReplyTo: normalizeMessageId(firstId(mail.inReplyTo)),
    references: messageIdList(mail.references),
    from: firstAddress(mail.from),
    replyTo: firstAddress(mail.replyTo),
    to: allAddresses(mail.to).map((a) => a.address),
    subject: mail.subject?.trim() || null,
    text,
    html,
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : null,
    headers,
    contentType: contentType ? headerText(contentType) : null,
    bounce,
    attachments,
  };
}

const DAEMON_SENDER = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@/i;
const BOUNCE_SUBJECT = /(undeliver|delivery status notification|delivery failure|failure notice|returned mail|mail delivery failed|не доставлено|недоставлен|ошибка доставки|возврат письма)/i;

/**
 * The common non-standard bounces (qmail "failure notice", Exim "Mail delivery failed", old
 * Exchange/Sendmail texts): the report is prose with the original message pasted below it. Reads
 * the failed recipients, the SMTP reason and the Message-ID of our message from the text.
 */
function plainBounce(text: string, failedRecipients: string | null, ownId: string | null): BounceInfo | null {
  const recipients = new Set<string>();
  for (const a of (failedRecipients ?? '').split(/[,\s]+/)) if (/@/.test(a)) recipients.add(a.replace(/[<>]/g, '').toLowerCase());
  // qmail: "<ghost@example.org>:" on its own line; Exim: the address indented under "failed:".
  for (const m of text.matchAll(/^\s*<([^<>\s]+@[^<>\s]+)>:?\s*$/gm)) recipients.add(m[1].toLowerCase());
  const exim = /following address(?:\(es\))? failed:\s*\n+((?:\s+\S+@\S+\s*\n?)+)/i.exec(text);
  if (exim) for (const a of exim[1].split(/\s+/)) if (/@/.test(a)) recipients.add(a.replace(/[<>]/g, '').toLowerCase());
  const diagnostic =
    /^.*\b[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\b.*$/m.exec(text)?.[0].trim() ??
    /^\s*<[^>]+>:\s*\n\s*(.+)$/m.exec(text)?.[1].trim() ??
    /^.*\b5\d\d\s+.+$/m.exec(text)?.[0].trim() ??
    null;
  const status = /\b([45]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1] ?? null;
  const ids = [...text.matchAll(/^\s*message-id:\s*(<[^>\s]+>)/gim)].map((m) => normalizeMessageId(m[1])).filter((id) => id && id !== ownId);
  if (!recipients.size && !diagnostic && !ids.length) return null;
  return { originalMessageId: ids[0] ?? null, recipients: [...recipients], status, diagnostic: diagnostic?.replace(/\s+/g, ' ').slice(0, 500) ?? null };
}

function emptyBounce(): BounceInfo {
  return { originalMessageId: null, recipients: [], status: null, diagnostic: null };
}

function isReportContentType(ct: HeaderValue | undefined): boolean {
  if (!ct) return false;
  const v = ct as { value?: string; params?: Record<string, string> };
  return v.value?.toLowerCase() === 'multipart/report';
}

/** RFC 3464 fields: Final-Recipient, Status, Diagnostic-Code (per-recipient blocks). */
function parseDeliveryStatus(body: string): Partial<BounceInfo> {
  const unfolded = body.replace(/\r?\n[ \t]+/g, ' ');
  const recipients = [...unfolded.matchAll(/^(?:final|original)-recipient:\s*(?:rfc822;)?\s*(.+)$/gim)].map((m) => m[1].trim().toLowerCase());
  const status = /^status:\s*(\S+)/im.exec(unfolded)?.[1] ?? null;
  const diagnostic = /^diagnostic-code:\s*(?:smtp;)?\s*(.+)$/im.exec(unfolded)?.[1]?.replace(/\s+/g, ' ').trim() ?? null;
  return { recipients: [...new Set(recipients)], status, diagnostic };
}

function headerText(v: HeaderValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => headerText(x as HeaderValue)).join(', ');
  if (v && typeof v === 'object' && 'value' in v) {
    const val = (v as { value: unknown }).value;
    if (typeof val === 'string') return val;
    if ('text' in v) return String((v as { text: unknown }).text);
  }
  if (v && typeof v === 'object' && 'text' in v) return String((v as { text: unknown }).text);
  return String(v);
}

/** `<id@host>` form, trimmed; null when empty. */
export function normalizeMessageId(id: string | null | undefined): string | null {
  if (!id) return null;
  const t = id.trim();
  if (!t) return null;
  const inner = /<([^>]+)>/.exec(t)?.[1] ?? t.replace(/^<|>$/g, '');
  return inner ? `<${inner.trim()}>` : null;
}

/** mailparser gives References as string | string[], sometimes several ids in one string. */
export function messageIdList(v: string | string[] | undefined | null): string[] {
  if (!v) return [];
  const parts = (Array.isArray(v) ? v : [v]).flatMap((s) => s.match(/<[^>]+>/g) ?? s.split(/\s+/));
  const out: string[] = [];
  for (const p of parts) {
    const id = normalizeMessageId(p);
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

function firstId(v: string | string[] | undefined): string | null {
  return messageIdList(v)[0] ?? null;
}

function allAddresses(v: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!v) return [];
  const out: MailAddress[] = [];
  const visit = (entries: Array<{ address?: string; name?: string; group?: unknown[] }>) => {
    for (const e of entries) {
      if (e.group) visit(e.group as typeof entries);
      else if (e.address) out.push({ address: e.address.trim().toLowerCase(), name: e.name?.trim() || null });
    }
  };
  for (const obj of Array.isArray(v) ? v : [v]) visit(obj.value);
  return out;
}

function firstAddress(v: AddressObject | AddressObject[] | undefined): MailAddress | null {
  return allAddresses(v)[0] ?? null;
}

/** Plain text for HTML-only mail: block ends become line breaks, tags and entities go. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head|title)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|blockquote)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'")
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/gi, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
