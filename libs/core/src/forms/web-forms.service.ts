import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FORM_FIELD_TARGETS, WebForm, type FormFieldTarget, type FormThankYou } from '../entities';
import { DomainError } from '../errors/domain-error';
import { execute, queryRows } from '../database/query-rows';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

export interface WebFormInput {
  name?: string;
  active?: boolean;
  allowedOrigins?: string[];
  honeypotField?: string;
  rateLimitPerMinute?: number;
  successUrl?: string | null;
  thankYou?: FormThankYou;
  fieldMap?: Record<string, string>;
  minFillSeconds?: number;
}

/** An origin that posted to a form (or tried to): what an owner tightens the allowed list from. */
export type FormOriginSeen = Wire.FormOriginSeen;

/** Distinct origins kept per form; beyond it new ones are not recorded (a flood of forged Origin headers). */
const MAX_ORIGINS_PER_FORM = 200;

// Forms change rarely and are read on every post: keep them briefly. Changes made through this
// process are seen at once; another hub process sees them within this time.
const FORM_CACHE_MS = 5_000;

/** Web forms: each has a public key used in its endpoint URL. */
@Injectable()
export class WebFormsService {
  private readonly byKey = new Map<string, { form: WebForm | null; until: number }>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  list(): Promise<WebForm[]> {
    return this.db.getRepository(WebForm).find({ order: { createdAt: 'ASC' } });
  }

  async get(id: string): Promise<WebForm> {
    const f = await this.db.getRepository(WebForm).findOne({ where: { id } });
    if (!f) throw DomainError.notFound('web form');
    return f;
  }

  async findActiveByKey(key: string): Promise<WebForm | null> {
    const form = await this.findByKey(key);
    return form?.active ? form : null;
  }

  /** The form with this key, disabled ones too (their endpoint says "disabled", not "unknown"). */
  async findByKey(key: string): Promise<WebForm | null> {
    const now = Date.now();
    const cached = this.byKey.get(key);
    if (cached && cached.until > now) return cached.form;
    const form = await this.db.getRepository(WebForm).findOne({ where: { key } });
    // Unknown keys are cached too (briefly), so a flood of bad keys does not reach the database.
    if (this.byKey.size > 10_000) this.byKey.clear();
    this.byKey.set(key, { form, until: now + FORM_CACHE_MS });
    return form;
  }

  async create(input: WebFormInput & { name: string }): Promise<WebForm> {
    const key = newFormKey();
    const res = await this.db.getRepository(WebForm).insert({ ...this.clean(input), key });
    this.byKey.delete(key);
    return this.get(res.identifiers[0].id as string);
  }

  async update(id: string, input: WebFormInput): Promise<WebForm> {
    const form = await this.get(id);
    const values = this.clean(input);
    if (Object.keys(values).length) await this.db.getRepository(WebForm).update({ id }, values);
    this.byKey.delete(form.key);
    return this.get(id);
  }

  /**
   * Deletes a form that never brought a lead (preview tests do not count). A form with leads is
   * refused: its key is in sites' HTML and its name in reports, so the owner disables it instead.
   */
  async remove(id: string): Promise<void> {
    const form = await this.get(id);
    const [{ n }] = await queryRows<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM deal WHERE source->>'formId' = $1 AND coalesce(source->>'test', 'false') <> 'true'`,
      [id],
    );
    if (n > 0) {
      throw DomainError.conflict(`the form brought ${n} lead(s); it is kept for their history and reports — disable it instead`);
    }
    await this.db.getRepository(WebForm).delete({ id });
    this.byKey.delete(form.key);
  }

  /** Counts a post from a browser origin, accepted or refused. */
  async recordOrigin(formId: string, origin: string, accepted: boolean): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO web_form_origin (form_id, origin, accepted, refused)
       SELECT $1, $2, $3, $4 WHERE (SELECT count(*) FROM web_form_origin WHERE form_id = $1) < $5
       ON CONFLICT (form_id, origin) DO UPDATE
          SET accepted = web_form_origin.accepted + EXCLUDED.accepted, refused = web_form_origin.refused + EXCLUDED.refused, last_seen_at = now()`,
      [formId, origin.slice(0, 300), accepted ? 1 : 0, accepted ? 0 : 1, MAX_ORIGINS_PER_FORM],
    );
  }

  /** Origins that posted to the form, most recent first. */
  async recentOrigins(formId: string, limit = 50): Promise<FormOriginSeen[]> {
    await this.get(formId);
    const rows = await queryRows<{ origin: string; accepted: number; refused: number; first_seen_at: Date; last_seen_at: Date }>(
      this.db,
      `SELECT origin, accepted, refused, first_seen_at, last_seen_at FROM web_form_origin WHERE form_id = $1 ORDER BY last_seen_at DESC LIMIT $2`,
      [formId, limit],
    );
    return rows.map((r) => ({
      origin: r.origin,
      accepted: Number(r.accepted),
      refused: Number(r.refused),
      firstSeenAt: new Date(r.first_seen_at).toISOString(),
      lastSeenAt: new Date(r.last_seen_at).toISOString(),
    }));
  }

  private clean(input: WebFormInput): Partial<WebForm> {
    const out: Partial<WebForm> = {};
    if (input.name !== undefined) out.name = input.name.trim();
    if (input.active !== undefined) out.active = input.active;
    if (input.honeypotField !== undefined) out.honeypotField = input.honeypotField;
    if (input.rateLimitPerMinute !== undefined) out.rateLimitPerMinute = input.rateLimitPerMinute;
    if (input.allowedOrigins !== undefined) {
      const bad = input.allowedOrigins.filter((o) => !isOrigin(o));
      if (bad.length) throw DomainError.invalid('invalid origins', { allowedOrigins: `not origins like https://example.com: ${bad.join(', ')}` });
      out.allowedOrigins = input.allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase());
    }
    if (input.successUrl !== undefined) {
      const url = input.successUrl?.trim() || null;
      if (url && !isHttpUrl(url)) throw DomainError.invalid('invalid success URL', { successUrl: 'an http(s) address like https://example.com/thanks' });
      out.successUrl = url;
    }
    if (input.thankYou !== undefined) {
      const thankYou: FormThankYou = {};
      for (const lang of ['en', 'ru'] as const) {
        const text = input.thankYou[lang]?.trim();
        if (text) thankYou[lang] = text;
      }
      out.thankYou = thankYou;
    }
    if (input.fieldMap !== undefined) {
      const map: Record<string, FormFieldTarget> = {};
      for (const [field, target] of Object.entries(input.fieldMap)) {
        const key = field.trim().toLowerCase();
        if (!key) continue;
        if (!(FORM_FIELD_TARGETS as readonly string[]).includes(target)) {
          throw DomainError.invalid('invalid field mapping', { fieldMap: `${field}: one of ${FORM_FIELD_TARGETS.join(', ')}` });
        }
        map[key] = target as FormFieldTarget;
      }
      out.fieldMap = map;
    }
    if (input.minFillSeconds !== undefined) out.minFillSeconds = input.minFillSeconds;
    return out;
  }
}

export function newFormKey(): string {
  return `f_${randomBytes(12).toString('base64url')}`;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function isOrigin(o: string): boolean {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash;
  } catch {
    return false;
  }
}
