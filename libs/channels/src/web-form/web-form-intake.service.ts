import { CORE_OPTIONS, Clock, FormSpamService, IntakeService, isIngestFailure, type CoreOptions, type WebForm } from '@leadline/core';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { FormAttachmentStore, type PostedFile } from './form-attachments';
import { FormValidationError, mapFormSubmission, type FormSubmission } from './web-form.mapper';

/** What became of one submission; the controller turns it into JSON or a page for the visitor. */
export type FormOutcome =
  | { kind: 'lead'; duplicate: boolean; ids: { leadId: string; contactId: string; dealId: string; taskId: string | null } }
  /** Our processing failed; the payload is kept for replay (the visitor is thanked: nothing is lost). */
  | { kind: 'kept'; receiptId: string }
  /** Held back by the spam rules, kept for an admin to restore. */
  | { kind: 'spam'; spamId: string }
  /** Site-builder handshake (Tilda's `test=test`): answered, nothing stored. */
  | { kind: 'handshake' }
  | { kind: 'invalid'; fields: Record<string, string> };

export interface FormPost {
  fields: Record<string, unknown>;
  files: PostedFile[];
  idempotencyKey: string | null;
  referrer: string | null;
  ip: string | null;
  origin: string | null;
  /** The form preview in Settings: a real lead marked as a test. */
  test?: boolean;
}

/** One submission of a website form, from fields to lead (or spam receipt), whoever sent it. */
@Injectable()
export class WebFormIntake {
  constructor(
    private readonly intake: IntakeService,
    private readonly spam: FormSpamService,
    private readonly files: FormAttachmentStore,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
  ) {}

  async submit(form: WebForm, post: FormPost): Promise<FormOutcome> {
    const fields = post.fields;
    // Tilda checks a new webhook URL with a lone test=test before sending leads to it.
    if (isTildaHandshake(fields)) return { kind: 'handshake' };

    const submission: FormSubmission = {
      formId: form.id,
      formName: form.name,
      submissionId: randomUUID(),
      idempotencyKey: post.idempotencyKey,
      honeypotField: form.honeypotField,
      body: fields,
      referrer: post.referrer,
      receivedAt: this.clock.now().toISOString(),
      fieldMap: form.fieldMap,
      ...(post.test ? { test: true } : {}),
    };

    const spamReason = post.test ? null : this.spamReason(form, fields);
    if (spamReason) {
      // Files are not kept for spam (a bot's upload); their names and sizes are.
      const raw = post.files.length ? { ...submission, droppedFiles: post.files.map((f) => ({ filename: f.filename, size: f.content.length })) } : submission;
      return { kind: 'spam', spamId: await this.spam.keep({ formId: form.id, reason: spamReason, raw, ip: post.ip, origin: post.origin }) };
    }

    // Validate before storing any file: a refused post stores nothing.
    try {
      mapFormSubmission(submission, this.options.defaultPhoneRegion);
    } catch (err) {
      if (err instanceof FormValidationError) return { kind: 'invalid', fields: err.fields };
      const externalId = post.idempotencyKey ? `key:${form.id}:${post.idempotencyKey}` : `sub:${submission.submissionId}`;
      const failure = await this.intake.recordFailure('web_form', externalId, submission, err);
      return { kind: 'kept', receiptId: failure.receiptId };
    }

    if (post.files.length) submission.attachments = await this.files.store(submission.submissionId, post.files);
    const event = mapFormSubmission(submission, this.options.defaultPhoneRegion);
    const result = await this.intake.ingest(event, submission);
    if (isIngestFailure(result)) return { kind: 'kept', receiptId: result.receiptId };
    return { kind: 'lead', duplicate: result.duplicate, ids: { leadId: result.leadId, contactId: result.contactId, dealId: result.dealId, taskId: result.taskId } };
  }

  private spamReason(form: WebForm, fields: Record<string, unknown>): 'honeypot' | 'too_fast' | null {
    const honeypot = fields[form.honeypotField];
    if (honeypot !== undefined && honeypot !== null && String(honeypot).trim() !== '') return 'honeypot';
    // Only the embed snippet sends the fill time; a plain form or a site builder has none.
    const fillMs = Number(fields._fill_ms);
    if (fields._fill_ms !== undefined && form.minFillSeconds > 0 && Number.isFinite(fillMs) && fillMs < form.minFillSeconds * 1000) return 'too_fast';
    return null;
  }
}

function isTildaHandshake(fields: Record<string, unknown>): boolean {
  const keys = Object.keys(fields);
  return fields.test === 'test' && keys.every((k) => k === 'test' || k === 'formid' || k === 'formname');
}
