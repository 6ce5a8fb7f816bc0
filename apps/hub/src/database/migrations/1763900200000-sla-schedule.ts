import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SLA instants precomputed per task (remind_at, escalate_at; the hub fills them in business time when a
 * task is created or rescheduled) and one partial index per scheduler step, so each due-task query is
 * an index range scan over the pending rows of that step only, however many tasks the table holds.
 */
export class SlaSchedule1763900200000 implements MigrationInterface {
  name = 'SlaSchedule1763900200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE task ADD COLUMN remind_at timestamptz, ADD COLUMN escalate_at timestamptz`);
    // Tasks written before this migration get the default clocks (5 min before, 10 min after) in wall-clock
    // time: the migration does not know the configured business hours.
    await q.query(
      `UPDATE task SET remind_at = due_at - interval '5 minutes', escalate_at = due_at + interval '10 minutes' WHERE status = 'open'`,
    );
    await q.query(`CREATE INDEX ix_task_sla_remind ON task (remind_at) WHERE status = 'open' AND reminded_at IS NULL`);
    await q.query(`CREATE INDEX ix_task_sla_overdue ON task (due_at) WHERE status = 'open' AND overdue_at IS NULL`);
    await q.query(`CREATE INDEX ix_task_sla_escalate ON task (escalate_at) WHERE status = 'open' AND escalated_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_task_sla_escalate`);
    await q.query(`DROP INDEX IF EXISTS ix_task_sla_overdue`);
    await q.query(`DROP INDEX IF EXISTS ix_task_sla_remind`);
    await q.query(`ALTER TABLE task DROP COLUMN IF EXISTS escalate_at, DROP COLUMN IF EXISTS remind_at`);
  }
}
