import {
  CORE_OPTIONS,
  Clock,
  IntakeService,
  RateLimiter,
  WebFormsService,
  isIngestFailure,
  type CoreOptions,
  type WebForm,
} from '@leadline/core';
import { Controller, Headers, HttpCode, Inject, Options, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Public } from '../shared/public-route';
import { annotateRequest } from '../shared/request-log';
import { FormValidationError, mapFormSubmission, type FormSubmission } from './web-form.mapper';

/** Body limit of the form endpoint; larger posts get 413 before any parsing. */
export const FORM_BODY_LIMIT = 64 * 1024;
export const FORM_ROUTE = '/api/inbound/forms/:formKey';

const ALLOWED_HEADERS = 'Content-Type, Idempotency-Key';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

@ApiTags('inbound')
@Controller('api/inbound/forms')
export class WebFormController {
  private readonly limiter = new RateLimiter();

  constructor(
    private readonly forms: WebFormsService,
    private readonly intake: IntakeService,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
  ) {}

  /** CORS preflight for browser posts from the form's allowed origins. */
  @Public()
  @Options(':formKey')
  async preflight(@Param('formKey') formKey: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await this.forms.findActiveByKey(formKey);
    const origin = req.headers.origin;
    if (!form) return reply.status(404).send({ error: 'not_found', message: 'unknown form' });
    if (!origin || !originAllowed(form, origin)) return reply.status(403).send({ error: 'forbidden', message: 'origin not allowed for this form' });
    reply
      .header('Access-Control-Allow-Origin', origin)
      .header('Vary', 'Origin')
      .header('Access-Control-Allow-Methods', 'POST, OPTIONS')
      .header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
      .header('Access-Control-Max-Age', '600');
    return reply.status(204).send();
  }

  /**
   * A form submission: JSON or urlencoded. 201 with ids for a new lead, 200 with the same ids for a
   * repeat of the same submission, 202 when our processing failed and the payload was kept for replay.
   */
  @Public()
  @Post(':formKey')
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key is the same lead (200 with the first ids).' })
  @ApiBody({
    description: 'JSON or application/x-www-form-urlencoded. Common site-builder field names are understood; every other field is kept.',
    schema: {
      type: 'object',
      additionalProperties: true,
      properties: {
        name: { type: 'string' },
        phone: { type: 'string', example: '+7 999 123-45-67' },
        email: { type: 'string' },
        message: { type: 'string' },
        page: { type: 'string', description: 'Page URL; UTM tags in it are recorded' },
        utm_source: { type: 'string' },
        utm_medium: { type: 'string' },
        utm_campaign: { type: 'string' },
      },
    },
  })
  @ApiResponse({ status: 201, description: 'New lead: {leadId, contactId, dealId, taskId}' })
  @ApiResponse({ status: 200, description: 'Repeat of the same submission: the same ids (or a filled honeypot)' })
  @ApiResponse({ status: 202, description: 'Kept as a failed receipt for replay: {status, receiptId}' })
  @ApiResponse({ status: 400, description: 'Neither a valid phone nor email, malformed body' })
  @ApiResponse({ status: 404, description: 'Unknown form key' })
  @ApiResponse({ status: 413, description: 'Body over 64 KB' })
  @ApiResponse({ status: 429, description: 'Rate limited (Retry-After)' })
  @ApiResponse({ status: 503, description: 'Database unreachable: retry (Retry-After)' })
  async submit(
    @Param('formKey') formKey: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const form = await this.forms.findActiveByKey(formKey);
    if (!form) return deny(reply, 404, { error: 'not_found', message: 'unknown form' });
    annotateRequest(req, { channel: 'web_form', formId: form.id });

    const origin = req.headers.origin;
    if (origin) {
      if (!originAllowed(form, origin)) return deny(reply, 403, { error: 'forbidden', message: 'origin not allowed for this form' });
      reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin');
    }

    const retryAfter = this.limiter.hit(`${form.id}|${req.ip}`, form.rateLimitPerMinute);
    if (retryAfter) {
      reply.header('Retry-After', String(retryAfter));
      return deny(reply, 429, { error: 'rate_limited', message: `too many submissions, retry in ${retryAfter} s` });
    }

    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json' && contentType !== 'application/x-www-form-urlencoded') {
      return deny(reply, 415, { error: 'unsupported_media_type', message: 'send application/json or application/x-www-form-urlencoded' });
    }
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return deny(reply, 400, { error: 'invalid', message: 'the body must be an object of form fields' });
    }
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      return deny(reply, 400, { error: 'invalid', message: 'bad Idempotency-Key', fields: { 'Idempotency-Key': '1–200 visible ASCII characters' } });
    }
    const fields = body as Record<string, unknown>;
    const honeypot = fields[form.honeypotField];
    if (honeypot !== undefined && honeypot !== null && String(honeypot).trim() !== '') {
      annotateRequest(req, { outcome: 'honeypot' });
      reply.status(200);
      return { status: 'ok' };
    }

    const submission: FormSubmission = {
      formId: form.id,
      formName: form.name,
      submissionId: randomUUID(),
      idempotencyKey: idempotencyKey ?? null,
      honeypotField: form.honeypotField,
      body: fields,
      referrer: typeof req.headers.referer === 'string' ? req.headers.referer : null,
      receivedAt: this.clock.now().toISOString(),
    };
    let event;
    try {
      event = mapFormSubmission(submission, this.options.defaultPhoneRegion);
    } catch (err) {
      if (err instanceof FormValidationError) {
        return deny(reply, 400, { error: 'invalid', message: 'a valid phone or email is required', fields: err.fields });
      }
      const externalId = idempotencyKey ? `key:${form.id}:${idempotencyKey}` : `sub:${submission.submissionId}`;
      const failure = await this.intake.recordFailure('web_form', externalId, submission, err);
      annotateRequest(req, { outcome: 'failed', receiptId: failure.receiptId });
      reply.status(202);
      return { status: 'accepted', receiptId: failure.receiptId };
    }
    annotateRequest(req, { externalId: event.externalId });
    const result = await this.intake.ingest(event, submission);
    if (isIngestFailure(result)) {
      annotateRequest(req, { outcome: 'failed', receiptId: result.receiptId });
      reply.status(202);
      return { status: 'accepted', receiptId: result.receiptId };
    }
    annotateRequest(req, { outcome: result.duplicate ? 'duplicate' : 'lead', leadId: result.leadId, contactId: result.contactId, dealId: result.dealId, taskId: result.taskId, ownerId: result.ownerId });
    if (result.duplicate) reply.status(200);
    return { leadId: result.leadId, contactId: result.contactId, dealId: result.dealId, taskId: result.taskId };
  }
}

function deny(reply: FastifyReply, status: number, body: Record<string, unknown>) {
  reply.status(status);
  return body;
}

function originAllowed(form: WebForm, origin: string): boolean {
  return form.allowedOrigins.includes(origin.replace(/\/$/, '').toLowerCase());
}
