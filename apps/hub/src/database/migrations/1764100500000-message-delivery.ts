import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * WhatsApp and SMS delivery reports find the manager's message by the provider's id (wamid, Twilio
 * MessageSid) among every message_out entry: an expression index keeps each status webhook one lookup.
 * A callback task remembers when its automatic missed-call SMS was sent: one per task, however many calls join it.
 */
export class MessageDelivery1764100500000 implements MigrationInterface {
  name = 'MessageDelivery1764100500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ix_activity_provider_message ON activity (channel, (payload->>'providerMessageId')) WHERE kind = 'message_out'`);
    await q.query(`ALTER TABLE task ADD COLUMN missed_call_sms_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE task DROP COLUMN missed_call_sms_at`);
    await q.query(`DROP INDEX ix_activity_provider_message`);
  }
}
