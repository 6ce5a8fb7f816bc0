import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbox wake-ups: a write that changes what the inbox lists show NOTIFYs `leadline_inbox`, and every
 * hub pings its open cockpits (`event: inbox`) to read the lists again. Whoever wrote it: the admin UI
 * in another tab, the Telegram bot, the SLA worker, an import or erasure. Before this only a stored
 * notice pinged, so a callback completed or put off in the bot stayed on the web inbox for a minute.
 *
 * What the lists show: a task's state, due time, assignee and title; a deal's owner, whether it is
 * closed and whether it was answered; the contact's name. Other writes (notes, SLA stamps, counters)
 * notify nobody. PostgreSQL delivers at commit, merges the identical notifications of one transaction
 * into one, and sends none for a rollback. Runs on PostgreSQL and PGlite alike.
 *
 * A new deal and its callback task are not announced here: every new deal is assigned or queued in
 * the same transaction, and that stores a notice (lead_assigned, deal_unassigned) which pings already.
 * So the intake transaction, the hottest write and the one with a p99 budget, fires none of these.
 */
export class InboxChanged1764200100000 implements MigrationInterface {
  name = 'InboxChanged1764200100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION leadline_inbox_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('leadline_inbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER tr_task_inbox_insert AFTER INSERT ON task FOR EACH ROW WHEN (NEW.kind <> 'callback') EXECUTE FUNCTION leadline_inbox_changed()`);
    await q.query(`CREATE TRIGGER tr_task_inbox_delete AFTER DELETE ON task FOR EACH ROW EXECUTE FUNCTION leadline_inbox_changed()`);
    await q.query(`
      CREATE TRIGGER tr_task_inbox_update AFTER UPDATE OF status, due_at, assignee_id, title ON task FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.due_at IS DISTINCT FROM NEW.due_at
              OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.title IS DISTINCT FROM NEW.title)
        EXECUTE FUNCTION leadline_inbox_changed()`);
    await q.query(`CREATE TRIGGER tr_deal_inbox_delete AFTER DELETE ON deal FOR EACH ROW EXECUTE FUNCTION leadline_inbox_changed()`);
    await q.query(`
      CREATE TRIGGER tr_deal_inbox_update AFTER UPDATE OF owner_id, closed_at, first_response_at ON deal FOR EACH ROW
        WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
              OR OLD.first_response_at IS DISTINCT FROM NEW.first_response_at)
        EXECUTE FUNCTION leadline_inbox_changed()`);
    await q.query(`
      CREATE TRIGGER tr_contact_inbox_update AFTER UPDATE OF name ON contact FOR EACH ROW
        WHEN (OLD.name IS DISTINCT FROM NEW.name)
        EXECUTE FUNCTION leadline_inbox_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS tr_contact_inbox_update ON contact`);
    await q.query(`DROP TRIGGER IF EXISTS tr_deal_inbox_update ON deal`);
    await q.query(`DROP TRIGGER IF EXISTS tr_deal_inbox_delete ON deal`);
    await q.query(`DROP TRIGGER IF EXISTS tr_task_inbox_update ON task`);
    await q.query(`DROP TRIGGER IF EXISTS tr_task_inbox_delete ON task`);
    await q.query(`DROP TRIGGER IF EXISTS tr_task_inbox_insert ON task`);
    await q.query(`DROP FUNCTION IF EXISTS leadline_inbox_changed()`);
  }
}
