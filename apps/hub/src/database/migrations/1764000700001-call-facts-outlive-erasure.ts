import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasing a person (personal-data erasure) deletes their call activities; the managers report must
 * keep counting those calls. call_fact rows hold no personal data (time, manager, kind, answered,
 * talk time), so they no longer cascade from the activity: they stay as anonymous counts.
 */
export class CallFactsOutliveErasure1764000700001 implements MigrationInterface {
  name = 'CallFactsOutliveErasure1764000700001';

  async up(q: QueryRunner): Promise<void> {
    const [fk]: Array<{ conname: string }> = await q.query(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'call_fact'::regclass AND contype = 'f' AND confrelid = 'activity'::regclass`,
    );
    if (fk) await q.query(`ALTER TABLE call_fact DROP CONSTRAINT "${fk.conname}"`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Facts of erased people have no activity any more: they cannot be tied back.
    await q.query(`DELETE FROM call_fact f WHERE NOT EXISTS (SELECT 1 FROM activity a WHERE a.id = f.activity_id)`);
    await q.query(`ALTER TABLE call_fact ADD CONSTRAINT call_fact_activity_id_fkey FOREIGN KEY (activity_id) REFERENCES activity(id) ON DELETE CASCADE`);
  }
}
