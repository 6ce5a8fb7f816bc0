import { normalizeEmail, normalizePhone, type DealSource, type FormFieldTarget, type InboundEvent } from '@leadline/core';
import { createHash } from 'node:crypto';
import { KNOWN_FIELDS, suggestFieldTarget } from './form-fields';
import { flattenSiteBuilderBody } from './site-builders';

/** A file posted with a form, stored like email attachments (served by GET /api/attachments/:id). */
export interface FormAttachmentRef {
  id: string;
  filename: string | null;
  contentType: string;
  size: number;
  stored: boolean;
}

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
  /** The form's field mapping when it was received (incoming name, lower case → lead field). */
  fieldMap?: Record<string, FormFieldTarget>;
  /** Files posted with the form (multipart), already stored. */
  attachments?: FormAttachmentRef[];
  /** Sent from the form preview in Settings: a real lead, left out of reports. */
  test?: boolean;
}

export class FormValidationError extends Error {
  constructor(readonly fields: Record<string, string>) {
    super('invalid form submission');
  }
}

const PAGE_KEYS = ['page', 'page_url', 'pageurl', 'url', 'source_url'];
const REFERRER_KEYS = ['referrer', 'referer', 'document_referrer'];
const LANDING_KEYS = ['landing_page', 'landing'];
const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];
const CLICK_ID_KEYS = ['gclid', 'yclid', 'fbclid'];
/** Fields that steer our answer (redirect target, snippet timing, language), never lead data. */
export const CONTROL_FIELDS = ['_next', 'redirect', '_fill_ms', '_lang'];

const FIRST_NAME = ['first_name', 'firstname', 'first-name'];
const LAST_NAME = ['last_name', 'lastname', 'last-name'];
/** Names that say something about the form or the visit, never about the person. */
const NOT_GUESSED = new Set([...PAGE_KEYS, ...REFERRER_KEYS, ...LANDING_KEYS, ...UTM_KEYS, ...CLICK_ID_KEYS, 'form_name', 'form_id', 'formid', 'formname', 'tranid', ...FIRST_NAME, ...LAST_NAME]);

/** Fields that describe the visit (page, referrer, ad tags), never the person: not offered for mapping. */
export function isAttributionField(name: string): boolean {
  const k = name.trim().toLowerCase();
  return [...PAGE_KEYS, ...REFERRER_KEYS, ...LANDING_KEYS, ...UTM_KEYS, ...CLICK_ID_KEYS].includes(k) || k.startsWith('meta_');
}

const LIMITS = { name: 200, value: 10_000 };

/**
 * Turns a verified form post into an intake event. Understands site-builder payloads (Tilda,
 * Elementor, Contact Form 7), the form's own field mapping, and common English and Russian field
 * names; keeps every other field; takes UTM tags and click ids from the body or the page URLs.
 * Throws FormValidationError when there is neither a valid phone nor email.
 */
