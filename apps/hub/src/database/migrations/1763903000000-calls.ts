import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Telephony: the call log, its idempotency ledger, and the missed-call attempt count on callback tasks. */
export class Calls1763903000000 implements MigrationInterface {
  name = 'Calls1763903000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE call (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider text NOT NULL,
        provider_account text,
        provider_call_id text,
        direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        from_number text,
        to_number text,
        contact_id uuid REFERENCES contact(id),
        deal_id uuid REFERENCES deal(id),
        manager_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        placed_by_id uuid REFERENCES manager(id) ON DELETE SET NULL,
        status text NOT NULL,
        answered boolean NOT NULL DEFAULT false,
        duration_seconds integer,
        targets jsonb NOT NULL DEFAULT '[]',
        last_sequence integer NOT NULL DEFAULT -1,
        task_id uuid REFERENCES task(id) ON DELETE SET NULL,
        activity_id uuid,
        error text,
        started_at timestamptz NOT NULL,
        answered_at timestamptz,
        ended_at timestamptz,
        recording_sid text,
        recording_url text,
        recording_duration_seconds integer,
        recording_status text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_call_provider_call UNIQUE (provider, provider_call_id)
      )`);
    await q.query(`CREATE INDEX ix_call_contact ON call (contact_id, started_at DESC)`);
    await q.query(`CREATE INDEX ix_call_manager ON call (manager_id, started_at DESC)`);
    // Every provider callback once: a retried webhook finds its key and changes nothing.
    await q.query(`
      CREATE TABLE call_event (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        call_id uuid NOT NULL REFERENCES call(id) ON DELETE CASCADE,
        event_key text NOT NULL,
        type text NOT NULL,
        sequence integer,
        payload jsonb NOT NULL DEFAULT '{}',
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_call_event UNIQUE (call_id, event_key)
      )`);
    await q.query(`ALTER TABLE task ADD COLUMN missed_calls integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE task DROP COLUMN missed_calls`);
    await q.query(`DROP TABLE call_event`);
    await q.query(`DROP TABLE call`);
  }
}
