import { RateLimiter, WebFormsService, type WebForm } from '@leadline/core';
import type {} from '@fastify/multipart';
import { Controller, Headers, HttpCode, Logger, Options, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../shared/public-route';
import { annotateRequest } from '../shared/request-log';
import { FORM_FILE_MAX_BYTES, FORM_MAX_FILES, type PostedFile } from './form-attachments';
import { FORM_PAGE_CSP, backUrlOf, errorPage, thankYouPage, visitorLang, type FormRefusal } from './form-pages';
import { WebFormIntake, type FormOutcome } from './web-form-intake.service';

/** Body limit of the form endpoint (JSON and urlencoded); larger posts get 413 before any parsing. */
export const FORM_BODY_LIMIT = 64 * 1024;
export const FORM_ROUTE = '/api/inbound/forms/:formKey';

const ALLOWED_HEADERS = 'Content-Type, Idempotency-Key, Accept';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * A browser's own form post (no JavaScript) wants a page back; fetch, site builders and servers
 * want JSON. Browsers navigating send `Accept: text/html…` with a form content type; fetch sends
 * `*\/*` unless told otherwise, the embed snippet sends `application/json`.
 */
export function wantsHtml(req: FastifyRequest): boolean {
  const type = contentTypeOf(req);
  if (type === 'application/json') return false;
  return /\btext\/html\b/.test(String(req.headers.accept ?? ''));
}

function contentTypeOf(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** Empty list = any origin (what the Settings page says); otherwise exactly the listed ones. */
export function originAllowed(form: WebForm, origin: string): boolean {
  if (!form.allowedOrigins.length) return true;
  return form.allowedOrigins.includes(origin.replace(/\/$/, '').toLowerCase());
}

const DISABLED_MESSAGE = 'this form is disabled and no longer accepts submissions';

@ApiTags('inbound')
@Controller('api/inbound/forms')
export class WebFormController {
  private readonly limiter = new RateLimiter();
  private readonly log = new Logger('WebForm');

  constructor(
    private readonly forms: WebFormsService,
    private readonly intake: WebFormIntake,
  ) {}

  /** CORS preflight: any origin when the form's list is empty, else the listed ones. */
  @Public()
  @Options(':formKey')
  async preflight(@Param('formKey') formKey: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await this.forms.findByKey(formKey);
    const origin = req.headers.origin;
    if (!form) return reply.status(404).send({ error: 'not_found', message: 'unknown form' });
    if (!form.active) return reply.status(410).send({ error: 'form_disabled', message: DISABLED_MESSAGE });
    if (!origin) return reply.status(400).send({ error: 'invalid', message: 'a CORS preflight needs an Origin header' });
    if (!originAllowed(form, origin)) {
      await this.seen(form, origin, false);
      return reply.status(403).send({ error: 'forbidden', message: refusedOriginMessage(form, origin) });
    }
    reply
      .header('Access-Control-Allow-Origin', origin)
      .header('Vary', 'Origin')
      .header('Access-Control-Allow-Methods', 'POST, OPTIONS')
      .header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
      .header('Access-Control-Max-Age', '600');
    return reply.status(204).send();
  }

  /**
   * A form submission: JSON, urlencoded or multipart (with files). JSON clients get 201 with ids for
   * a new lead, 200 with the same ids for a repeat, 202 when our processing failed and the payload
   * was kept for replay. A browser's plain form post gets 303 to the form's success URL or a
   * thank-you page, and an error page (never JSON) when refused.
   */
  @Public()
  @Post(':formKey')
  @HttpCode(201)
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded', 'multipart/form-data')
  @ApiProduces('application/json', 'text/html')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key is the same lead (200 with the first ids).' })
  @ApiBody({
    description:
      'JSON, urlencoded or multipart/form-data (files up to 10 MB, 5 per post). Site-builder shapes (Tilda, Elementor, Contact Form 7) and common English/Russian field names are understood; the form\'s field mapping applies; every other field is kept. `_next`/`redirect` (plain forms) override the success URL for allowed origins.',
    schema: {
      type: 'object',
      additionalProperties: true,
      properties: {
        name: { type: 'string' },
        phone: { type: 'string', example: '+7 999 123-45-67' },
        email: { type: 'string' },
        message: { type: 'string' },
        page: { type: 'string', description: 'Page URL; UTM tags and click ids in it are recorded' },
        utm_source: { type: 'string' },
        utm_medium: { type: 'string' },
        utm_campaign: { type: 'string' },
        gclid: { type: 'string' },
        _next: { type: 'string', description: 'Where to send the visitor after a plain form post' },
      },
    },
  })
  @ApiResponse({ status: 201, description: 'New lead: {leadId, contactId, dealId, taskId}' })
  @ApiResponse({ status: 200, description: 'Repeat of the same submission: the same ids; a spam receipt or a Tilda test: {status: "ok"}' })
  @ApiResponse({ status: 202, description: 'Kept as a failed receipt for replay: {status, receiptId}' })
  @ApiResponse({ status: 303, description: 'Plain HTML form post: to the success URL' })
  @ApiResponse({ status: 400, description: 'Neither a valid phone nor email, malformed body' })
  @ApiResponse({ status: 403, description: 'The Origin is not on the form\'s allowed list' })
  @ApiResponse({ status: 404, description: 'Unknown form key' })
  @ApiResponse({ status: 410, description: 'The form is disabled in Settings → Forms (plain posts get an HTML page saying so)' })
  @ApiResponse({ status: 413, description: 'Body over 64 KB, or a file over 10 MB' })
  @ApiResponse({ status: 429, description: 'Rate limited (Retry-After)' })
  @ApiResponse({ status: 503, description: 'Database unreachable: retry (Retry-After)' })
  async submit(
    @Param('formKey') formKey: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const html = wantsHtml(req);
    const refuse = (r: FormRefusal & { message: string }, form?: WebForm) => {
      annotateRequest(req, { outcome: 'refused', error: r.error });
      if (r.retryAfter) reply.header('Retry-After', String(r.retryAfter));
      if (html) return this.page(reply.status(r.status), errorPage({ ...r, formName: r.formName ?? form?.name }, visitorLang(req.headers['accept-language']), backUrlOf(req.headers.referer)));
      return reply.status(r.status).send({ error: r.error, message: r.message, ...(r.fields ? { fields: r.fields } : {}) });
    };

    const form = await this.forms.findByKey(formKey);
    if (!form) return refuse({ status: 404, error: 'not_found', message: 'unknown form' });
    // A disabled form is a known one the owner switched off: 410 says "do not retry", unlike 404.
    if (!form.active) return refuse({ status: 410, error: 'form_disabled', message: DISABLED_MESSAGE, formName: form.name }, form);
    annotateRequest(req, { channel: 'web_form', formId: form.id });

    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
    if (origin) {
      const allowed = originAllowed(form, origin);
      await this.seen(form, origin, allowed);
      if (!allowed) return refuse({ status: 403, error: 'forbidden', message: refusedOriginMessage(form, origin), origin, formName: form.name }, form);
      reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin');
    }

    const retryAfter = this.limiter.hit(`${form.id}|${req.ip}`, form.rateLimitPerMinute);
    if (retryAfter) return refuse({ status: 429, error: 'rate_limited', message: `too many submissions, retry in ${retryAfter} s`, retryAfter }, form);

    const type = contentTypeOf(req);
    let fields: Record<string, unknown>;
    let files: PostedFile[] = [];
    if (type === 'multipart/form-data') {
      const parsed = await readMultipart(req);
      if ('refusal' in parsed) return refuse(parsed.refusal, form);
      ({ fields, files } = parsed);
    } else if (type === 'application/json' || type === 'application/x-www-form-urlencoded') {
      const body = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) return refuse({ status: 400, error: 'invalid', message: 'the body must be an object of form fields' }, form);
      fields = body as Record<string, unknown>;
    } else {
      return refuse({ status: 415, error: 'unsupported_media_type', message: 'send application/json, application/x-www-form-urlencoded or multipart/form-data' }, form);
    }
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      return refuse({ status: 400, error: 'invalid', message: 'bad Idempotency-Key', fields: { 'Idempotency-Key': '1–200 visible ASCII characters' } }, form);
    }

    const outcome = await this.intake.submit(form, {
      fields,
      files,
      idempotencyKey: idempotencyKey ?? null,
      referrer: typeof req.headers.referer === 'string' ? req.headers.referer : null,
      ip: req.ip ?? null,
      origin,
    });
    this.annotate(req, outcome);
    if (outcome.kind === 'invalid') return refuse({ status: 400, error: 'invalid', message: 'a valid phone or email is required', fields: outcome.fields }, form);

    if (html) {
      const next = redirectTarget(form, fields, origin, req.headers.referer);
      if (next) return reply.status(303).header('Location', next).header('Cache-Control', 'no-store').send();
      const lang = visitorLang(req.headers['accept-language'], fields._lang);
      return this.page(reply.status(200), thankYouPage(form, lang, backUrlOf(req.headers.referer)));
    }
    switch (outcome.kind) {
      case 'lead':
        return reply.status(outcome.duplicate ? 200 : 201).send(outcome.ids);
      case 'kept':
        return reply.status(202).send({ status: 'accepted', receiptId: outcome.receiptId });
      default:
        // Spam is answered like a success: a bot learns nothing, a person held back is restored by an admin.
        return reply.status(200).send({ status: 'ok' });
    }
  }

  private page(reply: FastifyReply, body: string) {
    return reply
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Content-Security-Policy', FORM_PAGE_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store')
      .send(body);
  }

  /** Which origins post is bookkeeping for the owner: it must never cost the visitor the lead. */
  private async seen(form: WebForm, origin: string, accepted: boolean): Promise<void> {
    try {
      await this.forms.recordOrigin(form.id, origin, accepted);
    } catch (err) {
      this.log.warn({ msg: 'form origin not recorded', formId: form.id, origin, error: String(err) });
    }
  }

  private annotate(req: FastifyRequest, o: FormOutcome): void {
    if (o.kind === 'lead') annotateRequest(req, { outcome: o.duplicate ? 'duplicate' : 'lead', ...o.ids });
    else if (o.kind === 'kept') annotateRequest(req, { outcome: 'failed', receiptId: o.receiptId });
    else if (o.kind === 'spam') annotateRequest(req, { outcome: 'spam', spamId: o.spamId });
    else annotateRequest(req, { outcome: o.kind });
  }
}

