import { createTestDatabase, usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';
import { FakeBotApi } from './fake-bot-api';
import { HUB_START_MS } from './telegram-helpers';
import { CLIENT_BOT_ID, CLIENT_TOKEN, drainOutbox, messageUpdate, postUpdate, SECRET, textUpdate, updateId, type TgPerson } from './telegram-helpers';

const petr: TgPerson = { id: 555000444, first_name: 'Petr', language_code: 'en' };
const mila: TgPerson = { id: 700200300, first_name: 'Mila', language_code: 'en' };

describe('Telegram long polling (http PUBLIC_URL, one bot for clients and managers)', () => {
  let fake: FakeBotApi;
  let hub: TestHub;

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    fake.addBot(CLIENT_TOKEN, 'leadline_test_bot');
    hub = await TestHub.start({ TELEGRAM_BOT_TOKEN: CLIENT_TOKEN, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: fake.url, TELEGRAM_DEFAULT_LOCALE: 'en', PUBLIC_URL: 'http://localhost:3000' });
    await hub.createManager({ name: 'Max' });
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await fake.stop();
  }, HUB_START_MS);

  const offset = async () => Number((await hub.query(`SELECT update_offset FROM telegram_bot_state WHERE bot = $1`, [String(CLIENT_BOT_ID)]))[0]?.update_offset ?? 0);
  const contactOf = async (tgId: number) => (await hub.query(`SELECT contact_id FROM contact_identity WHERE kind = 'telegram' AND value = $1`, [String(tgId)]))[0];

  it('shows "connected" as soon as the first getUpdates answers, not after a 25 s long poll', async () => {
    const started = Date.now();
    await waitFor(async () => {
      const res = await hub.request({ url: '/api/channels/status', token: await hub.adminToken() });
      return res.body.some((c: { channel: string; status: string }) => c.channel === 'telegram' && c.status === 'connected');
    }, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The first call does not wait; the ones after it are long polls.
    const polls = fake.sent('getUpdates');
    expect(Number(polls[0].params.timeout)).toBe(0);
    await waitFor(async () => fake.sent('getUpdates').length > 1);
    expect(Number(fake.sent('getUpdates')[1].params.timeout)).toBe(25);
  });

  it('removes any webhook and receives updates by getUpdates, persisting the offset', async () => {
    await waitFor(async () => fake.sent('getUpdates').length > 0);
    expect(fake.sent('deleteWebhook')).toHaveLength(1);
    const u = textUpdate(petr, 'Hello from polling');
    fake.pushUpdate(CLIENT_TOKEN, u);
    await waitFor(async () => (await offset()) === u.update_id + 1);
    expect(await contactOf(petr.id)).toBeDefined();
    // The next poll confirmed it: Telegram would not send it again.
    await waitFor(async () => fake.pendingCount(CLIENT_TOKEN) === 0);
  });

  it('the same update by webhook after polling changes nothing', async () => {
    const u = textUpdate(petr, 'twice');
    fake.pushUpdate(CLIENT_TOKEN, u);
    await waitFor(async () => (await offset()) === u.update_id + 1);
    const before = (await hub.query(`SELECT count(*)::int AS n FROM activity`))[0].n;
    expect((await postUpdate(hub, u)).status).toBe(200);
    expect((await hub.query(`SELECT count(*)::int AS n FROM activity`))[0].n).toBe(before);
  });

  it('a bad update does not hold back the ones after it', async () => {
    const bad = { update_id: updateId(), message: { message_id: 1, chat: { id: 'not-a-number', type: 'private' }, date: 'yesterday' } };
    const good = textUpdate({ id: 555000555, first_name: 'Gina' }, 'still works');
    fake.pushUpdate(CLIENT_TOKEN, bad);
    fake.pushUpdate(CLIENT_TOKEN, good);
    await waitFor(async () => (await offset()) === good.update_id + 1);
    expect(await contactOf(555000555)).toBeDefined();
  });

  it('on the shared bot a bound manager is a manager, not a client', async () => {
    const [max] = await hub.query(`SELECT id FROM manager WHERE name = 'Max'`);
    const link = await hub.request({ method: 'POST', url: `/api/managers/${max.id}/telegram-link`, token: await hub.adminToken() });
    expect(link.body.url).toBe(`https://t.me/leadline_test_bot?start=${link.body.code}`);
    const start = textUpdate(mila, `/start ${link.body.code}`);
    fake.pushUpdate(CLIENT_TOKEN, start);
    await waitFor(async () => (await offset()) === start.update_id + 1);
    const tasks = textUpdate(mila, '/tasks');
    fake.pushUpdate(CLIENT_TOKEN, tasks);
    await waitFor(async () => (await offset()) === tasks.update_id + 1);
    expect(fake.lastSent(mila.id)!.params.text).toMatch(/My open tasks|No open tasks/);
    expect(await contactOf(mila.id)).toBeUndefined();
  });

  it('on the shared bot a client voice reaches the manager as a voice message, re-sent by its file id', async () => {
    fake.addFile('AwACshared-voice', 'voice/file_9.oga', Buffer.from('OggS voice'), CLIENT_TOKEN);
    const voice = messageUpdate(petr, { voice: { file_id: 'AwACshared-voice', file_unique_id: 'sv', duration: 4, mime_type: 'audio/ogg', file_size: 10 } });
    fake.pushUpdate(CLIENT_TOKEN, voice);
    await waitFor(async () => (await offset()) === voice.update_id + 1);
    await drainOutbox(hub);
    const sent = fake.sent('sendVoice', mila.id).at(-1)!;
    // One bot on both sides: its own file id is enough, nothing is downloaded or uploaded.
    expect(sent.params.voice).toBe('AwACshared-voice');
    expect(sent.uploads).toEqual({});
    expect(sent.params.caption).toContain('Petr');
  });

  if (usingPostgres()) {
    it('two hub processes on one database: one polls the bot, the other takes over when it stops, never a 409', async () => {
      // A bot of its own: the hub above keeps polling CLIENT_TOKEN.
      const token = '7003003003:AAHshared-token-for-tests-0123456789';
      fake.addBot(token, 'leadline_shared_bot');
      const db = await createTestDatabase();
      const env = { TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: fake.url, TELEGRAM_DEFAULT_LOCALE: 'en', PUBLIC_URL: 'http://localhost:3000' };
      const a = await TestHub.start(env, undefined, { existing: db });
      const b = await TestHub.start(env, undefined, { existing: db });
      const conflictsBefore = fake.conflicts;
      const stateOf = async (hub: TestHub) => {
        const res = await hub.request({ url: '/api/channels/status', token: await hub.adminToken() });
        return res.body.find((c: any) => c.channel === 'telegram');
      };
      const offsetOf = async (hub: TestHub) => Number((await hub.query(`SELECT update_offset FROM telegram_bot_state WHERE bot = '7003003003'`))[0]?.update_offset ?? 0);
      try {
        await waitFor(async () => fake.calls.some((c) => c.token === token && c.method === 'getUpdates'));
        const first = textUpdate({ id: 555000666, first_name: 'Olga' }, 'one poller');
        fake.pushUpdate(token, first);
        await waitFor(async () => (await offsetOf(a)) === first.update_id + 1);
        const states = [await stateOf(a), await stateOf(b)];
        expect(states.map((st) => st.status).sort()).toEqual(['connected', 'connecting']);
        expect(states.find((st) => st.status === 'connecting').lastError).toBe('polled by another hub process');
        const [holder, other] = states[0].status === 'connected' ? [a, b] : [b, a];

        await holder.stop();
        const second = textUpdate({ id: 555000777, first_name: 'Pavel' }, 'after the first process stopped');
        fake.pushUpdate(token, second);
        await waitFor(async () => (await offsetOf(other)) === second.update_id + 1, 20_000);
        expect((await stateOf(other)).status).toBe('connected');
        const leads = await other.query(`SELECT count(*)::int AS n FROM activity WHERE kind = 'lead' AND channel = 'telegram'`);
        expect(leads).toEqual([{ n: 2 }]);
        expect(fake.conflicts - conflictsBefore).toBe(0);
      } finally {
        await a.stop().catch(() => undefined);
        await b.stop().catch(() => undefined);
        await db.drop();
      }
    }, 60_000);
  }
});

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
