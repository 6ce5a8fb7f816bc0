import { normalizeEmail, normalizePhone, type InboundEvent } from '@leadline/core';
import { createHash } from 'node:crypto';

/** What the web-form endpoint stores for a submission: enough to map it again on replay. */
export interface FormSubmission {
  formId: string;
  formName: string;
  /** Random per request; the receipt's id when the sender gave no Idempotency-Key. */
  submissionId: string;
  idempotencyKey?: string | null;
  honeypotField: string;
  body: Record<string, unknown>;
  /** The Referer header: the page the form sits on, when the body does not say. */
  referrer?: string | null;
  receivedAt: string;
}

export class FormValidationError extends Error {
  constructor(readonly fields: Record<string, string>) {
    super('invalid form submission');
  }
}

const NAME_KEYS = ['name', 'full_name', 'fullname', 'fio', 'your-name', 'your_name', 'contact_name', 'client_name'];
const PHONE_KEYS = ['phone', 'tel', 'telephone', 'phone_number', 'phonenumber', 'mobile', 'your-phone', 'your_phone', 'whatsapp'];
const EMAIL_KEYS = ['email', 'e-mail', 'mail', 'your-email', 'your_email'];
const MESSAGE_KEYS = ['message', 'comment', 'comments', 'text', 'question', 'your-message', 'your_message', 'msg'];
const PAGE_KEYS = ['page', 'page_url', 'pageurl', 'url', 'source_url'];
const REFERRER_KEYS = ['referrer', 'referer', 'document_referrer'];
const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

const LIMITS = { name: 200, value: 10_000 };

/**
 * Turns a verified form post into an intake event. Knows the common field names of site builders
 * (name / phone / email / message), keeps every other field, and takes UTM tags from the body or
 * from the page URL. Throws FormValidationError when there is neither a valid phone nor email.
 */
export function mapFormSubmission(s: FormSubmission, defaultRegion: string): InboundEvent {
  const fields = flatten(s.body);
  const used = new Set<string>([s.honeypotField.toLowerCase()]);
  const take = (keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = fields.get(k);
      if (v !== undefined && v !== '') {
        used.add(k);
        return v;
      }
    }
    return undefined;
  };
  let name = take(NAME_KEYS);
  if (!name) {
    const first = take(['first_name', 'firstname']);
    const last = take(['last_name', 'lastname']);
    name = [first, last].filter(Boolean).join(' ') || undefined;
  }
  const phoneRaw = take(PHONE_KEYS);
  const emailRaw = take(EMAIL_KEYS);
  const message = take(MESSAGE_KEYS);
  const page = take(PAGE_KEYS) ?? s.referrer ?? undefined;
  const referrer = take(REFERRER_KEYS);

  const phone = phoneRaw ? normalizePhone(phoneRaw, defaultRegion) : null;
  const email = emailRaw ? normalizeEmail(emailRaw) : null;
  if (!phone && !email) {
    const errors: Record<string, string> = {};
    errors.phone = phoneRaw ? 'not a valid phone number' : 'a phone or an email is required';
    errors.email = emailRaw ? 'not a valid email address' : 'a phone or an email is required';
    throw new FormValidationError(errors);
  }

  const utm: Record<string, string> = {};
  const pageParams = page ? queryOf(page) : null;
  for (const k of UTM_KEYS) {
    const v = fields.get(k) ?? pageParams?.get(k) ?? undefined;
    if (v) utm[k.slice(4)] = v.slice(0, 500);
    used.add(k);
  }

  const extra: Record<string, string> = {};
  for (const [k, v] of fields) if (!used.has(k)) extra[k] = v;

  return {
    channel: 'web_form',
    externalId: s.idempotencyKey ? `key:${s.formId}:${s.idempotencyKey}` : `sub:${s.submissionId}`,
    dedupeKey: s.idempotencyKey ? undefined : `${s.formId}:${contentHash(s)}`,
    occurredAt: new Date(s.receivedAt),
    contact: {
      name: name?.slice(0, LIMITS.name) ?? null,
      // An unreadable phone next to a valid email still goes to the core, which keeps it as typed.
      phones: phoneRaw ? [phoneRaw] : [],
      emails: email ? [email] : [],
    },
    message: message ? { text: message } : null,
    source: {
      formId: s.formId,
      formName: s.formName,
      ...(Object.keys(utm).length ? { utm } : {}),
      ...(page ? { page: page.slice(0, 2000) } : {}),
      ...(referrer ? { referrer: referrer.slice(0, 2000) } : {}),
    },
    fields: extra,
  };
}

/** Lower-cased keys, string values (arrays joined, nested objects as JSON), capped in length. */
function flatten(body: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    const k = key.trim().toLowerCase();
    const v = Array.isArray(value)
      ? value.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ')
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
    if (!out.has(k)) out.set(k, v.trim().slice(0, LIMITS.value));
  }
  return out;
}

function queryOf(url: string): URLSearchParams | null {
  try {
    return new URL(url).searchParams;
  } catch {
    return null;
  }
}

/** Same form + same fields (in any order) = same submission, whatever the request id. */
function contentHash(s: FormSubmission): string {
  const entries = [...flatten(s.body)].filter(([k]) => k !== s.honeypotField.toLowerCase()).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 32);
}
