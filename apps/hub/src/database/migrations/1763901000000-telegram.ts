import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Telegram: one-time link codes that bind a Telegram user to a manager, per-bot state (the polling
 * offset), processed manager-bot updates (dedupe of button presses and commands), and the bot messages
 * sent to managers that point at a contact (lead cards and forwarded client messages: reply relay,
 * card edits).
 */
export class Telegram1763901000000 implements MigrationInterface {
  name = 'Telegram1763901000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE telegram_link_code (
        code text PRIMARY KEY,
        manager_id uuid NOT NULL REFERENCES manager(id) ON DELETE CASCADE,
        created_by_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        used_by_telegram_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_telegram_link_code_manager ON telegram_link_code (manager_id)`);
    await q.query(`
      CREATE TABLE telegram_bot_state (
        bot text PRIMARY KEY,
        update_offset bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE telegram_update (
        bot text NOT NULL,
        update_id bigint NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (bot, update_id)
      )`);
    await q.query(`
      CREATE TABLE telegram_manager_message (
        chat_id text NOT NULL,
        message_id bigint NOT NULL,
        manager_id uuid NOT NULL REFERENCES manager(id) ON DELETE CASCADE,
        contact_id uuid NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
        deal_id uuid REFERENCES deal(id) ON DELETE SET NULL,
        kind text NOT NULL,
        channel text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (chat_id, message_id)
      )`);
    await q.query(`CREATE INDEX ix_telegram_manager_message_deal ON telegram_manager_message (deal_id)`);
    // A notice is relayed to Telegram once per in-app notice outbox row and recipient, however often that row is retried.
    await q.query(`CREATE UNIQUE INDEX uq_outbox_telegram_notice_relay ON outbox ((payload->>'relayKey')) WHERE kind = 'telegram.notice'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS uq_outbox_telegram_notice_relay`);
    await q.query(`DROP TABLE IF EXISTS telegram_manager_message`);
    await q.query(`DROP TABLE IF EXISTS telegram_update`);
    await q.query(`DROP TABLE IF EXISTS telegram_bot_state`);
    await q.query(`DROP TABLE IF EXISTS telegram_link_code`);
  }
}
