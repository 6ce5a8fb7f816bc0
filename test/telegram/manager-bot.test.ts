import { SlaService } from '@leadline/core';
import type { TestHub } from '../support/test-hub';
import { SseClient } from '../outbox/sse-client';
import { FakeBotApi } from './fake-bot-api';
import { raiseFormRateLimit } from '../http/http-helpers';
import { HUB_START_MS } from './telegram-helpers';
import { anna, bind, callbackUpdate, CLIENT_TOKEN, drainOutbox, MANAGER_TOKEN, postUpdate, startTelegramHub, textUpdate, type TgPerson } from './telegram-helpers';

const olegTg: TgPerson = { id: 700100200, first_name: 'Oleg', username: 'oleg_sales', language_code: 'en' };
const ninaTg: TgPerson = { id: 700100300, first_name: 'Nina', language_code: 'ru' };
const strangerTg: TgPerson = { id: 700100999, first_name: 'Eve' };

describe('Telegram manager bot (separate token, fake Bot API)', () => {
  let fake: FakeBotApi;
  let hub: TestHub;
  let oleg: { id: string; token: string };
  let nina: { id: string; token: string };

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    hub = await startTelegramHub(fake, { TELEGRAM_MANAGER_BOT_TOKEN: MANAGER_TOKEN });
    oleg = await hub.createManager({ name: 'Oleg' });
    nina = await hub.createManager({ name: 'Nina', locale: 'ru', available: false });
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await fake.stop();
  }, HUB_START_MS);

  const managerBotSent = (chatId: number) => fake.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === 'sendMessage' && String(c.params.chat_id) === String(chatId));
  const lastToManager = (chatId: number) => managerBotSent(chatId).at(-1)!;
  const press = (who: TgPerson, card: { message_id: number; text?: string }, data: string) => postUpdate(hub, callbackUpdate(who, card, data), { bot: 'manager' });
  const answers = () => fake.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === 'answerCallbackQuery');
  const cardOf = async (chatId: number) => {
    const call = lastToManager(chatId);
    const [row] = await hub.query(`SELECT message_id FROM telegram_manager_message WHERE chat_id = $1 ORDER BY created_at DESC LIMIT 1`, [String(chatId)]);
    return { message_id: Number(row.message_id), text: call.params.text as string, markup: call.params.reply_markup };
  };

  describe('binding', () => {
    it('binds a Telegram account with a one-time link code', async () => {
      const res = await hub.request({ method: 'POST', url: `/api/managers/${oleg.id}/telegram-link`, token: oleg.token });
      expect(res.status).toBe(201);
      expect(res.body.url).toBe(`https://t.me/leadline_team_bot?start=${res.body.code}`);
      expect(new Date(res.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
      await postUpdate(hub, textUpdate(olegTg, `/start ${res.body.code}`), { bot: 'manager' });
      const [b] = await hub.query(`SELECT user_id, chat_id, username FROM telegram_manager_binding WHERE manager_id = $1`, [oleg.id]);
      expect(b).toEqual({ user_id: String(olegTg.id), chat_id: String(olegTg.id), username: 'oleg_sales' });
      expect(lastToManager(olegTg.id).params.text).toContain('Connected');
      // The managers API names the binding without knowing Telegram's table (the admin UI's "Linked").
      const view = await hub.request({ method: 'GET', url: `/api/managers/${oleg.id}`, token: await hub.adminToken() });
      expect(view.body.bindings).toEqual([{ channel: 'telegram', label: '@oleg_sales', linkedAt: expect.any(String) }]);
      expect(view.body).not.toHaveProperty('telegramUserId');

      // Used once: the same code again binds nobody.
      await postUpdate(hub, textUpdate(strangerTg, `/start ${res.body.code}`), { bot: 'manager' });
      expect(lastToManager(strangerTg.id).params.text).toContain('not valid or has expired');
      expect(await hub.query(`SELECT 1 FROM telegram_manager_binding WHERE user_id = $1`, [String(strangerTg.id)])).toHaveLength(0);
    });

    it('refuses an expired code and codes for other managers (for non-admins)', async () => {
      const res = await hub.request({ method: 'POST', url: `/api/managers/${nina.id}/telegram-link`, token: await hub.adminToken() });
      hub.clock.set(new Date(Date.now() + 16 * 60_000));
      await postUpdate(hub, textUpdate(ninaTg, `/start ${res.body.code}`), { bot: 'manager' });
      hub.clock.useRealTime();
      expect(lastToManager(ninaTg.id).params.text).toContain('Ссылка недействительна');
      expect((await hub.request({ method: 'POST', url: `/api/managers/${nina.id}/telegram-link`, token: oleg.token })).status).toBe(404);
      await bind(hub, nina.id, ninaTg, 'manager');
      expect(lastToManager(ninaTg.id).params.text).toContain('Подключено');
    });

    it('gives strangers one polite line and nothing else', async () => {
      fake.clear();
      await postUpdate(hub, textUpdate(strangerTg, '/tasks'), { bot: 'manager' });
      await postUpdate(hub, textUpdate(strangerTg, '/queue'), { bot: 'manager' });
      await press(strangerTg, { message_id: 1 }, 'called:6f1c2a34-8a7e-4c1d-9b35-1f2e3d4c5b6a');
      const texts = fake.calls.filter((c) => c.method === 'sendMessage').map((c) => c.params.text);
      expect(texts).toEqual([expect.stringContaining('this bot is for the team'), expect.stringContaining('this bot is for the team')]);
      expect(answers().at(-1)!.params.text).toContain('this bot is for the team');
      expect(fake.calls.filter((c) => c.method === 'editMessageText')).toHaveLength(0);
    });
  });

  describe('lead card', () => {
    let dealId: string;
    let contactId: string;

    it('sends the owner a card: name, phone, channel, source, message, due time and buttons', async () => {
      const lead = await hub.postForm({ name: 'Ivan Petrov', phone: '+7 999 555-44-33', email: 'ivan@example.com', message: 'Need a sofa', page: 'https://shop.example.com/?utm_source=yandex&utm_campaign=sofa' });
      dealId = lead.body.dealId;
      contactId = lead.body.contactId;
      await drainOutbox(hub);
      const card = await cardOf(olegTg.id);
      expect(card.text).toContain('New lead: Ivan Petrov');
      expect(card.text).toContain('Phone: +79995554433');
      expect(card.text).toContain('Channel: Web form');
      expect(card.text).toContain('yandex / sofa');
      expect(card.text).toContain('Message: Need a sofa');
      expect(card.text).toContain('Call back by');
      const buttons = card.markup.inline_keyboard.flat();
      expect(buttons.map((b: { text: string }) => b.text)).toEqual(['Called ✓', '📞 Call', 'Snooze 15 min', 'Won', 'Lost', 'Open']);
      expect(buttons.at(-1).url).toBe(`https://crm.example.com/admin/#/contacts/${contactId}`);
    });

    it('Call without telephony sends the number to tap', async () => {
      const card = await cardOf(olegTg.id);
      await press(olegTg, card, `call:${dealId}`);
      expect(lastToManager(olegTg.id).params.text).toBe('Call +79995554433');
    });

    it('only the owner or an admin can act on a card', async () => {
      const card = await cardOf(olegTg.id);
      await press(ninaTg, card, `called:${dealId}`);
      // Clearly: whose lead it is, and who may act.
      expect(answers().at(-1)!.params).toMatchObject({ text: 'Этот лид теперь у Oleg: действовать может только Oleg или администратор.', show_alert: true });
      expect(await hub.query(`SELECT 1 FROM task WHERE deal_id = $1 AND status = 'open'`, [dealId])).toHaveLength(1);
    });

    it('Snooze 15 min moves the callback task and redraws the card', async () => {
      const [before] = await hub.query(`SELECT due_at FROM task WHERE deal_id = $1 AND status = 'open'`, [dealId]);
      const [card] = [await cardOf(olegTg.id)];
      await press(olegTg, { message_id: card.message_id }, `snooze:${dealId}`);
      const [after] = await hub.query(`SELECT due_at, reminded_at FROM task WHERE deal_id = $1 AND status = 'open'`, [dealId]);
      expect(new Date(after.due_at).getTime() - new Date(before.due_at).getTime()).toBe(15 * 60_000);
      const edit = fake.sent('editMessageText').at(-1)!;
      expect(edit.params.message_id).toBe(card.message_id);
      expect(edit.params.text).toContain('Snoozed until');
    });

    it('Called ✓ completes the callback task, the card shows it, and Oleg’s open web inbox is told at once', async () => {
      const card = await cardOf(olegTg.id);
      // Oleg also has the admin UI open: its event stream asks for inbox pings.
      const cockpit = await SseClient.open(`${await hub.listen()}/api/events?inbox=1`, oleg.token);
      try {
        expect(cockpit.status).toBe(200);
        const pings = () => cockpit.events.filter((e) => e.event === 'inbox').length;
        await new Promise((r) => setTimeout(r, 300));
        expect(pings()).toBe(0);
        await press(olegTg, { message_id: card.message_id }, `called:${dealId}`);
        await cockpit.until(() => pings() > 0, 5_000);
      } finally {
        cockpit.close();
      }
      const [task] = await hub.query(`SELECT status, completed_by_id FROM task WHERE deal_id = $1 AND kind = 'callback'`, [dealId]);
      expect(task).toEqual({ status: 'done', completed_by_id: oleg.id });
      const edit = fake.sent('editMessageText').at(-1)!;
      expect(edit.params.text).toContain('✓ Called back (Oleg)');
      expect(edit.params.reply_markup.inline_keyboard.flat().map((b: { text: string }) => b.text)).not.toContain('Called ✓');
    });

    it('Lost asks for a reason, then closes the deal with it', async () => {
      const card = await cardOf(olegTg.id);
      await press(olegTg, { message_id: card.message_id }, `lost:${dealId}`);
      const markup = fake.sent('editMessageReplyMarkup').at(-1)!.params.reply_markup;
      expect(markup.inline_keyboard.flat().map((b: { text: string }) => b.text)).toEqual(['No budget', 'Not interested', 'Unreachable', 'Chose a competitor', 'Spam', '« Back']);
      await press(olegTg, { message_id: card.message_id }, `lr1:${dealId}`);
      const [deal] = await hub.query(`SELECT stage, lost_reason FROM deal WHERE id = $1`, [dealId]);
      expect(deal).toEqual({ stage: 'lost', lost_reason: 'Not interested' });
      expect(fake.sent('editMessageText').at(-1)!.params.text).toContain('✗ Lost (Oleg): Not interested');
    });

    it('Won closes the deal', async () => {
      const lead = await hub.postForm({ name: 'Wanda', phone: '+7 999 111-22-33' });
      await drainOutbox(hub);
      const card = await cardOf(olegTg.id);
      expect(card.text).toContain('Wanda');
      await press(olegTg, card, `won:${lead.body.dealId}`);
      expect((await hub.query(`SELECT stage FROM deal WHERE id = $1`, [lead.body.dealId]))[0].stage).toBe('won');
      expect(fake.sent('editMessageText').at(-1)!.params.text).toContain('🏆 Won (Oleg)');
    });

    it('a manager with Russian as language gets Russian cards', async () => {
      await hub.request({ method: 'PATCH', url: `/api/managers/${oleg.id}`, token: await hub.adminToken(), body: { available: false } });
      await hub.request({ method: 'PATCH', url: `/api/managers/${nina.id}`, token: await hub.adminToken(), body: { available: true } });
      await hub.postForm({ name: 'Rita', phone: '+7 999 222-33-44' });
      await drainOutbox(hub);
      const card = await cardOf(ninaTg.id);
      expect(card.text).toContain('Новый лид: Rita');
      expect(card.markup.inline_keyboard[0][0].text).toBe('Позвонил ✓');
      await hub.request({ method: 'PATCH', url: `/api/managers/${oleg.id}`, token: await hub.adminToken(), body: { available: true } });
    });
  });

  describe('commands', () => {
    it('/pause and /resume switch availability; /tasks lists open tasks soonest first; /help', async () => {
      await postUpdate(hub, textUpdate(olegTg, '/pause'), { bot: 'manager' });
      expect((await hub.query(`SELECT available FROM manager WHERE id = $1`, [oleg.id]))[0].available).toBe(false);
      expect(lastToManager(olegTg.id).params.text).toContain('Paused');
      await postUpdate(hub, textUpdate(olegTg, '/resume'), { bot: 'manager' });
      expect((await hub.query(`SELECT available FROM manager WHERE id = $1`, [oleg.id]))[0].available).toBe(true);

      await hub.request({ method: 'PATCH', url: `/api/managers/${nina.id}`, token: await hub.adminToken(), body: { available: false } });
      await hub.postForm({ name: 'Tim', phone: '+7 999 333-44-55' });
      await postUpdate(hub, textUpdate(olegTg, '/tasks'), { bot: 'manager' });
      expect(lastToManager(olegTg.id).params.text).toMatch(/My open tasks:\n.*Call back Tim/);
      await postUpdate(hub, textUpdate(olegTg, '/help'), { bot: 'manager' });
      expect(lastToManager(olegTg.id).params.text).toContain('/queue');
    });

    it('/stats counts my leads today, callbacks within SLA and the average first response', async () => {
      await postUpdate(hub, textUpdate(olegTg, '/stats'), { bot: 'manager' });
      const text = lastToManager(olegTg.id).params.text as string;
      const [row] = await hub.query(`SELECT count(*)::int AS n FROM deal WHERE owner_id = $1`, [oleg.id]);
      expect(text).toContain(`Leads: ${row.n}`);
      expect(text).toContain('Called back within SLA: 1 of 1');
      expect(text).toMatch(/Average first response: \d+ min/);
    });

    it('/queue offers unassigned leads with Take; the first of two managers wins the race', async () => {
      for (const m of [oleg, nina]) await hub.request({ method: 'PATCH', url: `/api/managers/${m.id}`, token: await hub.adminToken(), body: { available: false } });
      const lead = await hub.postForm({ name: 'Queued Quinn', phone: '+7 999 444-55-66' });
      expect((await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.body.dealId]))[0].owner_id).toBeNull();
      await postUpdate(hub, textUpdate(olegTg, '/queue'), { bot: 'manager' });
      const offer = lastToManager(olegTg.id);
      expect(offer.params.text).toContain('Queued Quinn');
      expect(offer.params.reply_markup.inline_keyboard[0][0]).toEqual({ text: 'Take', callback_data: `take:${lead.body.dealId}` });

      const msg = { message_id: 4242, text: offer.params.text };
      await Promise.all([press(olegTg, msg, `take:${lead.body.dealId}`), press(ninaTg, msg, `take:${lead.body.dealId}`)]);
      const [deal] = await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.body.dealId]);
      expect([oleg.id, nina.id]).toContain(deal.owner_id);
      const texts = answers().slice(-2).map((a) => a.params.text);
      const winner = deal.owner_id === oleg.id ? 'Oleg' : 'Nina';
      expect(texts).toEqual(expect.arrayContaining([winner === 'Oleg' ? 'Taken by you ✓' : 'Взято вами ✓', winner === 'Oleg' ? 'Уже взял(а) Oleg.' : 'Already taken by Nina.']));
      await hub.request({ method: 'PATCH', url: `/api/managers/${oleg.id}`, token: await hub.adminToken(), body: { available: true } });
    });
  });

  describe('notices and replies', () => {
    it('delivers SLA reminders and overdue notices to the bound assignee', async () => {
      await hub.request({ method: 'PATCH', url: `/api/managers/${nina.id}`, token: await hub.adminToken(), body: { available: false } });
      const lead = await hub.postForm({ name: 'Sla Sam', phone: '+7 999 666-77-88' });
      await drainOutbox(hub);
      const [task] = await hub.query(`SELECT due_at FROM task WHERE deal_id = $1`, [lead.body.dealId]);
      hub.clock.set(new Date(new Date(task.due_at).getTime() - 4 * 60_000));
      await hub.app.get(SlaService).tick();
      await drainOutbox(hub);
      // Earlier open tasks (Tim's) may be reminded in the same tick.
      const notices = (prefix: string) => managerBotSent(olegTg.id).filter((c) => String(c.params.text).startsWith(prefix) && String(c.params.text).includes('Sla Sam'));
      const cardButtons = ['Called ✓', '📞 Call', 'Snooze 15 min', 'Won', 'Lost', 'Open'];
      const [reminder] = notices('⏰ In 5 min: Call back Sla Sam');
      // The reminder is the deal's card under a header, with the card's buttons to act on it.
      expect(reminder.params.text).toContain('New lead: Sla Sam');
      expect(reminder.params.reply_markup.inline_keyboard.flat().map((b: { text: string }) => b.text)).toEqual(cardButtons);
      hub.clock.set(new Date(new Date(task.due_at).getTime() + 60_000));
      await hub.app.get(SlaService).tick();
      await drainOutbox(hub);
      const [overdue] = notices('🔴 Overdue since ');
      expect(overdue.params.text).toMatch(/^🔴 Overdue since \d\d:\d\d: Call back Sla Sam/);
      expect(overdue.params.reply_markup.inline_keyboard.flat().map((b: { text: string }) => b.text)).toEqual(cardButtons);
      expect(notices('⏰')).toHaveLength(1);
      // Snooze pressed on the overdue notice redraws the notice (header kept), not a bare card.
      const [row] = await hub.query(`SELECT message_id FROM telegram_manager_message WHERE chat_id = $1 AND deal_id = $2 AND kind = 'notice' ORDER BY created_at DESC LIMIT 1`, [String(olegTg.id), lead.body.dealId]);
      await press(olegTg, { message_id: Number(row.message_id) }, `snooze:${lead.body.dealId}`);
      const edit = fake.sent('editMessageText').at(-1)!;
      expect(edit.params.text).toMatch(/^🔴 Overdue since .*Sla Sam[\s\S]*Snoozed until/);
      hub.clock.useRealTime();
      // In-app notices are there too, once each.
      const inApp = await hub.query(`SELECT event FROM notification WHERE manager_id = $1 AND payload->>'dealId' = $2 ORDER BY created_at`, [oleg.id, lead.body.dealId]);
      expect(inApp.map((n: { event: string }) => n.event)).toEqual(['lead_assigned', 'task_reminder', 'task_overdue']);
    });

    it('forwards a client’s Telegram message; a reply goes back to the client through the client bot', async () => {
      await postUpdate(hub, textUpdate(anna, 'Можно заказать на завтра?'));
      await drainOutbox(hub);
      const [contact] = await hub.query(`SELECT contact_id FROM contact_identity WHERE kind = 'telegram' AND value = $1`, [String(anna.id)]);
      const card = await cardOf(olegTg.id);
      // The card of the new lead; its follow-up message arrives as a forwarded message.
      await postUpdate(hub, textUpdate(anna, 'И доставка нужна'));
      await drainOutbox(hub);
      const forwarded = lastToManager(olegTg.id);
      expect(forwarded.params.text).toContain('И доставка нужна');
      const [fwd] = await hub.query(`SELECT message_id FROM telegram_manager_message WHERE chat_id = $1 AND kind = 'message' ORDER BY created_at DESC LIMIT 1`, [String(olegTg.id)]);
      expect(card.message_id).not.toBe(Number(fwd.message_id));

      const reply = textUpdate(olegTg, 'Да, доставим завтра до 12:00', { reply_to_message: { message_id: Number(fwd.message_id), chat: { id: olegTg.id, type: 'private' }, date: 0, text: forwarded.params.text } });
      await postUpdate(hub, reply, { bot: 'manager' });
      // Queued, not yet delivered: the manager is not told "sent", and it is no first response yet.
      const status = lastToManager(olegTg.id);
      expect(status.params.text).toBe('⏳ Sending to the client…');
      expect((await hub.query(`SELECT status FROM task WHERE contact_id = $1 AND kind = 'callback'`, [contact.contact_id]))[0].status).toBe('open');
      await drainOutbox(hub);
      const settled = fake.sent('editMessageText').filter((c) => c.token === MANAGER_TOKEN && String(c.params.chat_id) === String(olegTg.id)).at(-1)!;
      expect(settled.params.text).toBe('Sent to the client ✓');
      const toClient = fake.calls.filter((c) => c.token === CLIENT_TOKEN && c.method === 'sendMessage' && c.params.chat_id === String(anna.id)).at(-1)!;
      expect(toClient.params.text).toBe('Да, доставим завтра до 12:00');
      const [out] = await hub.query(`SELECT channel, actor_id, payload FROM activity WHERE contact_id = $1 AND kind = 'message_out'`, [contact.contact_id]);
      expect(out).toMatchObject({ channel: 'telegram', actor_id: oleg.id, payload: { status: 'sent' } });
      // Counts as the first response: the callback task is done.
      const [task] = await hub.query(`SELECT status FROM task WHERE contact_id = $1 AND kind = 'callback'`, [contact.contact_id]);
      expect(task.status).toBe('done');
    });

    it('a reply to the card of an email lead goes out by email', async () => {
      const lead = await hub.postForm({ name: 'Mail Mary', email: 'mary@example.com', message: 'Price list please' });
      await drainOutbox(hub);
      const card = await cardOf(olegTg.id);
      expect(card.text).toContain('Mail Mary');
      const reply = textUpdate(olegTg, 'Attached is our price list', { reply_to_message: { message_id: card.message_id, chat: { id: olegTg.id, type: 'private' }, date: 0, text: card.text } });
      await postUpdate(hub, reply, { bot: 'manager' });
      expect(lastToManager(olegTg.id).params.text).toBe('⏳ Sending to the client…');
      // No mailbox can send here: the reply is never reported as sent.
      await drainOutbox(hub);
      expect(fake.sent('editMessageText').filter((c) => c.params.text === 'Sent to the client ✓' && String(c.params.chat_id) === String(olegTg.id))).toHaveLength(1);
      const [out] = await hub.query(`SELECT channel, payload FROM activity WHERE contact_id = $1 AND kind = 'message_out'`, [lead.body.contactId]);
      expect(out).toMatchObject({ channel: 'email', payload: { to: 'mary@example.com', text: 'Attached is our price list' } });
      const [row] = await hub.query(`SELECT kind, payload->>'channel' AS channel FROM outbox WHERE id = $1`, [out.payload.outboxId]);
      expect(row).toEqual({ kind: 'message.send', channel: 'email' });
    });

    it('a notice failing on Telegram retries alone, without a second in-app notice', async () => {
      await hub.postForm({ name: 'Retry Rick', phone: '+7 999 777-88-99' });
      fake.failNext('sendMessage', { chatId: String(olegTg.id), error_code: 502, description: 'Bad Gateway' });
      await drainOutbox(hub);
      const [row] = await hub.query(`SELECT id, status, attempts FROM outbox WHERE kind = 'telegram.notice' AND status = 'failed'`);
      expect(row).toMatchObject({ status: 'failed', attempts: 1 });
      hub.clock.set(new Date(Date.now() + 60 * 60_000));
      await drainOutbox(hub);
      hub.clock.useRealTime();
      expect((await hub.query(`SELECT status FROM outbox WHERE id = $1`, [row.id]))[0].status).toBe('done');
      expect(lastToManager(olegTg.id).params.text).toContain('Retry Rick');
      const inApp = await hub.query(`SELECT 1 FROM notification n JOIN deal d ON d.id = (n.payload->>'dealId')::uuid WHERE d.title LIKE 'Retry Rick%'`);
      expect(inApp).toHaveLength(1);
    });
  });

  describe('one snooze rule (core TasksService, shared with the API)', () => {
    it('the card’s Snooze and POST /api/tasks/:id/snooze write the same task row; a task without an escalation stays without one', async () => {
      await raiseFormRateLimit(hub);
      const admin = await hub.adminToken();
      await hub.request({ method: 'PATCH', url: `/api/managers/${nina.id}`, token: admin, body: { available: false } });
      await hub.request({ method: 'PATCH', url: `/api/managers/${oleg.id}`, token: admin, body: { available: true } });
      const viaBot = (await hub.postForm({ name: 'Snooze Bot', phone: '+7 999 600-00-01' })).body;
      const viaApi = (await hub.postForm({ name: 'Snooze Api', phone: '+7 999 600-00-02' })).body;
      await drainOutbox(hub);
      // Neither task escalates (like a follow-up): a snooze must not give it an escalation.
      await hub.query(`UPDATE task SET escalate_at = NULL, reminded_at = now() WHERE deal_id = ANY($1::uuid[])`, [[viaBot.dealId, viaApi.dealId]]);
      const [card] = await hub.query(`SELECT message_id FROM telegram_manager_message WHERE chat_id = $1 AND deal_id = $2 ORDER BY created_at DESC LIMIT 1`, [String(olegTg.id), viaBot.dealId]);
      await press(olegTg, { message_id: Number(card.message_id) }, `snooze:${viaBot.dealId}`);
      expect(fake.sent('editMessageText').at(-1)!.params.text).toContain('Snoozed until');

      const taskRow = `SELECT due_at, remind_at, escalate_at, reminded_at, overdue_at, escalated_at, status FROM task WHERE deal_id = $1 AND kind = 'callback'`;
      const [bot] = await hub.query(taskRow, [viaBot.dealId]);
      expect(bot).toMatchObject({ escalate_at: null, reminded_at: null, status: 'open' });
      const [apiTask] = await hub.query(`SELECT id FROM task WHERE deal_id = $1 AND kind = 'callback'`, [viaApi.dealId]);
      const res = await hub.request({ method: 'POST', url: `/api/tasks/${apiTask.id}/snooze`, token: oleg.token, body: { until: new Date(bot.due_at).toISOString() } });
      expect(res.status).toBe(200);
      expect((await hub.query(taskRow, [viaApi.dealId]))[0]).toEqual(bot);

      // The card's snooze says so on the timeline (the API's does not: the task list shows it).
      expect(await hub.query(`SELECT payload->>'via' AS via FROM activity WHERE deal_id = $1 AND kind = 'note'`, [viaBot.dealId])).toEqual([{ via: 'telegram' }]);
      expect(await hub.query(`SELECT 1 FROM activity WHERE deal_id = $1 AND kind = 'note'`, [viaApi.dealId])).toEqual([]);
    });
  });
});
