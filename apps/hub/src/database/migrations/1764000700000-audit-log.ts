import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who did what in the admin: one row per successful write (and per export), with the actor as they
 * were named then, and the affected row before and after. Actors are not foreign keys: the log
 * outlives deleted managers, and erasing a person must not cascade into the record of the erasure.
 */
export class AuditLog1764000700000 implements MigrationInterface {
  name = 'AuditLog1764000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid,
        actor_name text,
        actor_email text,
        action text NOT NULL,
        entity_type text,
        entity_id text,
        summary text,
        before jsonb,
        after jsonb,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        ip text,
        request_method text,
        request_path text
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, at DESC)`);
    await q.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
  }
}
