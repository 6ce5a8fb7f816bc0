import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `manager.capacity_used`: the open deals a manager with a capacity limit holds, kept by the database
 * so round robin reads one number instead of counting deals for every lead. Counting (up to the limit)
 * made each intake scan every limited manager's open deals: at 3,000 open deals each, PostgreSQL's own
 * ceiling for the intake SQL fell from ~500 to ~150 transactions a second, and it kept falling as deals
 * piled up.
 *
 * Kept only while `capacity` is set (0 otherwise), so deals of managers without a limit never touch or
 * lock the manager row and their intakes still never wait for each other:
 * - deal INSERT / UPDATE / DELETE (statement triggers, transition tables): the change in open deals per
 *   owner is summed and applied in owner-id order, so two statements touching the same managers lock
 *   them in the same order. The owner's row is read FOR KEY SHARE first; that lock is what a capacity
 *   change waits for (below). Deals closing, reopening, changing owner or being deleted (also by a
 *   cascade) all go through here.
 * - capacity set where there was none: the row is locked FOR UPDATE (waits for every transaction that
 *   wrote that manager's deals, which hold KEY SHARE until they commit: the FK check on owner_id or the
 *   trigger above), then the open deals are counted once. A transaction that writes the manager's deals
 *   after that waits for the change to commit and then counts itself in.
 * - capacity removed: 0.
 * db:move copies the column as it is (it disables triggers while copying).
 */
export class ManagerCapacityUsed1764200000000 implements MigrationInterface {
  name = 'ManagerCapacityUsed1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE manager ADD COLUMN capacity_used integer NOT NULL DEFAULT 0`);
    await q.query(`
      UPDATE manager m SET capacity_used = (SELECT count(*) FROM deal d WHERE d.owner_id = m.id AND d.closed_at IS NULL)
       WHERE m.capacity IS NOT NULL`);

    await q.query(`
      CREATE FUNCTION leadline_manager_capacity_used() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.capacity IS NULL OR TG_OP = 'INSERT' THEN
          -- No limit: nothing kept. A new manager holds no deals yet.
          NEW.capacity_used := 0;
        ELSIF OLD.capacity IS NULL THEN
          PERFORM 1 FROM manager WHERE id = NEW.id FOR UPDATE;
          SELECT count(*) INTO NEW.capacity_used FROM deal WHERE owner_id = NEW.id AND closed_at IS NULL;
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_manager_capacity_used BEFORE INSERT OR UPDATE OF capacity ON manager
        FOR EACH ROW EXECUTE FUNCTION leadline_manager_capacity_used()`);

    await q.query(`
      CREATE FUNCTION leadline_capacity_used_add(owner uuid, delta integer) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        limited boolean;
      BEGIN
        SELECT capacity IS NOT NULL INTO limited FROM manager WHERE id = owner FOR KEY SHARE;
        IF limited THEN
          UPDATE manager SET capacity_used = capacity_used + delta WHERE id = owner;
        END IF;
      END $$`);
    // A transition table exists only for the events its trigger names, so each event has its own query
    // (plpgsql parses a branch only when it runs).
    await q.query(`
      CREATE FUNCTION leadline_deal_capacity_used() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        change record;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          FOR change IN
            SELECT owner_id, count(*)::integer AS delta FROM new_deals
             WHERE owner_id IS NOT NULL AND closed_at IS NULL GROUP BY owner_id ORDER BY owner_id
          LOOP PERFORM leadline_capacity_used_add(change.owner_id, change.delta); END LOOP;
        ELSIF TG_OP = 'DELETE' THEN
          FOR change IN
            SELECT owner_id, -count(*)::integer AS delta FROM old_deals
             WHERE owner_id IS NOT NULL AND closed_at IS NULL GROUP BY owner_id ORDER BY owner_id
          LOOP PERFORM leadline_capacity_used_add(change.owner_id, change.delta); END LOOP;
        ELSE
          FOR change IN
            SELECT owner_id, sum(delta)::integer AS delta FROM (
              SELECT owner_id, 1 AS delta FROM new_deals WHERE owner_id IS NOT NULL AND closed_at IS NULL
              UNION ALL
              SELECT owner_id, -1 AS delta FROM old_deals WHERE owner_id IS NOT NULL AND closed_at IS NULL
            ) AS changes
            GROUP BY owner_id HAVING sum(delta) <> 0 ORDER BY owner_id
          LOOP PERFORM leadline_capacity_used_add(change.owner_id, change.delta); END LOOP;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_deal_capacity_used_insert AFTER INSERT ON deal
        REFERENCING NEW TABLE AS new_deals FOR EACH STATEMENT EXECUTE FUNCTION leadline_deal_capacity_used()`);
    await q.query(`
      CREATE TRIGGER tr_deal_capacity_used_update AFTER UPDATE ON deal
        REFERENCING OLD TABLE AS old_deals NEW TABLE AS new_deals FOR EACH STATEMENT EXECUTE FUNCTION leadline_deal_capacity_used()`);
    await q.query(`
      CREATE TRIGGER tr_deal_capacity_used_delete AFTER DELETE ON deal
        REFERENCING OLD TABLE AS old_deals FOR EACH STATEMENT EXECUTE FUNCTION leadline_deal_capacity_used()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS tr_deal_capacity_used_insert ON deal`);
    await q.query(`DROP TRIGGER IF EXISTS tr_deal_capacity_used_update ON deal`);
    await q.query(`DROP TRIGGER IF EXISTS tr_deal_capacity_used_delete ON deal`);
    await q.query(`DROP FUNCTION IF EXISTS leadline_deal_capacity_used()`);
    await q.query(`DROP FUNCTION IF EXISTS leadline_capacity_used_add(uuid, integer)`);
    await q.query(`DROP TRIGGER IF EXISTS tr_manager_capacity_used ON manager`);
    await q.query(`DROP FUNCTION IF EXISTS leadline_manager_capacity_used()`);
    await q.query(`ALTER TABLE manager DROP COLUMN IF EXISTS capacity_used`);
  }
}
