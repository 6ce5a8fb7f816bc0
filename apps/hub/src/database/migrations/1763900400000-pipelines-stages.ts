import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The stages every hub had before pipelines were data; the default pipeline starts with them. */
const DEFAULT_STAGES: Array<[key: string, name: string, kind: 'open' | 'won' | 'lost']> = [
  ['new', 'New', 'open'],
  ['first_contact', 'First contact', 'open'],
  ['qualified', 'Qualified', 'open'],
  ['proposal', 'Proposal', 'open'],
  ['won', 'Won', 'won'],
  ['lost', 'Lost', 'lost'],
];

/**
 * Pipelines and their stages as data, stage rules ("on entering this stage create task T"), and the
 * link from deals and tasks to them. Existing deals move onto the default pipeline's stage with the
 * same key; `deal.stage` keeps the stage key (stage keys never change), so filters and older writers
 * that only know keys keep working.
 */
export class PipelinesStages1763900400000 implements MigrationInterface {
  name = 'PipelinesStages1763900400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pipeline (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        is_default boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_pipeline_name ON pipeline (lower(name))`);
    // At most one default; the API never leaves none (setting a default unsets the old one in the same transaction).
    await q.query(`CREATE UNIQUE INDEX uq_pipeline_default ON pipeline (is_default) WHERE is_default`);
    await q.query(`
      CREATE TABLE stage (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        pipeline_id uuid NOT NULL REFERENCES pipeline(id) ON DELETE CASCADE,
        key text NOT NULL,
        name text NOT NULL,
        position integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_stage_pipeline_key UNIQUE (pipeline_id, key)
      )`);
    await q.query(`CREATE INDEX ix_stage_pipeline_position ON stage (pipeline_id, position)`);
    await q.query(`
      CREATE TABLE stage_rule (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        stage_id uuid NOT NULL REFERENCES stage(id) ON DELETE CASCADE,
        title text NOT NULL,
        assign_to text NOT NULL CHECK (assign_to IN ('owner', 'admins', 'manager')),
        manager_id uuid REFERENCES manager(id),
        due_in integer NOT NULL CHECK (due_in > 0),
        due_unit text NOT NULL CHECK (due_unit IN ('minutes', 'hours')),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_stage_rule_manager CHECK ((assign_to = 'manager') = (manager_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX ix_stage_rule_stage ON stage_rule (stage_id, created_at)`);

    const [pipeline] = await q.query(`INSERT INTO pipeline (name, is_default) VALUES ('Sales', true) RETURNING id`);
    for (const [i, [key, name, kind]] of DEFAULT_STAGES.entries()) {
      await q.query(`INSERT INTO stage (pipeline_id, key, name, position, kind) VALUES ($1, $2, $3, $4, $5)`, [pipeline.id, key, name, i, kind]);
    }

    await q.query(`ALTER TABLE deal ADD COLUMN pipeline_id uuid REFERENCES pipeline(id), ADD COLUMN stage_id uuid REFERENCES stage(id)`);
    // A stage key the default pipeline does not know (none existed before) lands in its first stage.
    await q.query(
      `UPDATE deal SET pipeline_id = $1,
              stage_id = COALESCE((SELECT s.id FROM stage s WHERE s.pipeline_id = $1 AND s.key = deal.stage),
                                  (SELECT s.id FROM stage s WHERE s.pipeline_id = $1 AND s.key = 'new'))`,
      [pipeline.id],
    );
    await q.query(`UPDATE deal SET stage = s.key FROM stage s WHERE s.id = deal.stage_id AND deal.stage <> s.key`);
    await q.query(`ALTER TABLE deal ALTER COLUMN pipeline_id SET NOT NULL, ALTER COLUMN stage_id SET NOT NULL`);
    await q.query(`CREATE INDEX ix_deal_stage_id ON deal (stage_id, created_at DESC)`);
    await q.query(`CREATE INDEX ix_deal_pipeline ON deal (pipeline_id, created_at DESC)`);

    // Writers that only know stage keys (intake before this change, scripts, benchmarks, raw SQL in
    // tests) keep working: a deal inserted without pipeline/stage ids lands on the default pipeline,
    // in the stage with its key or else the pipeline's first open stage; a key-only update resolves
    // the key within the deal's pipeline. deal.stage always ends up as the key of deal.stage_id.
    await q.query(`
      CREATE FUNCTION deal_stage_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.stage_id IS NOT DISTINCT FROM OLD.stage_id AND NEW.stage IS DISTINCT FROM OLD.stage THEN
          SELECT id INTO NEW.stage_id FROM stage WHERE pipeline_id = NEW.pipeline_id AND key = NEW.stage;
          IF NEW.stage_id IS NULL THEN
            RAISE EXCEPTION 'pipeline % has no stage %', NEW.pipeline_id, NEW.stage USING ERRCODE = '23514';
          END IF;
        END IF;
        IF NEW.pipeline_id IS NULL THEN
          SELECT id INTO NEW.pipeline_id FROM pipeline WHERE is_default;
        END IF;
        IF NEW.stage_id IS NULL THEN
          SELECT id INTO NEW.stage_id FROM stage WHERE pipeline_id = NEW.pipeline_id AND key = NEW.stage;
          IF NEW.stage_id IS NULL THEN
            SELECT id INTO NEW.stage_id FROM stage WHERE pipeline_id = NEW.pipeline_id AND kind = 'open' ORDER BY position LIMIT 1;
          END IF;
        END IF;
        SELECT key INTO NEW.stage FROM stage WHERE id = NEW.stage_id;
        RETURN NEW;
      END
      $$`);
    await q.query(`CREATE TRIGGER deal_stage_sync BEFORE INSERT OR UPDATE OF stage, stage_id, pipeline_id ON deal FOR EACH ROW EXECUTE FUNCTION deal_stage_sync()`);

    // Tasks made by a stage rule remember the stage, so leaving it cancels them; owner-following tasks
    // move with the deal's owner, tasks for admins or a named manager stay with them.
    await q.query(
      `ALTER TABLE task ADD COLUMN stage_id uuid REFERENCES stage(id) ON DELETE SET NULL,
                       ADD COLUMN stage_rule_id uuid REFERENCES stage_rule(id) ON DELETE SET NULL,
                       ADD COLUMN follows_owner boolean NOT NULL DEFAULT true`,
    );
    await q.query(`CREATE INDEX ix_task_deal_stage_open ON task (deal_id, stage_id) WHERE status = 'open' AND stage_id IS NOT NULL`);
    await q.query(`CREATE INDEX ix_task_stage_rule ON task (stage_rule_id) WHERE stage_rule_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_task_stage_rule`);
    await q.query(`DROP INDEX IF EXISTS ix_task_deal_stage_open`);
    await q.query(`ALTER TABLE task DROP COLUMN IF EXISTS follows_owner, DROP COLUMN IF EXISTS stage_rule_id, DROP COLUMN IF EXISTS stage_id`);
    await q.query(`DROP TRIGGER IF EXISTS deal_stage_sync ON deal`);
    await q.query(`DROP FUNCTION IF EXISTS deal_stage_sync()`);
    await q.query(`ALTER TABLE deal DROP COLUMN IF EXISTS stage_id, DROP COLUMN IF EXISTS pipeline_id`);
    await q.query(`DROP TABLE IF EXISTS stage_rule`);
    await q.query(`DROP TABLE IF EXISTS stage`);
    await q.query(`DROP TABLE IF EXISTS pipeline`);
  }
}
