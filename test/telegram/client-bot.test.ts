import type { TestHub } from '../support/test-hub';
import { FakeBotApi } from './fake-bot-api';
import { HUB_START_MS } from './telegram-helpers';
import { anna, boris, CLIENT_TOKEN, drainOutbox, messageUpdate, postUpdate, SECRET, startTelegramHub, textUpdate } from './telegram-helpers';

describe('Telegram client bot (webhook, fake Bot API)', () => {
  let fake: FakeBotApi;
  let hub: TestHub;
  let olga: { id: string; token: string };

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    hub = await startTelegramHub(fake);
    olga = await hub.createManager({ name: 'Olga' });
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await fake.stop();
  }, HUB_START_MS);

  const contactOf = async (tgId: number) =>
    (await hub.query(`SELECT c.* FROM contact c JOIN contact_identity ci ON ci.contact_id = c.id WHERE ci.kind = 'telegram' AND ci.value = $1`, [String(tgId)]))[0];

  it('registers its webhook with the secret token on start', async () => {
    await waitFor(() => fake.webhook.has(CLIENT_TOKEN));
    expect(fake.webhook.get(CLIENT_TOKEN)).toMatchObject({ url: 'https://crm.example.com/api/inbound/telegram/client', secret_token: SECRET });
  });

  it('refuses a wrong or missing secret with 401 and stores nothing', async () => {
    const u = textUpdate(boris, 'let me in');
    expect((await postUpdate(hub, u, { secret: 'wrong-secret-0000000000' })).status).toBe(401);
    expect((await postUpdate(hub, u, { secret: null })).status).toBe(401);
    expect(await hub.query(`SELECT 1 FROM inbound_receipt WHERE channel = 'telegram'`)).toHaveLength(0);
    expect(await contactOf(boris.id)).toBeUndefined();
  });

  it('turns a first private message into a lead: contact with Telegram identity, deal, owner, callback task', async () => {
    const res = await postUpdate(hub, textUpdate(anna, 'Здравствуйте, сколько стоит доставка?'));
    expect(res.status).toBe(200);
    const contact = await contactOf(anna.id);
    expect(contact.name).toBe('Анна Петрова');
    const [identity] = await hub.query(`SELECT details FROM contact_identity WHERE contact_id = $1 AND kind = 'telegram'`, [contact.id]);
    expect(identity.details).toEqual({ username: 'anna_p' });
    const [deal] = await hub.query(`SELECT * FROM deal WHERE contact_id = $1`, [contact.id]);
    expect(deal).toMatchObject({ source_channel: 'telegram', owner_id: olga.id });
    expect(await hub.query(`SELECT * FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open'`, [deal.id])).toHaveLength(1);
    const [lead] = await hub.query(`SELECT payload FROM activity WHERE contact_id = $1 AND kind = 'lead'`, [contact.id]);
    expect(lead.payload).toMatchObject({ message: 'Здравствуйте, сколько стоит доставка?', details: { chatId: anna.id, botId: 7001001001 } });
    // The client is thanked (in their Telegram language) and offered the phone button.
    const reply = fake.lastSent(anna.id)!;
    expect(reply.params.text).toContain('Менеджер скоро с вами свяжется');
    expect(reply.params.reply_markup.keyboard[0][0]).toMatchObject({ request_contact: true });
  });

  it('adds follow-up messages to the open deal as messages, without new tasks', async () => {
    const contact = await contactOf(anna.id);
    await postUpdate(hub, textUpdate(anna, 'И ещё вопрос про сроки'));
    const tasks = await hub.query(`SELECT * FROM task WHERE contact_id = $1`, [contact.id]);
    expect(tasks).toHaveLength(1);
    expect(await hub.query(`SELECT * FROM deal WHERE contact_id = $1`, [contact.id])).toHaveLength(1);
    const [msg] = await hub.query(`SELECT payload FROM activity WHERE contact_id = $1 AND kind = 'message_in'`, [contact.id]);
    expect(msg.payload.message).toBe('И ещё вопрос про сроки');
  });

  it('changes nothing when the same update arrives twice', async () => {
    const u = textUpdate(anna, 'one more time');
    await postUpdate(hub, u);
    const count = async () => (await hub.query(`SELECT count(*)::int AS n FROM activity`))[0].n;
    const sends = fake.sent().length;
    const before = await count();
    expect((await postUpdate(hub, u)).status).toBe(200);
    expect(await count()).toBe(before);
    expect(fake.sent().length).toBe(sends);
  });

  it('acknowledges malformed and unknown updates, ignores groups, channels and bots', async () => {
    expect((await postUpdate(hub, null, { raw: '{"update_id": 1, broken' })).status).toBe(200);
    expect((await postUpdate(hub, { update_id: 42, poll: { id: 'x' } })).status).toBe(200);
    const group = textUpdate(boris, 'hi all');
    (group.message.chat as Record<string, unknown>) = { id: -100123, type: 'supergroup', title: 'Sales' };
    expect((await postUpdate(hub, group)).status).toBe(200);
    const bot = textUpdate({ id: 600, first_name: 'Bot' }, 'spam');
    (bot.message.from as Record<string, unknown>).is_bot = true;
    expect((await postUpdate(hub, bot)).status).toBe(200);
    expect(await contactOf(boris.id)).toBeUndefined();
    expect(await contactOf(600)).toBeUndefined();
    // Later updates still work.
    expect((await postUpdate(hub, textUpdate(boris, 'Hello, I need a quote'))).status).toBe(200);
    expect(await contactOf(boris.id)).toBeDefined();
  });

  it('stores a /start deep-link payload as the deal source, like UTM', async () => {
    const carl = { id: 555000333, first_name: 'Carl' };
    await postUpdate(hub, textUpdate(carl, '/start instagram-stories-winter24'));
    const contact = await contactOf(carl.id);
    const [deal] = await hub.query(`SELECT source FROM deal WHERE contact_id = $1`, [contact.id]);
    expect(deal.source).toEqual({ campaign: 'instagram-stories-winter24', utm: { source: 'instagram', medium: 'stories', campaign: 'winter24' } });
    expect(fake.lastSent(carl.id)!.params.text).toContain('Write your question');
  });

  it('merges the Telegram contact into the contact that already has the shared phone', async () => {
    const form = await hub.postForm({ name: 'Anna P.', phone: '+7 999 123-45-67', message: 'from the site' });
    expect(form.status).toBe(201);
    const tgContact = await contactOf(anna.id);
    const res = await postUpdate(hub, messageUpdate(anna, { contact: { phone_number: '79991234567', first_name: 'Анна', user_id: anna.id } }));
    expect(res.status).toBe(200);
    const survivor = await contactOf(anna.id);
    const [phoneOwner] = await hub.query(`SELECT contact_id FROM contact_identity WHERE kind = 'phone' AND value = '+79991234567'`);
    expect(survivor.id).toBe(phoneOwner.contact_id);
    const ids = [form.body.contactId, tgContact.id];
    const merged = ids.find((id) => id !== survivor.id)!;
    const [tomb] = await hub.query(`SELECT merged_into_id FROM contact WHERE id = $1`, [merged]);
    expect(tomb.merged_into_id).toBe(survivor.id);
    // History kept: every activity and deal of both now belongs to the survivor.
    expect(await hub.query(`SELECT 1 FROM activity WHERE contact_id = $1`, [merged])).toHaveLength(0);
    expect(await hub.query(`SELECT 1 FROM deal WHERE contact_id = $1`, [merged])).toHaveLength(0);
    const [mergeActivity] = await hub.query(`SELECT payload FROM activity WHERE contact_id = $1 AND kind = 'merged'`, [survivor.id]);
    expect(mergeActivity.payload).toMatchObject({ mergedContactId: merged });
    const messages = await hub.query(`SELECT payload->>'message' AS m FROM activity WHERE contact_id = $1 AND kind IN ('lead', 'repeat_lead', 'message_in')`, [survivor.id]);
    expect(messages.map((x: { m: string }) => x.m)).toEqual(expect.arrayContaining(['from the site', 'Здравствуйте, сколько стоит доставка?']));
    expect(fake.lastSent(anna.id)!.params.text).toBe('Спасибо, номер получен.');
    // A later call or form from that phone finds one person.
    const again = await hub.postForm({ phone: '8 999 123 45 67', message: 'call me' });
    expect(again.body.contactId).toBe(survivor.id);
  });

  it('shows photos, voice, documents and stickers on the timeline and streams the file through the hub', async () => {
    fake.addFile('BQACdoc1', 'documents/file_7.pdf', Buffer.from('%PDF-1.4 test file'));
    await postUpdate(hub, messageUpdate(boris, { document: { file_id: 'BQACdoc1', file_unique_id: 'AgADdoc1', file_name: 'plan.pdf', mime_type: 'application/pdf', file_size: 18 }, caption: 'План' }));
    await postUpdate(hub, messageUpdate(boris, { voice: { file_id: 'AwACvoice', file_unique_id: 'AgADv', duration: 7, mime_type: 'audio/ogg', file_size: 2400 } }));
    await postUpdate(hub, messageUpdate(boris, { sticker: { file_id: 'CAACst', file_unique_id: 'AgADs', emoji: '👍', width: 512, height: 512, is_animated: false, is_video: false, type: 'regular' } }));
    await postUpdate(hub, messageUpdate(boris, { photo: [{ file_id: 'AgACsmall', file_unique_id: 's', width: 90, height: 90, file_size: 100 }, { file_id: 'AgAClarge', file_unique_id: 'l', width: 900, height: 900, file_size: 9000 }] }));
    const contact = await contactOf(boris.id);
    const rows = await hub.query(`SELECT id, payload FROM activity WHERE contact_id = $1 AND payload->'details' ? 'media' ORDER BY occurred_at, created_at`, [contact.id]);
    expect(rows.map((r: any) => r.payload.details.media.type)).toEqual(['document', 'voice', 'sticker', 'photo']);
    expect(rows[0].payload).toMatchObject({ message: 'План', details: { media: { fileId: 'BQACdoc1', size: 18, fileName: 'plan.pdf' } } });
    expect(rows[3].payload.details.media).toMatchObject({ fileId: 'AgAClarge', size: 9000 });

    const admin = await hub.adminToken();
    const file = await hub.request({ url: `/api/activities/${rows[0].id}/media`, token: admin });
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.text).toBe('%PDF-1.4 test file');
    expect((await hub.request({ url: `/api/activities/${rows[0].id}/media` })).status).toBe(401);
    // Another manager's contact is not there for them.
    const other = await hub.createManager({ name: 'Other Manager', available: false });
    expect((await hub.request({ url: `/api/activities/${rows[0].id}/media`, token: other.token })).status).toBe(404);
    expect((await hub.request({ url: `/api/activities/${rows[0].id}/media`, token: olga.token })).status).toBe(200);
  });

  it('updates the timeline entry when the client edits a message and says so', async () => {
    const u = textUpdate(boris, 'Need 5 chairs');
    await postUpdate(hub, u);
    const edit = { update_id: u.update_id + 100_000, edited_message: { ...u.message, text: 'Need 7 chairs', edit_date: u.message.date + 60 } };
    expect((await postUpdate(hub, edit)).status).toBe(200);
    const [a] = await hub.query(`SELECT payload FROM activity WHERE payload->'details'->>'messageId' = $1 AND channel = 'telegram'`, [String(u.message.message_id)]);
    expect(a.payload).toMatchObject({ message: 'Need 7 chairs', edited: true, originalMessage: 'Need 5 chairs' });
  });

  describe('outbound', () => {
    it('delivers a manager’s answer through the client bot and marks it sent', async () => {
      const contact = await contactOf(boris.id);
      const admin = await hub.adminToken();
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${contact.id}/messages`, token: admin, body: { text: 'We will call you at 5pm' } });
      expect(res.status).toBe(201);
      expect(res.body.channel).toBe('telegram');
      await drainOutbox(hub);
      expect(fake.lastSent(boris.id)!.params.text).toBe('We will call you at 5pm');
      const [a] = await hub.query(`SELECT payload FROM activity WHERE id = $1`, [res.body.activityId]);
      expect(a.payload).toMatchObject({ status: 'sent', details: { chatId: boris.id } });
    });

    it('honours retry_after on 429 and keeps 1 s between messages to one chat', async () => {
      const contact = await contactOf(boris.id);
      const admin = await hub.adminToken();
      fake.failNext('sendMessage', { chatId: String(boris.id), error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
      fake.clear();
      const first = await hub.request({ method: 'POST', url: `/api/contacts/${contact.id}/messages`, token: admin, body: { text: 'first' } });
      await hub.request({ method: 'POST', url: `/api/contacts/${contact.id}/messages`, token: admin, body: { text: 'second' } });
      // A 429 puts the row off by retry_after (RetryLater), so it is due again a second later.
      for (const until = Date.now() + 5000; fake.sent('sendMessage', boris.id).length < 3 && Date.now() < until; ) {
        await drainOutbox(hub);
        await new Promise((r) => setTimeout(r, 50));
      }
      const calls = fake.sent('sendMessage', boris.id);
      expect(calls).toHaveLength(3);
      // The 429 answer was obeyed: the retry came at least retry_after later.
      expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(950);
      expect(calls[2].at - calls[1].at).toBeGreaterThanOrEqual(950);
      expect(calls.slice(1).map((c) => c.params.text).sort()).toEqual(['first', 'second']);
      const [a] = await hub.query(`SELECT payload FROM activity WHERE id = $1`, [first.body.activityId]);
      expect(a.payload.status).toBe('sent');
    });

    it('records a client who blocked the bot on the timeline and tells the sender', async () => {
      const contact = await contactOf(boris.id);
      const [{ owner_id }] = await hub.query(`SELECT owner_id FROM contact WHERE id = $1`, [contact.id]);
      expect(owner_id).toBe(olga.id);
      const token = olga.token;
      fake.failNext('sendMessage', { chatId: String(boris.id), error_code: 403, description: 'Forbidden: bot was blocked by the user' });
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${contact.id}/messages`, token, body: { text: 'Are you there?' } });
      expect(res.status).toBe(201);
      await drainOutbox(hub);
      const [a] = await hub.query(`SELECT payload FROM activity WHERE id = $1`, [res.body.activityId]);
      expect(a.payload.status).toBe('failed');
      expect(a.payload.error).toContain('blocked');
      const [row] = await hub.query(`SELECT status FROM outbox WHERE id = $1`, [res.body.outboxId]);
      expect(row.status).toBe('done');
      const notices = await hub.query(`SELECT payload FROM notification WHERE manager_id = $1 AND event = 'message_failed'`, [owner_id]);
      expect(notices).toHaveLength(1);
      expect(notices[0].payload).toMatchObject({ reason: 'blocked', activityId: res.body.activityId });
    });
  });
});

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
