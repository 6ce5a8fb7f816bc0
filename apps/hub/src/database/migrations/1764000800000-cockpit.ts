import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The callback cockpit: what came of a task completed by hand (reports count call outcomes), the
 * reasons an admin offers when a deal is lost (free text stays possible), and the currency of a deal's amount.
 */
export class Cockpit1764000800000 implements MigrationInterface {
  name = 'Cockpit1764000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE task ADD COLUMN result text CHECK (result IN ('reached', 'no_answer', 'wrong_number', 'call_later'))`);
    await q.query(`CREATE INDEX ix_task_result ON task (completed_at) WHERE result IS NOT NULL`);
    await q.query(`
      CREATE TABLE lost_reason (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
        position integer NOT NULL DEFAULT 0,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_lost_reason_label ON lost_reason (lower(label)) WHERE active`);
    await q.query(`ALTER TABLE deal ADD COLUMN currency text CHECK (currency ~ '^[A-Z]{3}$')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deal DROP COLUMN currency`);
    await q.query(`DROP TABLE lost_reason`);
    await q.query(`DROP INDEX ix_task_result`);
    await q.query(`ALTER TABLE task DROP COLUMN result`);
  }
}
