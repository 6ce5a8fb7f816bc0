import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A weekly shift per manager (BUSINESS_HOURS syntax, read in the manager's timezone); null = no schedule. */
export class ManagerShifts1763900500000 implements MigrationInterface {
  name = 'ManagerShifts1763900500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE manager ADD COLUMN shift text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE manager DROP COLUMN IF EXISTS shift`);
  }
}
