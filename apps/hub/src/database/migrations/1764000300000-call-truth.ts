import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Call truth: every stored call event keeps its normalised fact (type, status, sequence, time, talk
 * seconds, who answered, which leg), so a call's outcome can be derived again from all its events when
 * one arrives late. Callback tasks count outbound attempts that did not connect; calls remember how
 * their managers were rung (one after another, or all at once).
 */
export class CallTruth1764000300000 implements MigrationInterface {
  name = 'CallTruth1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE call_event ADD COLUMN fact jsonb`);
    await q.query(`ALTER TABLE task ADD COLUMN call_attempts integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE call ADD COLUMN ring_strategy text NOT NULL DEFAULT 'sequential' CHECK (ring_strategy IN ('sequential', 'simultaneous'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE call DROP COLUMN ring_strategy`);
    await q.query(`ALTER TABLE task DROP COLUMN call_attempts`);
    await q.query(`ALTER TABLE call_event DROP COLUMN fact`);
  }
}
