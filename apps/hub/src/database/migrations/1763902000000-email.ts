import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Email channel: mailboxes (from the environment or the admin API), per-folder sync state, stored HTML and attachments. */
export class Email1763902000000 implements MigrationInterface {
  name = 'Email1763902000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mailbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        address text NOT NULL,
        origin text NOT NULL DEFAULT 'api' CHECK (origin IN ('env', 'api')),
        imap_host text NOT NULL,
        imap_port integer NOT NULL CHECK (imap_port BETWEEN 1 AND 65535),
        imap_tls boolean NOT NULL DEFAULT true,
        imap_user text NOT NULL,
        imap_password text NOT NULL,
        imap_folder text NOT NULL DEFAULT 'INBOX',
        smtp_host text,
        smtp_port integer CHECK (smtp_port IS NULL OR smtp_port BETWEEN 1 AND 65535),
        smtp_tls boolean NOT NULL DEFAULT true,
        smtp_user text,
        smtp_password text,
        form_senders jsonb NOT NULL DEFAULT '[]',
        enabled boolean NOT NULL DEFAULT true,
        status text NOT NULL DEFAULT 'connecting' CHECK (status IN ('connected', 'connecting', 'error', 'disabled')),
        last_error text,
        status_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_mailbox_name UNIQUE (name)
      )`);
    // Progress per folder: a message counts as taken only once its intake committed (then last_uid moves).
    await q.query(`
      CREATE TABLE mailbox_state (
        mailbox_id uuid NOT NULL REFERENCES mailbox(id) ON DELETE CASCADE,
        folder text NOT NULL,
        uid_validity bigint NOT NULL,
        last_uid bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (mailbox_id, folder)
      )`);
    // One row per received email (keyed like its receipt): the raw HTML, served only sanitised.
    await q.query(`
      CREATE TABLE email_message (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        external_id text NOT NULL,
        mailbox_id uuid REFERENCES mailbox(id) ON DELETE SET NULL,
        message_id text,
        html text,
        contact_id uuid REFERENCES contact(id),
        activity_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_email_message_external UNIQUE (external_id)
      )`);
    await q.query(`CREATE INDEX ix_email_message_activity ON email_message (activity_id)`);
    await q.query(`
      CREATE TABLE email_attachment (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email_id uuid NOT NULL REFERENCES email_message(id) ON DELETE CASCADE,
        position integer NOT NULL,
        filename text,
        content_type text NOT NULL,
        size integer NOT NULL,
        content_id text,
        inline boolean NOT NULL DEFAULT false,
        content bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_email_attachment_position UNIQUE (email_id, position)
      )`);
    // Reply threading looks up our sent messages (and earlier inbound ones) by Message-ID.
    await q.query(`CREATE INDEX ix_activity_email_message_id ON activity ((payload->'details'->>'messageId')) WHERE channel = 'email'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_activity_email_message_id`);
    for (const t of ['email_attachment', 'email_message', 'mailbox_state', 'mailbox']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
