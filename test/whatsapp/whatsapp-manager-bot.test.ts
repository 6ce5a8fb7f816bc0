import { FakeBotApi } from '../telegram/fake-bot-api';
import { bind, drainOutbox, MANAGER_TOKEN, postUpdate, SECRET, textUpdate, CLIENT_TOKEN, type TgPerson } from '../telegram/telegram-helpers';
import { TestHub } from '../support/test-hub';
import { FakeGraphApi } from './fake-graph-api';
import { ACCESS_TOKEN, APP_SECRET, delivery, HUB_START_MS, PHONE_NUMBER_IDS, postDelivery, statusDelivery, VERIFY_TOKEN } from './whatsapp-helpers';

const olegTg: TgPerson = { id: 700200200, first_name: 'Oleg', username: 'oleg_wa', language_code: 'en' };

/**
 * The manager's Telegram bot with WhatsApp clients: the notice names the channel, a reply to it goes
 * back on WhatsApp, and the manager hears how it ended — sent, failed later (a status webhook), or
 * refused at once when the 24-hour window is closed.
 */
describe('WhatsApp clients in the Telegram manager bot', () => {
  let bots: FakeBotApi;
  let graph: FakeGraphApi;
  let hub: TestHub;

  beforeAll(async () => {
    bots = await FakeBotApi.start();
    bots.addBot(CLIENT_TOKEN, 'leadline_test_bot');
    bots.addBot(MANAGER_TOKEN, 'leadline_team_bot');
    graph = await FakeGraphApi.start(ACCESS_TOKEN);
    hub = await TestHub.start({
      TELEGRAM_BOT_TOKEN: CLIENT_TOKEN,
      TELEGRAM_MANAGER_BOT_TOKEN: MANAGER_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: bots.url,
      TELEGRAM_DEFAULT_LOCALE: 'en',
      PUBLIC_URL: 'https://crm.example.com',
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
      WHATSAPP_GRAPH_BASE_URL: graph.url,
      WHATSAPP_PHONE_NUMBER_IDS: PHONE_NUMBER_IDS.join(','),
    });
    const oleg = await hub.createManager({ name: 'Oleg' });
    await bind(hub, oleg.id, olegTg, 'manager');
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await graph?.stop();
    await bots?.stop();
  }, HUB_START_MS);

  const toOleg = () => bots.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === 'sendMessage' && String(c.params.chat_id) === String(olegTg.id));
  const statusLine = () => bots.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === 'editMessageText' && String(c.params.chat_id) === String(olegTg.id)).at(-1)?.params.text;
  /** The client writes twice (a lead, then a message the bot forwards); returns the forwarded notice to reply to. */
  async function clientWrites(waId: string): Promise<{ message_id: number; text: string }> {
    await postDelivery(hub, delivery('text', { from: waId }));
    await drainOutbox(hub);
    await postDelivery(hub, delivery('text', { from: waId }));
    await drainOutbox(hub);
    const [row] = await hub.query(`SELECT message_id FROM telegram_manager_message WHERE chat_id = $1 AND kind = 'message' ORDER BY created_at DESC LIMIT 1`, [String(olegTg.id)]);
    return { message_id: Number(row.message_id), text: String(toOleg().at(-1)!.params.text) };
  }
  const replyTo = (notice: { message_id: number; text: string }, text: string) =>
    postUpdate(hub, textUpdate(olegTg, text, { reply_to_message: { message_id: notice.message_id, chat: { id: olegTg.id, type: 'private' }, date: 0, text: notice.text } }), { bot: 'manager' });

  it('shows the channel of the client\'s message; a reply to it goes out on WhatsApp; a later failure reaches the manager', async () => {
    const notice = await clientWrites('77013330001');
    expect(notice.text).toMatch(/\(WhatsApp\):/);
    await replyTo(notice, 'Yes, we deliver tomorrow');
    await drainOutbox(hub);
    const sent = graph.sent.at(-1)!;
    expect(sent).toMatchObject({ phoneNumberId: '106540352242922', body: { to: '77013330001', text: { body: 'Yes, we deliver tomorrow' } } });
    expect(statusLine()).toBe('Sent to the client ✓');

    await postDelivery(hub, statusDelivery('status-failed-131026', sent.wamid));
    await drainOutbox(hub);
    expect(statusLine()).toMatch(/^Not sent: the message could not be delivered/);
  });

  it('after 24 hours the reply is refused at once, saying why', async () => {
    const t0 = new Date('2026-12-07T09:00:00Z');
    hub.clock.set(t0);
    try {
      const notice = await clientWrites('77013330002');
      hub.clock.set(new Date(t0.getTime() + 25 * 60 * 60_000));
      const before = graph.sent.length;
      await replyTo(notice, 'Still interested?');
      await drainOutbox(hub);
      expect(graph.sent.length).toBe(before);
      expect(statusLine()).toMatch(/^Not sent: .*window_closed/);
    } finally {
      hub.clock.useRealTime();
    }
  });
});
