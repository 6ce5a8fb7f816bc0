import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Manager, contacts & identities, deals, tasks, timeline, inbound receipts, outbox, web forms, sessions. */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  // Columns that list cursors point into are timestamptz(3): a cursor carries a JavaScript Date
  // (milliseconds), and with microseconds stored, rows sharing a millisecond would be skipped.
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE manager (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        role text NOT NULL CHECK (role IN ('admin', 'manager')),
        name text NOT NULL,
        email text NOT NULL,
        password_hash text,
        phone text,
        telegram_user_id text,
        telegram_chat_id text,
        active boolean NOT NULL DEFAULT true,
        available boolean NOT NULL DEFAULT true,
        capacity integer CHECK (capacity IS NULL OR capacity >= 0),
        weight integer NOT NULL DEFAULT 1 CHECK (weight >= 1),
        timezone text NOT NULL DEFAULT 'UTC',
        locale text NOT NULL DEFAULT 'en',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_manager_email UNIQUE (email)
      )`);
    // Round-robin turns: nextval() is never rolled back and takes no lock, so concurrent intakes don't queue.
    await q.query(`CREATE SEQUENCE assignment_turn_seq`);
    await q.query(`
      CREATE TABLE contact (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text,
        owner_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        merged_into_id uuid REFERENCES contact(id),
        last_activity_at timestamptz(3) NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_contact_owner ON contact (owner_id)`);
    await q.query(`CREATE INDEX ix_contact_recent ON contact (last_activity_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_contact_name ON contact (lower(name) text_pattern_ops)`);
    await q.query(`
      CREATE TABLE contact_identity (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('phone', 'email', 'telegram')),
        value text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_contact_identity_kind_value UNIQUE (kind, value)
      )`);
    await q.query(`CREATE INDEX ix_contact_identity_contact ON contact_identity (contact_id)`);
    await q.query(`CREATE INDEX ix_contact_identity_value_prefix ON contact_identity (value text_pattern_ops)`);
    await q.query(`
      CREATE TABLE deal (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contact(id),
        owner_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        title text,
        stage text NOT NULL DEFAULT 'new',
        source_channel text NOT NULL,
        source jsonb NOT NULL DEFAULT '{}',
        amount numeric(14, 2),
        lost_reason text,
        first_response_at timestamptz,
        closed_at timestamptz,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_deal_contact ON deal (contact_id, created_at DESC)`);
    await q.query(`CREATE INDEX ix_deal_owner_open ON deal (owner_id) WHERE closed_at IS NULL`);
    await q.query(`CREATE INDEX ix_deal_queue ON deal (created_at) WHERE owner_id IS NULL AND closed_at IS NULL`);
    await q.query(`CREATE INDEX ix_deal_stage ON deal (stage, created_at DESC)`);
    await q.query(`
      CREATE TABLE task (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        deal_id uuid NOT NULL REFERENCES deal(id),
        contact_id uuid NOT NULL REFERENCES contact(id),
        assignee_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        kind text NOT NULL CHECK (kind IN ('callback', 'follow_up', 'custom')),
        title text NOT NULL,
        due_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
        reminded_at timestamptz,
        overdue_at timestamptz,
        escalated_at timestamptz,
        completed_at timestamptz,
        completed_by_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one open callback task per deal: a repeat lead never opens a second one.
    await q.query(`CREATE UNIQUE INDEX uq_task_open_callback ON task (deal_id) WHERE kind = 'callback' AND status = 'open'`);
    await q.query(`CREATE INDEX ix_task_open_due ON task (due_at) WHERE status = 'open'`);
    await q.query(`CREATE INDEX ix_task_assignee ON task (assignee_id, status, due_at)`);
    await q.query(`CREATE INDEX ix_task_deal ON task (deal_id)`);
    await q.query(`
      CREATE TABLE activity (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contact(id),
        deal_id uuid REFERENCES deal(id),
        kind text NOT NULL,
        channel text,
        actor_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        occurred_at timestamptz(3) NOT NULL,
        payload jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_activity_timeline ON activity (contact_id, occurred_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_activity_deal ON activity (deal_id, occurred_at DESC)`);
    await q.query(`
      CREATE TABLE inbound_receipt (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel text NOT NULL,
        external_id text NOT NULL,
        dedupe_key text,
        status text NOT NULL CHECK (status IN ('processed', 'failed')),
        raw jsonb,
        result jsonb,
        error text,
        attempts integer NOT NULL DEFAULT 1,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        CONSTRAINT uq_inbound_receipt_channel_external UNIQUE (channel, external_id)
      )`);
    await q.query(`CREATE INDEX ix_inbound_receipt_dedupe ON inbound_receipt (channel, dedupe_key, received_at DESC) WHERE dedupe_key IS NOT NULL`);
    await q.query(`CREATE INDEX ix_inbound_receipt_failed ON inbound_receipt (received_at DESC) WHERE status = 'failed'`);
    await q.query(`
      CREATE TABLE outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'failed', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_outbox_due ON outbox (next_attempt_at) WHERE status IN ('pending', 'failed')`);
    await q.query(`
      CREATE TABLE web_form (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        key text NOT NULL,
        name text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        allowed_origins jsonb NOT NULL DEFAULT '[]',
        honeypot_field text NOT NULL DEFAULT '_gotcha',
        rate_limit_per_minute integer NOT NULL DEFAULT 10 CHECK (rate_limit_per_minute >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_web_form_key UNIQUE (key)
      )`);
    await q.query(`
      CREATE TABLE auth_session (
        id text PRIMARY KEY,
        manager_id uuid NOT NULL REFERENCES manager(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_auth_session_manager ON auth_session (manager_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SEQUENCE IF EXISTS assignment_turn_seq`);
    for (const table of ['auth_session', 'web_form', 'outbox', 'inbound_receipt', 'activity', 'task', 'deal', 'contact_identity', 'contact', 'manager']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
