import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversation truth (issue 14, Telegram part):
 * - contact.aliases: names an absorbed contact was known by (the Telegram name after a shared-phone
 *   merge), so search still finds the person by them;
 * - deal.merged_into_deal_id: a deal closed because its contact was merged into a person who already
 *   had an open deal (history kept, one open deal per person);
 * - manager.receives_leads: admins are not lead recipients unless marked so;
 * - manager.locale without a column default: null = the hub's TELEGRAM_DEFAULT_LOCALE (the old 'en'
 *   default could not be told from a choice; it becomes null);
 * - message_attachment: files a manager sends a client (relayed from the manager bot), for whichever
 *   channel delivers the message;
 * - telegram_manager_message.header: the first line of a notice that carries card buttons, kept so a
 *   button press redraws the notice and not a bare card.
 */
export class TelegramTruth1764000500000 implements MigrationInterface {
  name = 'TelegramTruth1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contact ADD COLUMN aliases text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE deal ADD COLUMN merged_into_deal_id uuid REFERENCES deal(id) ON DELETE SET NULL`);
    await q.query(`ALTER TABLE manager ADD COLUMN receives_leads boolean NOT NULL DEFAULT true`);
    await q.query(`UPDATE manager SET receives_leads = false WHERE role = 'admin'`);
    await q.query(`ALTER TABLE manager ALTER COLUMN locale DROP NOT NULL, ALTER COLUMN locale DROP DEFAULT`);
    await q.query(`UPDATE manager SET locale = NULL WHERE locale = 'en'`);
    await q.query(`
      CREATE TABLE message_attachment (
        activity_id uuid NOT NULL REFERENCES activity(id) ON DELETE CASCADE,
        position integer NOT NULL,
        kind text NOT NULL,
        file_name text,
        mime_type text,
        size integer NOT NULL,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (activity_id, position)
      )`);
    await q.query(`ALTER TABLE telegram_manager_message ADD COLUMN header text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE telegram_manager_message DROP COLUMN IF EXISTS header`);
    await q.query(`DROP TABLE IF EXISTS message_attachment`);
    await q.query(`UPDATE manager SET locale = 'en' WHERE locale IS NULL`);
    await q.query(`ALTER TABLE manager ALTER COLUMN locale SET DEFAULT 'en', ALTER COLUMN locale SET NOT NULL`);
    await q.query(`ALTER TABLE manager DROP COLUMN IF EXISTS receives_leads`);
    await q.query(`ALTER TABLE deal DROP COLUMN IF EXISTS merged_into_deal_id`);
    await q.query(`ALTER TABLE contact DROP COLUMN IF EXISTS aliases`);
  }
}
