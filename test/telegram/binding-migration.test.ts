import { TestHub } from '../support/test-hub';

const MIGRATION = 'GenericIdentities1764100200000';

/**
 * The migration that moved manager.telegram_* into telegram_manager_binding and opened
 * contact_identity.kind: down and up again keep every binding and every identity.
 */
describe('migration GenericIdentities: manager bindings and identity kinds survive down and up', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await TestHub.start();
  });
  afterAll(async () => {
    await hub?.close();
  });

  /** Undoes migrations, newest first, until this one is undone. */
  const downThroughThis = async () => {
    for (;;) {
      const [applied] = await hub.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`);
      await hub.dataSource.undoLastMigration();
      if (applied.name === MIGRATION) return;
    }
  };

  it('copies bindings to the manager columns on down and back on up; other kinds stay on down', async () => {
    const olga = await hub.createManager({ name: 'Olga' });
    const pavel = await hub.createManager({ name: 'Pavel' });
    await hub.query(`INSERT INTO telegram_manager_binding (manager_id, user_id, chat_id, username) VALUES ($1, '700001', '700001', 'olga_tg')`, [olga.id]);
    const [c] = await hub.query(`INSERT INTO contact (name) VALUES ('Ivan') RETURNING id`);
    await hub.query(`INSERT INTO contact_identity (contact_id, kind, value, details) VALUES ($1, 'vk', '190042', '{"screenName":"ivan_v"}'), ($1, 'telegram', '555', '{"username":"ivan"}')`, [c.id]);

    await downThroughThis();
    expect(await hub.query(`SELECT to_regclass('telegram_manager_binding') AS t`)).toEqual([{ t: null }]);
    const managers = await hub.query(`SELECT id, telegram_user_id, telegram_chat_id FROM manager WHERE id = ANY($1) ORDER BY name`, [[olga.id, pavel.id]]);
    expect(managers).toEqual([
      { id: olga.id, telegram_user_id: '700001', telegram_chat_id: '700001' },
      { id: pavel.id, telegram_user_id: null, telegram_chat_id: null },
    ]);
    // The old closed list is back for new rows; the VK identity stored meanwhile is not lost.
    expect(await hub.query(`SELECT kind, value FROM contact_identity WHERE contact_id = $1 ORDER BY kind`, [c.id])).toEqual([
      { kind: 'telegram', value: '555' },
      { kind: 'vk', value: '190042' },
    ]);
    await expect(hub.query(`INSERT INTO contact_identity (contact_id, kind, value) VALUES ($1, 'instagram', 'x')`, [c.id])).rejects.toThrow(/contact_identity_kind_check/);
    // Bound by hand on the old schema (chat id only): still a binding after up.
    await hub.query(`UPDATE manager SET telegram_chat_id = '800002' WHERE id = $1`, [pavel.id]);

    await hub.dataSource.runMigrations();
    const bindings = await hub.query(`SELECT manager_id, user_id, chat_id FROM telegram_manager_binding ORDER BY chat_id`);
    expect(bindings).toEqual([
      { manager_id: olga.id, user_id: '700001', chat_id: '700001' },
      { manager_id: pavel.id, user_id: null, chat_id: '800002' },
    ]);
    expect(await hub.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'manager' AND column_name LIKE 'telegram%'`)).toEqual([]);
    expect(await hub.query(`SELECT count(*)::int AS n FROM contact_identity WHERE contact_id = $1`, [c.id])).toEqual([{ n: 2 }]);
    await hub.query(`INSERT INTO contact_identity (contact_id, kind, value) VALUES ($1, 'instagram', 'x')`, [c.id]);

    // The managers API reports the binding through the registry (Telegram is off in this hub).
    const view = await hub.request({ method: 'GET', url: `/api/managers/${olga.id}`, token: await hub.adminToken() });
    expect(view.body.bindings).toEqual([{ channel: 'telegram', label: null, linkedAt: expect.any(String) }]);
  });

  it('on up, one Telegram account held by two managers stays with the one updated last', async () => {
    const a = await hub.createManager({ name: 'Aigerim' });
    const b = await hub.createManager({ name: 'Bakhyt' });
    await downThroughThis();
    await hub.query(`UPDATE manager SET telegram_user_id = '900009', telegram_chat_id = '900009', updated_at = $2 WHERE id = $1`, [a.id, '2026-01-01T00:00:00Z']);
    await hub.query(`UPDATE manager SET telegram_user_id = '900009', telegram_chat_id = '900009', updated_at = $2 WHERE id = $1`, [b.id, '2026-02-01T00:00:00Z']);
    await hub.dataSource.runMigrations();
    expect(await hub.query(`SELECT manager_id FROM telegram_manager_binding WHERE user_id = '900009'`)).toEqual([{ manager_id: b.id }]);
  });
});
