import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identities and manager bindings no longer name a channel in core's schema (issue 16):
 * - contact_identity.kind: any lowercase token (phone and email are core's; 'telegram', 'vk', … belong
 *   to their channel), checked on its format instead of a closed list, so a new messenger needs no
 *   migration of core tables. Channel-owned details (the Telegram username) stay in `details`.
 * - manager.telegram_user_id / telegram_chat_id move to telegram_manager_binding, the Telegram
 *   channel's own table (one binding per manager, one manager per Telegram account), with the
 *   account's username and when it was linked.
 */
export class GenericIdentities1764100200000 implements MigrationInterface {
  name = 'GenericIdentities1764100200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contact_identity DROP CONSTRAINT IF EXISTS contact_identity_kind_check`);
    await q.query(`ALTER TABLE contact_identity ADD CONSTRAINT ck_contact_identity_kind CHECK (kind ~ '^[a-z][a-z0-9_]{0,31}$')`);

    await q.query(`
      CREATE TABLE telegram_manager_binding (
        manager_id uuid PRIMARY KEY REFERENCES manager(id) ON DELETE CASCADE,
        user_id text,
        chat_id text NOT NULL,
        username text,
        linked_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_telegram_manager_binding_user UNIQUE (user_id)
      )`);
    // A private chat's id is the user's id, which is what the old lookups fell back to. Should two
    // managers hold one account (only by hand), the one the bot recognised (latest update) keeps it.
    await q.query(`
      INSERT INTO telegram_manager_binding (manager_id, user_id, chat_id, linked_at)
      SELECT id, telegram_user_id, COALESCE(telegram_chat_id, telegram_user_id), updated_at
        FROM (SELECT m.*, row_number() OVER (PARTITION BY telegram_user_id ORDER BY updated_at DESC, id) AS n
                FROM manager m WHERE telegram_user_id IS NOT NULL OR telegram_chat_id IS NOT NULL) m
       WHERE telegram_user_id IS NULL OR n = 1`);
    await q.query(`ALTER TABLE manager DROP COLUMN telegram_user_id, DROP COLUMN telegram_chat_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE manager ADD COLUMN telegram_user_id text, ADD COLUMN telegram_chat_id text`);
    await q.query(`
      UPDATE manager m SET telegram_user_id = b.user_id, telegram_chat_id = b.chat_id
        FROM telegram_manager_binding b WHERE b.manager_id = m.id`);
    await q.query(`DROP TABLE telegram_manager_binding`);

    await q.query(`ALTER TABLE contact_identity DROP CONSTRAINT IF EXISTS ck_contact_identity_kind`);
    // NOT VALID: identities of kinds the old list did not know (stored meanwhile) are kept, not lost;
    // new rows are held to the old list again.
    await q.query(`ALTER TABLE contact_identity ADD CONSTRAINT contact_identity_kind_check CHECK (kind IN ('phone', 'email', 'telegram')) NOT VALID`);
  }
}
