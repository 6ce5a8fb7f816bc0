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
    // Files posted with a form are stored (like email attachments) before the lead exists; they become
    // visible with the lead's contact in the very transaction that writes the lead's activity, whoever
    // writes it (the endpoint, a replay of a failed receipt, a restored spam receipt).
    await q.query(`
      CREATE FUNCTION web_form_files_to_contact() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        UPDATE email_message m SET contact_id = NEW.contact_id, activity_id = NEW.id
         WHERE m.activity_id IS NULL AND m.external_id LIKE 'web_form:%'
           AND m.id IN (SELECT a.email_id FROM email_attachment a
                         WHERE a.id::text IN (SELECT f->>'id' FROM jsonb_array_elements(NEW.payload->'details'->'attachments') AS f));
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER trg_activity_web_form_files AFTER INSERT ON activity
      FOR EACH ROW WHEN (NEW.channel = 'web_form' AND jsonb_typeof(NEW.payload->'details'->'attachments') = 'array')
      EXECUTE FUNCTION web_form_files_to_contact()`);
    // Settings → Forms lists the field names of a form's latest submissions.
    await q.query(`CREATE INDEX ix_inbound_receipt_web_form ON inbound_receipt ((raw->>'formId'), received_at DESC) WHERE channel = 'web_form'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_inbound_receipt_web_form`);
    await q.query(`DROP TRIGGER IF EXISTS trg_activity_web_form_files ON activity`);
    await q.query(`DROP FUNCTION IF EXISTS web_form_files_to_contact()`);
    await q.query(`DROP TABLE IF EXISTS web_form_spam`);
    await q.query(`DROP TABLE IF EXISTS web_form_origin`);
    for (const c of ['min_fill_seconds', 'field_map', 'thank_you', 'success_url']) await q.query(`ALTER TABLE web_form DROP COLUMN IF EXISTS ${c}`);
  }
}
