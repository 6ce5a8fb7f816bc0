import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fills deal.stages_reached from the stage_changed activities already written. */
export const STAGES_REACHED_BACKFILL = `
  UPDATE deal d SET stages_reached = r.stages
    FROM (SELECT a.deal_id, array_agg(DISTINCT s ORDER BY s) AS stages
            FROM activity a, unnest(ARRAY[a.payload->>'from', a.payload->>'to']) AS s
           WHERE a.kind = 'stage_changed' AND a.deal_id IS NOT NULL AND s IS NOT NULL
           GROUP BY a.deal_id) AS r
   WHERE d.id = r.deal_id`;

/**
 * Companies (a contact may belong to one), contact tags (import), and the indexes the reports need:
 * deals by creation time (every report is a cohort of deals created in a period), calls as a covering
 * partial index so timeline rows of other kinds are never read, and deal.stages_reached for the funnel.
 */
export class CompaniesReportsImport1763905000000 implements MigrationInterface {
  name = 'CompaniesReportsImport1763905000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE company (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        domain text,
        legal_id text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One company per email domain: the domain is what suggests a company for a new lead.
    await q.query(`CREATE UNIQUE INDEX uq_company_domain ON company (domain) WHERE domain IS NOT NULL`);
    await q.query(`CREATE INDEX ix_company_name ON company (lower(name) text_pattern_ops)`);
    await q.query(`CREATE INDEX ix_company_recent ON company (created_at DESC, id DESC)`);
    await q.query(`ALTER TABLE contact ADD COLUMN company_id uuid REFERENCES company(id) ON DELETE SET NULL`);
    await q.query(`ALTER TABLE contact ADD COLUMN tags text[] NOT NULL DEFAULT '{}'`);
    await q.query(`CREATE INDEX ix_contact_company ON contact (company_id) WHERE company_id IS NOT NULL`);

    await q.query(`CREATE INDEX ix_deal_created ON deal (created_at)`);
    await q.query(`CREATE INDEX ix_deal_owner_created ON deal (owner_id, created_at)`);
    // Covering (payload included: answered, durationSeconds), so the managers report reads calls from the index alone.
    await q.query(`CREATE INDEX ix_activity_calls ON activity (occurred_at) INCLUDE (actor_id, deal_id, kind, payload) WHERE kind IN ('call_in', 'call_out', 'call_missed')`);

    // Every stage a deal has been at, kept by the database from the stage_changed activities (whoever
    // writes them), so the funnel reads one row per deal instead of its share of a million timeline rows.
    await q.query(`ALTER TABLE deal ADD COLUMN stages_reached text[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      CREATE FUNCTION deal_track_stages_reached() RETURNS trigger LANGUAGE plpgsql AS $fn$
      DECLARE
        moved text[] := array_remove(ARRAY[NEW.payload->>'from', NEW.payload->>'to'], NULL);
      BEGIN
        UPDATE deal SET stages_reached = ARRAY(SELECT DISTINCT s FROM unnest(stages_reached || moved) AS s ORDER BY 1)
         WHERE id = NEW.deal_id AND NOT stages_reached @> moved;
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER trg_activity_stages_reached AFTER INSERT ON activity
      FOR EACH ROW WHEN (NEW.kind = 'stage_changed' AND NEW.deal_id IS NOT NULL)
      EXECUTE FUNCTION deal_track_stages_reached()`);
    await q.query(STAGES_REACHED_BACKFILL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS trg_activity_stages_reached ON activity`);
    await q.query(`DROP FUNCTION IF EXISTS deal_track_stages_reached()`);
    await q.query(`ALTER TABLE deal DROP COLUMN IF EXISTS stages_reached`);
    for (const ix of ['ix_activity_calls', 'ix_deal_owner_created', 'ix_deal_created', 'ix_contact_company']) {
      await q.query(`DROP INDEX IF EXISTS ${ix}`);
    }
    await q.query(`ALTER TABLE contact DROP COLUMN IF EXISTS tags, DROP COLUMN IF EXISTS company_id`);
    await q.query(`DROP TABLE IF EXISTS company`);
  }
}
