import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Website forms as real sites send them (issue 13): per-form answer to the visitor (success URL,
 * thank-you text), field mapping for site builders, minimum fill time; the origins that posted
 * recently; spam receipts kept for an admin to see and restore.
 */
export class WebFormDelivery1764000100000 implements MigrationInterface {
  name = 'WebFormDelivery1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE web_form ADD COLUMN success_url text`);
    await q.query(`ALTER TABLE web_form ADD COLUMN thank_you jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE web_form ADD COLUMN field_map jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE web_form ADD COLUMN min_fill_seconds integer NOT NULL DEFAULT 2 CHECK (min_fill_seconds BETWEEN 0 AND 600)`);
    await q.query(`
      CREATE TABLE web_form_origin (
        form_id uuid NOT NULL REFERENCES web_form(id) ON DELETE CASCADE,
        origin text NOT NULL,
        accepted integer NOT NULL DEFAULT 0,
        refused integer NOT NULL DEFAULT 0,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (form_id, origin)
      )`);
    await q.query(`
      CREATE TABLE web_form_spam (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        form_id uuid REFERENCES web_form(id) ON DELETE SET NULL,
        reason text NOT NULL,
        raw jsonb NOT NULL,
        ip text,
        origin text,
        received_at timestamptz NOT NULL DEFAULT now(),
        restored_at timestamptz,
        restored_by uuid REFERENCES manager(id) ON DELETE SET NULL,
        deal_id uuid REFERENCES deal(id) ON DELETE SET NULL
      )`);
    await q.query(`CREATE INDEX ix_web_form_spam_received ON web_form_spam (received_at DESC)`);
    // Settings → Forms lists the field names of a form's latest submissions.
    await q.query(`CREATE INDEX ix_inbound_receipt_web_form ON inbound_receipt ((raw->>'formId'), received_at DESC) WHERE channel = 'web_form'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_inbound_receipt_web_form`);
    await q.query(`DROP TABLE IF EXISTS web_form_spam`);
    await q.query(`DROP TABLE IF EXISTS web_form_origin`);
    for (const c of ['min_fill_seconds', 'field_map', 'thank_you', 'success_url']) await q.query(`ALTER TABLE web_form DROP COLUMN IF EXISTS ${c}`);
  }
}
