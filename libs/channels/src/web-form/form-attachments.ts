import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { FormAttachmentRef } from './web-form.mapper';

/** Largest file a form may post, and how many files one submission may carry. */
export const FORM_FILE_MAX_BYTES = 10 * 1024 * 1024;
export const FORM_MAX_FILES = 5;

export interface PostedFile {
  filename: string | null;
  contentType: string;
  content: Buffer;
}

/**
 * Files posted with a form are kept exactly as email attachments are: an `email_message` row per
 * submission (keyed by the submission, no mailbox, no HTML) holding `email_attachment` rows. So
 * they are served by the same GET /api/attachments/:id, always as a download, to whoever may see
 * the lead's contact, and shown on the lead's timeline entry like a mail's attachments. The database
 * gives them to the contact when the lead's activity is written (trigger trg_activity_web_form_files),
 * so a lead written later by a replay or a spam restore gets its files too.
 */
@Injectable()
export class FormAttachmentStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores the files of one submission (idempotent on `submissionKey`). */
  async store(submissionKey: string, files: PostedFile[]): Promise<FormAttachmentRef[]> {
    return this.db.transaction(async (em: EntityManager) => {
      const externalId = `web_form:${submissionKey}`;
      const inserted: Array<{ id: string }> = await em.query(
        `INSERT INTO email_message (id, external_id) VALUES ($1, $2) ON CONFLICT (external_id) DO NOTHING RETURNING id`,
        [randomUUID(), externalId],
      );
      const holderId: string = inserted[0]?.id ?? (await em.query(`SELECT id FROM email_message WHERE external_id = $1`, [externalId]))[0].id;
      const refs: FormAttachmentRef[] = [];
      for (const [position, f] of files.entries()) {
        const [row]: Array<{ id: string }> = await em.query(
          `INSERT INTO email_attachment (id, email_id, position, filename, content_type, size, content)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (email_id, position) DO UPDATE SET filename = EXCLUDED.filename RETURNING id`,
          [randomUUID(), holderId, position, f.filename, f.contentType, f.content.length, f.content],
        );
        refs.push({ id: row.id, filename: f.filename, contentType: f.contentType, size: f.content.length, stored: true });
      }
      return refs;
    });
  }
}
