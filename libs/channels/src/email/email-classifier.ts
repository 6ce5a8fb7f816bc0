import type { ParsedEmail } from './email-parser';

/**
 * What an incoming email is, before any database work:
 * - own: one of our mailboxes sent it (a copy, a loop) — ignored;
 * - bounce: a delivery failure report — shown on the contact it belongs to, never a lead;
 * - auto_reply: out-of-office and other machine answers (RFC 3834) — ignored;
 * - form: a site-form notification from a configured sender — parsed into a form lead;
 * - message: a person wrote to us — a lead or a message on their open deal.
 */
export type EmailClass = 'own' | 'bounce' | 'auto_reply' | 'form' | 'message';

export interface ClassifyContext {
  /** Addresses of all our mailboxes (lower case). */
  ownAddresses: string[];
  /** Senders whose mail is a site-form notification for this mailbox (lower case). */
  formSenders: string[];
}

const DAEMON_LOCAL_PARTS = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)$/i;
const AUTO_PRECEDENCE = /^(bulk|junk|list|auto_reply|auto-reply)$/i;
const AUTO_SUBJECT = /^(auto(matic)?[ -]?reply|out of (the )?office|автоответ|автоматический ответ|отсутствую|я в отпуске)\b/i;

export function classifyEmail(mail: ParsedEmail, ctx: ClassifyContext): { kind: EmailClass; reason: string } {
  const from = mail.from?.address ?? '';
  if (from && ctx.ownAddresses.includes(from)) return { kind: 'own', reason: `sent from our mailbox ${from}` };
  if (mail.headers['x-leadline-mailbox']) return { kind: 'own', reason: 'carries our X-Leadline-Mailbox header' };

  const localPart = from.split('@')[0] ?? '';
  const reportType = /multipart\/report/i.test(mail.contentType ?? '');
  if (mail.bounce || reportType || DAEMON_LOCAL_PARTS.test(localPart) || mail.headers['x-failed-recipients']) {
    return { kind: 'bounce', reason: mail.bounce?.status ? `delivery status ${mail.bounce.status}` : `delivery report from ${from || 'unknown sender'}` };
  }

  const autoSubmitted = mail.headers['auto-submitted']?.trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return { kind: 'auto_reply', reason: `Auto-Submitted: ${autoSubmitted}` };
  if (mail.headers['x-autoreply'] !== undefined || mail.headers['x-autorespond'] !== undefined) return { kind: 'auto_reply', reason: 'X-Autoreply header' };
  const precedence = mail.headers['precedence']?.trim();
  if (precedence && AUTO_PRECEDENCE.test(precedence)) return { kind: 'auto_reply', reason: `Precedence: ${precedence}` };
  // An empty Return-Path (<>) is how RFC 5321 marks machine-generated mail; with an auto-reply subject it is one.
  if (mail.headers['return-path']?.trim() === '<>' && AUTO_SUBJECT.test(mail.subject ?? '')) return { kind: 'auto_reply', reason: 'null sender with an auto-reply subject' };

  if (from && ctx.formSenders.includes(from)) return { kind: 'form', reason: `form notification sender ${from}` };
  if (!from) return { kind: 'auto_reply', reason: 'no sender address' };
  return { kind: 'message', reason: 'from a person' };
}
