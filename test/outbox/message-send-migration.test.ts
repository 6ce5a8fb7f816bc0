import { TestHub } from '../support/test-hub';

const MIGRATION = 'MessageSendOutbox1764100100000';

/** Managers' messages queued before the channel plug-in contract are delivered by the generic 'message.send'. */
describe('migration: per-channel message kinds → message.send', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await TestHub.start();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const undoThrough = async (name: string) => {
    const names = hub.dataSource.migrations.map((m) => m.name);
    for (const n of names.slice(names.indexOf(name)).reverse()) {
      const [applied] = await hub.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`);
      expect(applied.name).toBe(n);
      await hub.dataSource.undoLastMigration();
    }
  };
  const rows = async () => hub.query(`SELECT id, kind, status, payload FROM outbox WHERE kind LIKE 'message.%' AND kind <> 'message.delivery_result' ORDER BY created_at, id`);
  const base = { activityId: '11111111-1111-4111-8111-111111111111', contactId: '22222222-2222-4222-8222-222222222222', dealId: null, text: 'Hello' };

  it('rewrites rows not done yet, keeps done ones, and goes down and up again', async () => {
    await undoThrough(MIGRATION);
    await hub.query(
      `INSERT INTO outbox (kind, payload, status, created_at) VALUES
         ('message.telegram', $1::jsonb, 'pending', now() - interval '3 minutes'),
         ('message.email', $2::jsonb, 'dead', now() - interval '2 minutes'),
         ('message.telegram', $3::jsonb, 'done', now() - interval '1 minute')`,
      [
        JSON.stringify({ ...base, chatId: '7001' }),
        JSON.stringify({ ...base, to: 'a@b.c', subject: 'Re: Prices', references: ['<m1@x>'], inReplyTo: '<m1@x>' }),
        JSON.stringify({ ...base, chatId: '7002' }),
      ],
    );
    const before = await rows();
    await hub.dataSource.runMigrations();
    const after = await rows();
    expect(after.map((r: any) => [r.kind, r.status, r.payload])).toEqual([
      ['message.send', 'pending', { ...base, channel: 'telegram', to: '7001' }],
      ['message.send', 'dead', { ...base, channel: 'email', to: 'a@b.c', subject: 'Re: Prices', references: ['<m1@x>'], inReplyTo: '<m1@x>' }],
      ['message.telegram', 'done', { ...base, chatId: '7002' }],
    ]);
    await undoThrough(MIGRATION);
    expect((await rows()).map((r: any) => [r.kind, r.status, r.payload])).toEqual(before.map((r: any) => [r.kind, r.status, r.payload]));
    await hub.dataSource.runMigrations();
    expect((await rows()).map((r: any) => r.kind)).toEqual(['message.send', 'message.send', 'message.telegram']);
  });
});