export function mapFormSubmission(s: FormSubmission, defaultRegion: string): InboundEvent {
  const fields = flatten(flattenSiteBuilderBody(s.body));
  const used = new Set<string>([s.honeypotField.toLowerCase(), ...CONTROL_FIELDS]);
  const take = (keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = fields.get(k);
      if (v !== undefined && v !== '' && !used.has(k)) {
        used.add(k);
        return v;
      }
    }
    return undefined;
  };
  // The admin's mapping first, then the names we know, then a guess from the words of the name.
  const fieldMap = s.fieldMap ?? {};
  const unmapped = (k: string) => !(k in fieldMap);
  const guessable = (k: string) => unmapped(k) && !NOT_GUESSED.has(k) && !k.startsWith('_') && !k.startsWith('meta_');
  const byTarget = (target: FormFieldTarget): string | undefined => {
    const mapped = Object.entries(fieldMap)
      .filter(([, t]) => t === target)
      .map(([k]) => k);
    return take(mapped) ?? take(KNOWN_FIELDS[target].filter(unmapped)) ?? take([...fields.keys()].filter((k) => guessable(k) && suggestFieldTarget(k) === target));
  };
  const phoneRaw = byTarget('phone');
  const emailRaw = byTarget('email');
  let name = byTarget('name');
  if (!name) {
    const first = take(FIRST_NAME);
    const last = take(LAST_NAME);
    name = [first, last].filter(Boolean).join(' ') || undefined;
  }
  const message = byTarget('message');
  const company = byTarget('company');
  const page = take(PAGE_KEYS) ?? s.referrer ?? undefined;
  const referrer = take(REFERRER_KEYS);
  const landing = take(LANDING_KEYS);

  const phone = phoneRaw ? normalizePhone(phoneRaw, defaultRegion) : null;
  const email = emailRaw ? normalizeEmail(emailRaw) : null;
  if (!phone && !email) {
    const errors: Record<string, string> = {};
    errors.phone = phoneRaw ? 'not a valid phone number' : 'a phone or an email is required';
    errors.email = emailRaw ? 'not a valid email address' : 'a phone or an email is required';
    throw new FormValidationError(errors);
  }

  // Tags from the body (the snippet keeps the landing page's), else from the landing page, else the page.
  const urls = [landing, page].filter((u): u is string => !!u).map(queryOf);
  const fromUrls = (k: string) => urls.map((q) => q?.get(k)).find((v) => v) ?? undefined;
  const utm: Record<string, string> = {};
  for (const k of UTM_KEYS) {
    const v = fields.get(k) || fromUrls(k);
    if (v) utm[k.slice(4)] = v.slice(0, 500);
    used.add(k);
  }
  const clickIds: Record<string, string> = {};
  for (const k of CLICK_ID_KEYS) {
    const v = fields.get(k) || fromUrls(k);
    if (v) clickIds[k] = v.slice(0, 500);
    used.add(k);
  }

  const extra: Record<string, string> = {};
  if (company) extra.company = company;
  for (const [k, v] of fields) if (!used.has(k)) extra[k] = v;

  // Tilda numbers each submission (tranid) and may send it again: the same lead.
  const tranid = fields.get('tranid');
  const idempotencyKey = s.idempotencyKey || (tranid ? `tilda:${tranid}` : null);

  const source: DealSource = {
    formId: s.formId,
    formName: s.formName,
    ...(Object.keys(utm).length ? { utm } : {}),
    ...(Object.keys(clickIds).length ? { clickIds } : {}),
    ...(page ? { page: page.slice(0, 2000) } : {}),
    ...(referrer ? { referrer: referrer.slice(0, 2000) } : {}),
    ...(landing ? { landing: landing.slice(0, 2000) } : {}),
    ...(s.test ? { test: true } : {}),
  };
  const attachments = s.attachments ?? [];
  return {
    channel: 'web_form',
    externalId: idempotencyKey ? `key:${s.formId}:${idempotencyKey}` : `sub:${s.submissionId}`,
    dedupeKey: idempotencyKey ? undefined : `${s.formId}:${contentHash(s)}`,
    occurredAt: new Date(s.receivedAt),
    contact: {
      name: name?.slice(0, LIMITS.name) ?? null,
      // An unreadable phone next to a valid email still goes to the core, which keeps it as typed.
      phones: phoneRaw ? [phoneRaw] : [],
      emails: email ? [email] : [],
    },
    message: message || attachments.length ? { text: message ?? null, ...(attachments.length ? { details: { attachments } } : {}) } : null,
    source,
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
  const skip = new Set([s.honeypotField.toLowerCase(), ...CONTROL_FIELDS]);
  const entries = [...flatten(s.body)].filter(([k]) => !skip.has(k)).sort(([a], [b]) => a.localeCompare(b));
  const files = (s.attachments ?? []).map((a) => `${a.filename}:${a.size}`);
  return createHash('sha256').update(JSON.stringify(files.length ? [entries, files] : entries)).digest('hex').slice(0, 32);
}
