import type { MigrationInterface, QueryRunner } from 'typeorm';

const CALL_KINDS = `('call_in', 'call_out', 'call_missed')`;

/**
 * The figures of one call activity, as the managers report counts them. `manager` is who the call counts
 * for: its actor, or — a missed call nobody took — the deal's owner when it rang.
 */
const FACT_COLUMNS = (a: string, manager: string) => `
  ${a}.id, ${a}.occurred_at, ${manager}, ${a}.kind,
  COALESCE(${a}.kind IN ('call_in', 'call_out') AND ${a}.payload->>'answered' = 'true', false),
  -- A malformed duration must not make writing the activity fail: it counts as no talk time. Nested CASE,
  -- because AND does not promise to test the type before the cast.
  CASE WHEN jsonb_typeof(${a}.payload->'durationSeconds') = 'number' THEN
         CASE WHEN (${a}.payload->>'durationSeconds')::numeric BETWEEN 0 AND 2147483647
              THEN round((${a}.payload->>'durationSeconds')::numeric)::integer ELSE 0 END
       ELSE 0 END`;

/** Fills call_fact from the call activities already written (the deal's current owner for unattended misses). */
export const CALL_FACTS_BACKFILL = `
  INSERT INTO call_fact (activity_id, occurred_at, manager_id, kind, answered, talk_seconds)
  SELECT ${FACT_COLUMNS('a', 'COALESCE(a.actor_id, d.owner_id)')}
    FROM activity a LEFT JOIN deal d ON d.id = a.deal_id AND a.actor_id IS NULL
   WHERE a.kind IN ${CALL_KINDS}
  ON CONFLICT (activity_id) DO NOTHING`;

/**
 * Calls for the managers report as narrow rows (call_fact), kept by the database from the call activities
 * whoever writes them. Reading a year of calls from the activity's jsonb payload, and probing the deal of
 * every unattended missed call for its owner, took ~170 ms of a 250 ms year-long report; the narrow rows
 * take ~30 ms. The deal side reads first-response times and stages from one covering index in owner order.
 */
export class ReportCallFacts1763906000000 implements MigrationInterface {
  name = 'ReportCallFacts1763906000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE call_fact (
        activity_id uuid PRIMARY KEY REFERENCES activity(id) ON DELETE CASCADE,
        occurred_at timestamptz(3) NOT NULL,
        manager_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        kind text NOT NULL,
        answered boolean NOT NULL,
        talk_seconds integer NOT NULL
      )`);
    // Index-only scans: a period for everybody (admin), a period of one manager (a manager's own figures).
    await q.query(`CREATE INDEX ix_call_fact_time ON call_fact (occurred_at) INCLUDE (manager_id, kind, answered, talk_seconds)`);
    await q.query(`CREATE INDEX ix_call_fact_manager ON call_fact (manager_id, occurred_at) INCLUDE (kind, answered, talk_seconds)`);

    // The owner is looked up once, when the call is written: a missed call stays with whoever owned the
    // deal when it rang, even after the deal moves to another manager. Later edits of the same activity
    // (a recording added to the payload) keep that attribution unless the actor or deal itself changes.
    await q.query(`
      CREATE FUNCTION activity_call_fact_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
      DECLARE
        keep_owner boolean := false;
      BEGIN
        IF NEW.kind NOT IN ${CALL_KINDS} THEN
          DELETE FROM call_fact WHERE activity_id = NEW.id;
          RETURN NULL;
        END IF;
        IF TG_OP = 'UPDATE' THEN
          keep_owner := OLD.kind IN ${CALL_KINDS} AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
                        AND NEW.deal_id IS NOT DISTINCT FROM OLD.deal_id;
        END IF;
        INSERT INTO call_fact (activity_id, occurred_at, manager_id, kind, answered, talk_seconds)
        VALUES (${FACT_COLUMNS('NEW', 'COALESCE(NEW.actor_id, (SELECT d.owner_id FROM deal d WHERE d.id = NEW.deal_id))')})
        ON CONFLICT (activity_id) DO UPDATE
          SET occurred_at = EXCLUDED.occurred_at, kind = EXCLUDED.kind, answered = EXCLUDED.answered, talk_seconds = EXCLUDED.talk_seconds,
              manager_id = CASE WHEN keep_owner THEN call_fact.manager_id ELSE EXCLUDED.manager_id END;
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER trg_activity_call_fact_insert AFTER INSERT ON activity
      FOR EACH ROW WHEN (NEW.kind IN ${CALL_KINDS}) EXECUTE FUNCTION activity_call_fact_sync()`);
    // Contact merges rewrite contact_id only: not a column listed here, so they never fire it.
    await q.query(`
      CREATE TRIGGER trg_activity_call_fact_update AFTER UPDATE OF kind, actor_id, deal_id, occurred_at, payload ON activity
      FOR EACH ROW WHEN (NEW.kind IN ${CALL_KINDS} OR OLD.kind IN ${CALL_KINDS}) EXECUTE FUNCTION activity_call_fact_sync()`);
    await q.query(CALL_FACTS_BACKFILL);

    // Calls are no longer read from the timeline.
    await q.query(`DROP INDEX IF EXISTS ix_activity_calls`);
    // Owner, period and the columns the managers report aggregates (stage for won/lost, first response).
    await q.query(`CREATE INDEX ix_deal_owner_report ON deal (owner_id, created_at) INCLUDE (stage_id, first_response_at)`);
    await q.query(`DROP INDEX IF EXISTS ix_deal_owner_created`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS ix_deal_owner_created ON deal (owner_id, created_at)`);
    await q.query(`DROP INDEX IF EXISTS ix_deal_owner_report`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS ix_activity_calls ON activity (occurred_at) INCLUDE (actor_id, deal_id, kind, payload) WHERE kind IN ${CALL_KINDS}`,
    );
    await q.query(`DROP TRIGGER IF EXISTS trg_activity_call_fact_update ON activity`);
    await q.query(`DROP TRIGGER IF EXISTS trg_activity_call_fact_insert ON activity`);
    await q.query(`DROP FUNCTION IF EXISTS activity_call_fact_sync()`);
    await q.query(`DROP TABLE IF EXISTS call_fact`);
  }
}
