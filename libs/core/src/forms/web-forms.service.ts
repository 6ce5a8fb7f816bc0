import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WebForm } from '../entities';
import { DomainError } from '../errors/domain-error';

export interface WebFormInput {
  name?: string;
  active?: boolean;
  allowedOrigins?: string[];
  honeypotField?: string;
  rateLimitPerMinute?: number;
}

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
    const now = Date.now();
    const cached = this.byKey.get(key);
    if (cached && cached.until > now) return cached.form;
    const form = await this.db.getRepository(WebForm).findOne({ where: { key, active: true } });
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

  async remove(id: string): Promise<void> {
    const form = await this.get(id);
    await this.db.getRepository(WebForm).delete({ id });
    this.byKey.delete(form.key);
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
    return out;
  }
}

export function newFormKey(): string {
  return `f_${randomBytes(12).toString('base64url')}`;
}

function isOrigin(o: string): boolean {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash;
  } catch {
    return false;
  }
}