export function refusedOriginMessage(form: WebForm, origin: string): string {
  return `origin ${origin} is not allowed for form "${form.name}"`;
}

/**
 * Where a plain form post sends the visitor: a `_next` / `redirect` field when it points at one of the
 * form's allowed origins or at the posting page's own origin (never elsewhere: no open redirect),
 * else the form's success URL, else nowhere (the thank-you page).
 */
export function redirectTarget(form: WebForm, fields: Record<string, unknown>, origin: string | null, referer: string | undefined): string | null {
  const asked = [fields._next, fields.redirect].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  if (asked) {
    const own = origin && origin !== 'null' ? origin.toLowerCase() : originOf(referer);
    const target = originOf(asked);
    if (target && (form.allowedOrigins.includes(target) || target === own)) return new URL(asked).href;
  }
  return form.successUrl;
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** Fields and files of a multipart post, within the limits; a readable refusal otherwise. */
async function readMultipart(req: FastifyRequest): Promise<{ fields: Record<string, unknown>; files: PostedFile[] } | { refusal: FormRefusal & { message: string } }> {
  const fields: Record<string, unknown> = {};
  const files: PostedFile[] = [];
  const maxFileMb = FORM_FILE_MAX_BYTES / 1024 / 1024;
  try {
    const parts = req.parts({ limits: { fileSize: FORM_FILE_MAX_BYTES, files: FORM_MAX_FILES, fields: 200, fieldSize: FORM_BODY_LIMIT, parts: 200 + FORM_MAX_FILES } });
    for await (const part of parts) {
      if (part.type === 'file') {
        const content = await part.toBuffer();
        // An empty file input is sent as a nameless, empty part: no file.
        if (!part.filename && content.length === 0) continue;
        files.push({ filename: part.filename || null, contentType: part.mimetype || 'application/octet-stream', content });
      } else {
        const value = part.value;
        const prev = fields[part.fieldname];
        fields[part.fieldname] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
    }
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 413) {
      return { refusal: { status: 413, error: 'payload_too_large', message: `files up to ${maxFileMb} MB each, at most ${FORM_MAX_FILES} files`, maxFileMb } };
    }
    return { refusal: { status: 400, error: 'invalid', message: `malformed multipart body: ${(err as Error).message}` } };
  }
  return { fields, files };
}
