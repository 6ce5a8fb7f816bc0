import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Managers' messages go through one outbox kind, 'message.send', with the channel in the payload (the
 * channel plug-in contract): rows of the old per-channel kinds that are not done yet are rewritten so
 * the new handler delivers them. Telegram's `chatId` becomes the generic `to`. Done rows stay as they
 * were: history, never read again.
 */
export class MessageSendOutbox1764100100000 implements MigrationInterface {
  name = 'MessageSendOutbox1764100100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE outbox SET kind = 'message.send',
             payload = (payload - 'chatId') || jsonb_build_object('channel', 'telegram', 'to', payload->>'chatId'), updated_at = now()
       WHERE kind = 'message.telegram' AND status <> 'done'`);
    await q.query(`
      UPDATE outbox SET kind = 'message.send', payload = payload || '{"channel":"email"}'::jsonb, updated_at = now()
       WHERE kind = 'message.email' AND status <> 'done'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE outbox SET kind = 'message.telegram',
             payload = (payload - 'channel' - 'to') || jsonb_build_object('chatId', payload->>'to'), updated_at = now()
       WHERE kind = 'message.send' AND payload->>'channel' = 'telegram' AND status <> 'done'`);
    await q.query(`
      UPDATE outbox SET kind = 'message.email', payload = payload - 'channel', updated_at = now()
       WHERE kind = 'message.send' AND payload->>'channel' = 'email' AND status <> 'done'`);
  }
}
