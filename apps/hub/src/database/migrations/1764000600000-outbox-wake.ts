import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox wake-ups: every row that becomes pending (a new message, a retry from the admin API, a
 * delivery put off at the provider's request) NOTIFYs `leadline_outbox`. PostgreSQL delivers the
 * notification when the writing transaction commits (never for a rollback) to every hub process
 * LISTENing, so the worker claims the row right away instead of at its next poll. All rows of one
 * transaction collapse into one notification (identical payloads are merged), and the worker's own
 * updates (processing, done, failed) notify nobody. Runs on PostgreSQL and PGlite alike.
 */
export class OutboxWake1764000600000 implements MigrationInterface {
  name = 'OutboxWake1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION leadline_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('leadline_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_outbox_wake AFTER INSERT OR UPDATE OF status ON outbox
        FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION leadline_outbox_wake()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS tr_outbox_wake ON outbox`);
    await q.query(`DROP FUNCTION IF EXISTS leadline_outbox_wake()`);
  }
}
