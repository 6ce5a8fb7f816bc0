import { phonesInText, type InboundEvent } from '@leadline/core';
import { FormValidationError, mapFormSubmission } from '../web-form/web-form.mapper';
import type { MailAddress } from './email-parser';
import { parseFormNotification } from './form-notification';

/** Longest message text kept on the timeline; the full body stays in the mailbox. */
export const MAX_TEXT_LENGTH = 20_000;

export interface StoredAttachmentRef {
  id: string;
  filename: string | null;
  contentType: string;
  size: number;
  /** False when the content was over the size cap (only its name, type and size are kept). */
  stored: boolean;
}

/**
 * An email as kept on its inbound receipt: enough to map it again on replay, without attachment
 * content or raw HTML (those live in email_message / email_attachment).
 */
export interface EmailReceipt {
  mailboxId: string;
  mailboxName: string;
  folder: string;
  uidValidity: number;
  uid: number;
  /** SHA-256 of the raw message (hex): the dedupe key of a message without a Message-ID. */
  contentHash: string;
  /** email_message row holding the raw HTML and the attachments. */
  emailId: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: MailAddress;
  replyTo: MailAddress | null;
  subject: string | null;
  text: string | null;
  html: boolean;
  date: string | null;
  attachments: StoredAttachmentRef[];
  /** A site-form notification (the sender is one of the mailbox's form senders). */
  form: boolean;
  /** A form notification's HTML body as "label: value" lines (formHtmlToText); null otherwise. */
  htmlText?: string | null;
  /** The email identity of the contact whose conversation this replies to (found by In-Reply-To / References). */
  threadEmail: string | null;
}

/**
 * Dedupe key: the Message-ID; without one, the mailbox and a hash of the message's bytes. (Its
 * place in the mailbox, UIDVALIDITY:UID, would change when the folder is rebuilt, and the rescan
 * would take the message a second time.)
 */
export function emailExternalId(r: Pick<EmailReceipt, 'messageId' | 'mailboxId' | 'contentHash'>): string {
  return r.messageId ?? `${r.mailboxId}:sha256:${r.contentHash}`;
}

/** Channel specifics kept on the activity (payload.details); core threads replies from messageId/references/mailboxId. */
function details(r: EmailReceipt): Record<string, unknown> {
  return {
    messageId: r.messageId,
    inReplyTo: r.inReplyTo,
    references: r.references,
    mailboxId: r.mailboxId,
    emailId: r.emailId,
    from: r.from.address,
    html: r.html,
    date: r.date,
    attachments: r.attachments,
  };
}

/** An email from a person (or a form notification) → intake event. Pure: unit-tested on the corpus. */
// The Date header is only the sender's claim (often hours off for delayed mail, missing in old
// mailers): it goes as occurredAt, which intake keeps as "sent at" and never uses for the SLA.
export function mapEmail(r: EmailReceipt, defaultRegion: string): InboundEvent {
  if (r.form) return mapFormEmail(r, defaultRegion);
  const sender = r.replyTo ?? r.from;
  const emails = [sender.address];
  if (r.threadEmail && !emails.includes(r.threadEmail)) emails.push(r.threadEmail);
  return {
    channel: 'email',
    kind: 'message',
    externalId: emailExternalId(r),
    occurredAt: claimedDate(r),
    contact: { name: sender.name ?? r.from.name ?? null, emails, phonesInText: phonesOf(withoutQuotedHistory(r.text), defaultRegion) },
    message: { subject: r.subject, text: r.text?.slice(0, MAX_TEXT_LENGTH) ?? null, details: details(r) },
    source: { formName: `Email (${r.mailboxName})` },
    fields: {},
  };
}

/**
 * A site-form notification: the key: value body becomes form fields, mapped by the web-form mapper
 * (same field names, phone/email validation, UTM tags), delivered as a lead of the email channel.
 */
function mapFormEmail(r: EmailReceipt, defaultRegion: string): InboundEvent {
  const fields: Record<string, string> = parseFormNotification(r.text, r.htmlText);
  // Most builders (CF7, Elementor, Tilda) set Reply-To to the address the client typed.
  if (!fields.email && r.replyTo && r.replyTo.address !== r.from.address) {
    fields.email = r.replyTo.address;
    if (!fields.name && r.replyTo.name) fields.name = r.replyTo.name;
  }
  const formName = `Site form by email (${r.from.address})`;
  let event: InboundEvent;
  try {
    event = mapFormSubmission(
      { formId: `email:${r.mailboxId}`, formName, submissionId: emailExternalId(r), honeypotField: '_gotcha', body: fields, receivedAt: r.date ?? '' },
      defaultRegion,
    );
  } catch (err) {
    if (err instanceof FormValidationError) return mapUnreadableForm(r, formName, defaultRegion);
    throw err;
  }
  return {
    ...event,
    channel: 'email',
    kind: 'lead',
    externalId: emailExternalId(r),
    occurredAt: claimedDate(r),
    dedupeKey: undefined,
    contact: { ...event.contact, phonesInText: phonesOf(fields.message, defaultRegion) },
    message: { subject: r.subject, text: event.message?.text ?? null, details: { ...details(r), form: true } },
    source: { ...withoutFormId(event.source), formName },
  };
}

/**
 * A form notification we cannot read (no phone or email in any layout we know) is still a lead:
 * the raw text goes on the timeline for a person to read, and EmailIntake tells the admins. A
 * failed receipt nobody looks at would lose the client.
 */
function mapUnreadableForm(r: EmailReceipt, formName: string, defaultRegion: string): InboundEvent {
  return {
    channel: 'email',
    kind: 'lead',
    externalId: emailExternalId(r),
    occurredAt: claimedDate(r),
    // Not below the "-- " line: a notification's footer is the site's own signature (its phone).
    contact: { name: null, phonesInText: phonesOf(r.text?.split(/^-- ?$/m)[0], defaultRegion) },
    message: { subject: r.subject, text: r.text?.slice(0, MAX_TEXT_LENGTH) ?? null, details: { ...details(r), form: true, unreadable: true } },
    source: { formName },
    fields: {},
  };
}

/** True for the lead of a form notification nobody could read (admins must be told). */
export function isUnreadableForm(event: InboundEvent): boolean {
  return event.message?.details?.unreadable === true;
}

function phonesOf(text: string | null | undefined, defaultRegion: string): string[] {
  return phonesInText(text, defaultRegion).map((p) => p.input);
}

// Where a reply's quoted history starts: "On … wrote:", "… написал(а):", Outlook's separator and header block.
const QUOTE_START = /^(>|on .{5,200} wrote:\s*$|.{5,200}(написал|написала|написал\(а\)|пишет):\s*$|-{2,}\s*(original message|исходное сообщение|forwarded message|пересылаемое сообщение)|(from|от|sent|отправлено):\s.+$)/i;

/** The text the person wrote now, without the history quoted below it (our own signature with our phone is there). */
export function withoutQuotedHistory(text: string | null | undefined): string {
  if (!text) return '';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (QUOTE_START.test(line.trim())) break;
    out.push(line);
  }
  return out.join('\n');
}

function claimedDate(r: EmailReceipt): Date | undefined {
  return r.date ? new Date(r.date) : undefined;
}

function withoutFormId<T extends { formId?: string }>(source: T | undefined): Omit<T, 'formId'> {
  const { formId: _formId, ...rest } = source ?? ({} as T);
  return rest;
}
