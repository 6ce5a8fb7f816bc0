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
 *
 * One trigger function serves every wake-up channel: `leadline_notify('<channel>')`. The outbox's
 * trigger (migration 1764000600000 gave it a function of its own) is moved onto it here.
 */
export class InboxChanged1764200100000 implements MigrationInterface {
  name = 'InboxChanged1764200100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION leadline_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_ARGV[0], '');
        RETURN NULL;
      END $$`);
    for (const t of INBOX_TRIGGERS) {
      await q.query(
        `CREATE TRIGGER ${t.name} AFTER ${t.event} ON ${t.table} FOR EACH ROW ${t.when ? `WHEN (${t.when})` : ''} EXECUTE FUNCTION leadline_notify('leadline_inbox')`,
      );
    }
    await q.query(`DROP TRIGGER tr_outbox_wake ON outbox`);
    await q.query(`CREATE TRIGGER tr_outbox_wake ${OUTBOX_TRIGGER} EXECUTE FUNCTION leadline_notify('leadline_outbox')`);
    await q.query(`DROP FUNCTION leadline_outbox_wake()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION leadline_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('leadline_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`DROP TRIGGER tr_outbox_wake ON outbox`);
    await q.query(`CREATE TRIGGER tr_outbox_wake ${OUTBOX_TRIGGER} EXECUTE FUNCTION leadline_outbox_wake()`);
    for (const t of INBOX_TRIGGERS) await q.query(`DROP TRIGGER IF EXISTS ${t.name} ON ${t.table}`);
    await q.query(`DROP FUNCTION IF EXISTS leadline_notify()`);
  }
}

/** The outbox's wake-up, as migration 1764000600000 defined it. */
const OUTBOX_TRIGGER = `AFTER INSERT OR UPDATE OF status ON outbox FOR EACH ROW WHEN (NEW.status = 'pending')`;

/** Each trigger on what the inbox lists show: fired AFTER `event` ON `table`, per row, when `when` holds. */
const INBOX_TRIGGERS: Array<{ name: string; table: string; event: string; when?: string }> = [
  { name: 'tr_task_inbox_insert', table: 'task', event: 'INSERT', when: `NEW.kind <> 'callback'` },
  { name: 'tr_task_inbox_delete', table: 'task', event: 'DELETE' },
  {
    name: 'tr_task_inbox_update',
    table: 'task',
    event: 'UPDATE OF status, due_at, assignee_id, title',
    when: `OLD.status IS DISTINCT FROM NEW.status OR OLD.due_at IS DISTINCT FROM NEW.due_at
           OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.title IS DISTINCT FROM NEW.title`,
  },
  { name: 'tr_deal_inbox_delete', table: 'deal', event: 'DELETE' },
  {
    name: 'tr_deal_inbox_update',
    table: 'deal',
    event: 'UPDATE OF owner_id, closed_at, first_response_at',
    when: `OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
           OR OLD.first_response_at IS DISTINCT FROM NEW.first_response_at`,
  },
  { name: 'tr_contact_inbox_update', table: 'contact', event: 'UPDATE OF name', when: 'OLD.name IS DISTINCT FROM NEW.name' },
];
