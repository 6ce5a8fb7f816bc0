import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * inbound_receipt.raw becomes text holding JSON: jsonb refuses NUL (\u0000) and lone surrogates, so a
 * payload carrying them could not even be kept as a failed receipt. JSON text keeps every payload
 * exactly. SQL reads it through leadline_try_jsonb(raw), which gives NULL for the payloads jsonb cannot
 * hold instead of failing the whole query (also the expression of the web-form index, rebuilt here).
 */
export class ReceiptRawText1764000200000 implements MigrationInterface {
  name = 'ReceiptRawText1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_inbound_receipt_web_form`);
    await q.query(`ALTER TABLE inbound_receipt ALTER COLUMN raw TYPE text USING raw::text`);
    await q.query(`
      CREATE FUNCTION leadline_try_jsonb(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN
        RETURN t::jsonb;
      EXCEPTION WHEN others THEN
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE INDEX ix_inbound_receipt_web_form ON inbound_receipt ((leadline_try_jsonb(raw)->>'formId'), received_at DESC) WHERE channel = 'web_form'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_inbound_receipt_web_form`);
    // A payload jsonb cannot hold is kept as a JSON string of its text rather than failing the downgrade.
    await q.query(`
      CREATE FUNCTION leadline_raw_to_jsonb(t text) RETURNS jsonb LANGUAGE plpgsql AS $$
      BEGIN
        RETURN t::jsonb;
      EXCEPTION WHEN others THEN
        RETURN to_jsonb(replace(t, chr(92) || 'u0000', ''));
      END $$`);
    await q.query(`ALTER TABLE inbound_receipt ALTER COLUMN raw TYPE jsonb USING leadline_raw_to_jsonb(raw)`);
    await q.query(`DROP FUNCTION leadline_raw_to_jsonb(text)`);
    await q.query(`DROP FUNCTION leadline_try_jsonb(text)`);
    await q.query(`CREATE INDEX ix_inbound_receipt_web_form ON inbound_receipt ((raw->>'formId'), received_at DESC) WHERE channel = 'web_form'`);
  }
}
