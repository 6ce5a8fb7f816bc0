import { CONTROL_FIELDS, WebFormIntake, flattenSiteBuilderBody, isAttributionField, knownFieldTarget, suggestFieldTarget, type FormOutcome } from '@leadline/channels';
import { FormSpamService, WebFormsService, isIngestFailure, type Viewer, type WebForm } from '@leadline/core';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { CurrentViewer, RequireRole } from '../auth/auth.decorators';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';
import type { FormOriginSeen, FormSeenField, FormSpamItem, WebForm as WebFormResponse } from '@leadline/contracts';
import { jsonOf } from './as-json';
import { createFormSchema, formSpamQuery, formTestSchema, updateFormSchema } from './schemas';

/** A field name seen in this form's recent submissions, and what it maps to. */
type SeenField = FormSeenField;

@ApiTags('forms')
@RequireRole('admin')
@Controller('api/forms')
export class FormsController {
  constructor(
    private readonly forms: WebFormsService,
    private readonly spam: FormSpamService,
    private readonly intake: WebFormIntake,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  private withEndpoint(form: WebForm): WebFormResponse {
    const base = this.config.PUBLIC_URL;
    return jsonOf({ ...form, endpoint: `${base}/api/inbound/forms/${form.key}`, snippetUrl: `${base}/forms/${form.key}.js` });
  }

  @Get()
  async list(): Promise<WebFormResponse[]> {
    return (await this.forms.list()).map((f) => this.withEndpoint(f));
  }

  /** Submissions the spam rules held back (not yet restored unless `restored=true`), newest first. */
  @Get('spam')
  listSpam(@Query({ schema: formSpamQuery }) q: z.infer<typeof formSpamQuery>): Promise<FormSpamItem[]> {
    return this.spam.list({ formId: q.formId, includeRestored: q.restored === 'true', limit: q.limit });
  }

  /** Makes a held-back submission the lead it should have been (idempotent). */
  @Post('spam/:id/restore')
  @HttpCode(200)
  async restoreSpam(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string) {
    const result = await this.spam.restore(id, viewer.id);
    return isIngestFailure(result) ? { status: 'failed', receiptId: result.receiptId, error: result.error } : { status: 'restored', ...result };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<WebFormResponse> {
    return this.withEndpoint(await this.forms.get(id));
  }

  /** Browser origins that posted to the form recently (accepted and refused), to tighten the allowed list from. */
  @Get(':id/origins')
  origins(@Param('id', ParseUUIDPipe) id: string): Promise<FormOriginSeen[]> {
    return this.forms.recentOrigins(id);
  }

  /** Field names of the form's recent submissions (not the visit's page and ad tags) with their mapping and our suggestion. */
  @Get(':id/fields')
  async fields(@Param('id', ParseUUIDPipe) id: string): Promise<SeenField[]> {
    const form = await this.forms.get(id);
    const rows: Array<{ body: unknown }> = await this.db.query(
      `(SELECT leadline_try_jsonb(raw)->'body' AS body, received_at FROM inbound_receipt
         WHERE channel = 'web_form' AND leadline_try_jsonb(raw)->>'formId' = $1 ORDER BY received_at DESC LIMIT 50)
       UNION ALL
       (SELECT raw->'body' AS body, received_at FROM web_form_spam WHERE form_id = $2 ORDER BY received_at DESC LIMIT 20)
       ORDER BY received_at DESC`,
      [id, id],
    );
    const skip = new Set([form.honeypotField.toLowerCase(), ...CONTROL_FIELDS]);
    const seen = new Map<string, SeenField>();
    for (const { body } of rows) {
      if (!body || typeof body !== 'object' || Array.isArray(body)) continue;
      for (const [name, value] of Object.entries(flattenSiteBuilderBody(body as Record<string, unknown>))) {
        const key = name.trim().toLowerCase();
        if (!key || skip.has(key) || seen.has(key) || isAttributionField(key)) continue;
        seen.set(key, {
          name: key,
          mappedTo: form.fieldMap[key] ?? null,
          known: knownFieldTarget(key),
          suggested: suggestFieldTarget(key),
          example: (typeof value === 'string' ? value : JSON.stringify(value) ?? '').slice(0, 80),
        });
      }
    }
    // Mapped names not seen lately still show, so a mapping can be undone.
    for (const [name, target] of Object.entries(form.fieldMap)) {
      if (!seen.has(name)) seen.set(name, { name, mappedTo: target, known: knownFieldTarget(name), suggested: suggestFieldTarget(name), example: '' });
    }
    return [...seen.values()];
  }

  /**
   * The live preview in Settings: the submission goes through the same path as a visitor's (mapping,
   * validation, intake) and becomes a real lead marked as a test, which reports leave out.
   */
  @Post(':id/test-submission')
  async testSubmission(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: formTestSchema }) body: z.infer<typeof formTestSchema>) {
    const form = await this.forms.get(id);
    const outcome: FormOutcome = await this.intake.submit(form, { fields: body, files: [], idempotencyKey: null, referrer: null, ip: null, origin: null, test: true });
    return { form: form.name, ...outcome };
  }

  @Post()
  async create(@Body({ schema: createFormSchema }) body: z.infer<typeof createFormSchema>): Promise<WebFormResponse> {
    return this.withEndpoint(await this.forms.create(body));
  }

  @Patch(':id')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body({ schema: updateFormSchema }) body: z.infer<typeof updateFormSchema>): Promise<WebFormResponse> {
    return this.withEndpoint(await this.forms.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', ParseUUIDPipe) id: string) {
    return this.forms.remove(id);
  }
}
