import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbox claims as leases (claimed_at + claim token), and in-app notifications for managers. */
export class OutboxLeaseNotifications1763900300000 implements MigrationInterface {
  name = 'OutboxLeaseNotifications1763900300000';

  async up(q: QueryRunner): Promise<void> {
    // claim_token: a worker whose lease expired (and whose row was claimed again) cannot mark it.
    await q.query(`ALTER TABLE outbox ADD COLUMN claimed_at timestamptz, ADD COLUMN claim_token uuid`);
    await q.query(`CREATE INDEX ix_outbox_lease ON outbox (claimed_at) WHERE status = 'processing'`);
    await q.query(`CREATE INDEX ix_outbox_attention ON outbox (updated_at DESC) WHERE status IN ('failed', 'dead')`);
    // One notice per outbox message and recipient: a redelivered message adds nothing.
    // outbox_id has no foreign key so old outbox rows can be pruned without losing notices.
    await q.query(`
      CREATE TABLE notification (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        manager_id uuid NOT NULL REFERENCES manager(id) ON DELETE CASCADE,
        outbox_id uuid NOT NULL,
        event text NOT NULL,
        payload jsonb NOT NULL DEFAULT '{}',
        read_at timestamptz,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT uq_notification_outbox_manager UNIQUE (outbox_id, manager_id)
      )`);
    await q.query(`CREATE INDEX ix_notification_inbox ON notification (manager_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_notification_unread ON notification (manager_id, created_at DESC) WHERE read_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS notification`);
    await q.query(`DROP INDEX IF EXISTS ix_outbox_attention`);
    await q.query(`DROP INDEX IF EXISTS ix_outbox_lease`);
    await q.query(`ALTER TABLE outbox DROP COLUMN IF EXISTS claim_token, DROP COLUMN IF EXISTS claimed_at`);
  }
}
