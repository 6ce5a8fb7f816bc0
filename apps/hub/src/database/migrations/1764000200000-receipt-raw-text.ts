import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * inbound_receipt.raw becomes text holding JSON: jsonb refuses NUL (\u0000) and lone surrogates, so a
 * payload carrying them could not even be kept as a failed receipt. JSON text keeps every payload
 * exactly; `raw::jsonb` still reads the ordinary ones in SQL.
 */
export class ReceiptRawText1764000200000 implements MigrationInterface {
  name = 'ReceiptRawText1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inbound_receipt ALTER COLUMN raw TYPE text USING raw::text`);
  }

  async down(q: QueryRunner): Promise<void> {
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
  }
}
