import { SlaService } from '@leadline/core';
import type { TestHub } from '../support/test-hub';
import { FakeBotApi, type RecordedCall } from './fake-bot-api';
import { anna, bind, callbackUpdate, CLIENT_TOKEN, drainOutbox, HUB_START_MS, MANAGER_TOKEN, messageUpdate, postUpdate, startTelegramHub, textUpdate, type TgPerson } from './telegram-helpers';

const olegTg: TgPerson = { id: 710100200, first_name: 'Oleg', language_code: 'en' };
const ninaTg: TgPerson = { id: 710100300, first_name: 'Nina', language_code: 'en' };
const carl: TgPerson = { id: 556000333, first_name: 'Carl', language_code: 'en' };
const dina: TgPerson = { id: 556000444, first_name: 'Дина', last_name: 'Смирнова', username: 'dina_s', language_code: 'ru' };
const boris: TgPerson = { id: 556000555, first_name: 'Boris', language_code: 'en' };

/**
 * What a manager is told in Telegram is what happened (issue 14, Telegram): files both ways, long texts
 * whole, "Sent ✓" only after delivery, no first response for a blocked bot, escalation seen by the
 * previous owner, dated notices, one open deal per person after a merge. Separate manager bot, hub
 * default language Russian (TELEGRAM_DEFAULT_LOCALE=ru), fake Bot API driven by the real telegraf client.
 */
describe('Telegram conversation truth (fake Bot API)', () => {
  let fake: FakeBotApi;
  let hub: TestHub;
  let admin: string;
  let oleg: { id: string; token: string };
  let nina: { id: string; token: string };

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    hub = await startTelegramHub(fake, { TELEGRAM_MANAGER_BOT_TOKEN: MANAGER_TOKEN, TELEGRAM_DEFAULT_LOCALE: 'ru' });
    admin = await hub.adminToken();
    oleg = await hub.createManager({ name: 'Oleg', locale: 'en', timezone: 'UTC' });
    // No language of her own: the hub's default (ru).
    nina = await hub.createManager({ name: 'Nina', available: false, timezone: 'UTC' });
    await bind(hub, oleg.id, olegTg, 'manager');
    await bind(hub, nina.id, ninaTg, 'manager');
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await fake.stop();
  }, HUB_START_MS);

  const toManager = (chatId: number, method = 'sendMessage') => fake.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === method && String(c.params.chat_id) === String(chatId));
  const toClient = (chatId: number, method = 'sendMessage') => fake.calls.filter((c) => c.token === CLIENT_TOKEN && c.method === method && String(c.params.chat_id) === String(chatId));
  const lastShown = async (chatId: number, kind: string) => {
    const [row] = await hub.query(`SELECT message_id, deal_id FROM telegram_manager_message WHERE chat_id = $1 AND kind = $2 ORDER BY created_at DESC, message_id DESC LIMIT 1`, [String(chatId), kind]);
    return { message_id: Number(row.message_id), dealId: row.deal_id as string };
  };
  const replyTo = (messageId: number, chatId: number) => ({ message_id: messageId, chat: { id: chatId, type: 'private' }, date: 0 });
  const statusEdits = (chatId: number) => toManager(chatId, 'editMessageText').map((c) => c.params.text as string);
  const contactOfTg = async (tgId: number) => (await hub.query(`SELECT contact_id FROM contact_identity WHERE kind = 'telegram' AND value = $1`, [String(tgId)]))[0].contact_id as string;
  const setAvailable = (id: string, available: boolean) => hub.request({ method: 'PATCH', url: `/api/managers/${id}`, token: admin, body: { available } });

  describe('files and long texts', () => {
    it('a client photo reaches the manager as a photo with a caption naming the client', async () => {
      await postUpdate(hub, textUpdate(anna, 'Здравствуйте, нужен диван'));
      await drainOutbox(hub);
      fake.addFile('AgACanna1', 'photos/anna_1.jpg', Buffer.from('JPEG bytes of the sofa'), CLIENT_TOKEN);
      await postUpdate(hub, messageUpdate(anna, { photo: [{ file_id: 'AgACanna1', file_unique_id: 'ua1', width: 800, height: 600, file_size: 22 }], caption: 'Вот такой' }));
      await drainOutbox(hub);
      const [photo] = fake.uploads(MANAGER_TOKEN).filter((u) => u.method === 'sendPhoto' && String(u.params.chat_id) === String(olegTg.id));
      expect(photo.file.content.toString()).toBe('JPEG bytes of the sofa');
      expect(photo.params.caption).toContain('Анна Петрова');
      expect(photo.params.caption).toContain('Вот такой');
      // Not the old "📎 photo (1 KB)" line.
      expect(toManager(olegTg.id).some((c) => String(c.params.text).includes('📎'))).toBe(false);
    });

    it('a document reply goes to the client as the document; "Sent ✓" comes only after delivery, and only then the callback is done', async () => {
      const photo = await lastShown(olegTg.id, 'message');
      const contactId = await contactOfTg(anna.id);
      fake.addFile('BQmgr-offer', 'documents/offer.pdf', Buffer.from('%PDF-1.4 the offer'), MANAGER_TOKEN);
      await postUpdate(
        hub,
        messageUpdate(olegTg, {
          document: { file_id: 'BQmgr-offer', file_unique_id: 'uoffer', file_name: 'offer.pdf', mime_type: 'application/pdf', file_size: 18 },
          caption: 'Our offer',
          reply_to_message: replyTo(photo.message_id, olegTg.id),
        }),
        { bot: 'manager' },
      );
      expect(toManager(olegTg.id).at(-1)!.params.text).toBe('⏳ Sending to the client…');
      expect(statusEdits(olegTg.id)).not.toContain('Sent to the client ✓');
      const [before] = await hub.query(`SELECT t.status, d.first_response_at FROM task t JOIN deal d ON d.id = t.deal_id WHERE t.contact_id = $1 AND t.kind = 'callback'`, [contactId]);
      expect(before).toEqual({ status: 'open', first_response_at: null });

      await drainOutbox(hub);
      const [doc] = fake.uploads(CLIENT_TOKEN).filter((u) => u.method === 'sendDocument');
      expect(String(doc.params.chat_id)).toBe(String(anna.id));
      expect(doc.file).toMatchObject({ filename: 'offer.pdf' });
      expect(doc.file.content.toString()).toBe('%PDF-1.4 the offer');
      expect(doc.params.caption).toBe('Our offer');
      expect(statusEdits(olegTg.id).at(-1)).toBe('Sent to the client ✓');
      const [after] = await hub.query(`SELECT t.status, d.first_response_at FROM task t JOIN deal d ON d.id = t.deal_id WHERE t.contact_id = $1 AND t.kind = 'callback'`, [contactId]);
      expect(after.status).toBe('done');
      expect(after.first_response_at).not.toBeNull();
      const [out] = await hub.query(`SELECT payload FROM activity WHERE contact_id = $1 AND kind = 'message_out' ORDER BY created_at DESC LIMIT 1`, [contactId]);
      expect(out.payload).toMatchObject({ status: 'sent', text: 'Our offer', attachments: [{ kind: 'document', fileName: 'offer.pdf', size: 18 }] });
    });

    it.each([
      ['photo', 'sendPhoto', (id: string) => ({ photo: [{ file_id: `${id}-s`, file_unique_id: 's', width: 90, height: 90 }, { file_id: id, file_unique_id: 'l', width: 900, height: 900, file_size: 10 }] })],
      ['voice', 'sendVoice', (id: string) => ({ voice: { file_id: id, file_unique_id: 'v', duration: 3, mime_type: 'audio/ogg', file_size: 10 } })],
      ['video', 'sendVideo', (id: string) => ({ video: { file_id: id, file_unique_id: 'vd', duration: 3, width: 640, height: 480, mime_type: 'video/mp4', file_size: 10 } })],
      ['audio', 'sendAudio', (id: string) => ({ audio: { file_id: id, file_unique_id: 'au', duration: 3, file_name: 'tune.mp3', mime_type: 'audio/mpeg', file_size: 10 } })],
      ['video note', 'sendVideoNote', (id: string) => ({ video_note: { file_id: id, file_unique_id: 'vn', duration: 3, length: 240, file_size: 10 } })],
    ])('a %s reply reaches the client as a %s upload of the same bytes', async (_kind, method, fields) => {
      const card = await lastShown(olegTg.id, 'message');
      const fileId = `mgr-${method}`;
      fake.addFile(fileId, `files/${method}.bin`, Buffer.from(`bytes of ${method}`), MANAGER_TOKEN);
      await postUpdate(hub, messageUpdate(olegTg, { ...fields(fileId), reply_to_message: replyTo(card.message_id, olegTg.id) }), { bot: 'manager' });
      await drainOutbox(hub);
      const upload = fake.uploads(CLIENT_TOKEN).filter((u) => u.method === method).at(-1)!;
      expect(String(upload.params.chat_id)).toBe(String(anna.id));
      expect(upload.file.content.toString()).toBe(`bytes of ${method}`);
      expect(statusEdits(olegTg.id).at(-1)).toBe('Sent to the client ✓');
    });

    it('a long answer arrives whole, in parts of at most 4,096 characters cut at paragraphs; a retry continues where it stopped', async () => {
      const contactId = await contactOfTg(anna.id);
      const paragraphs = Array.from({ length: 6 }, (_, i) => `Paragraph ${i + 1}. ${'Lorem ipsum dolor sit amet. '.repeat(60).trim()}`);
      const text = paragraphs.join('\n\n');
      expect(text.length).toBeGreaterThan(9000);
      // The second part meets a Bot API hiccup (502): the first one must not be sent twice.
      fake.failNext('sendMessage', { chatId: String(anna.id), error_code: 502, description: 'Bad Gateway', skip: 1 });
      const before = toClient(anna.id).length;
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${contactId}/messages`, token: oleg.token, body: { text } });
      expect(res.status).toBe(201);
      await drainOutbox(hub);
      expect((await hub.query(`SELECT status FROM outbox WHERE id = $1`, [res.body.outboxId]))[0].status).toBe('failed');
      hub.clock.set(new Date(Date.now() + 60 * 60_000));
      await drainOutbox(hub);
      hub.clock.useRealTime();
      const calls = toClient(anna.id).slice(before);
      // part 1, part 2 refused (502), part 2 again, part 3: every part delivered once.
      const delivered = calls.filter((_, i) => i !== 1).map((c) => c.params.text as string);
      expect(calls).toHaveLength(4);
      for (const part of delivered) expect(part.length).toBeLessThanOrEqual(4096);
      expect(delivered.join('\n\n')).toBe(text);
      expect(delivered.every((p) => p.startsWith('Paragraph '))).toBe(true);
      const [a] = await hub.query(`SELECT payload FROM activity WHERE id = $1`, [res.body.activityId]);
      expect(a.payload).toMatchObject({ status: 'sent', details: { parts: 3 } });
    });

    it('obeys retry_after when an upload meets 429', async () => {
      const card = await lastShown(olegTg.id, 'message');
      fake.addFile('mgr-photo-429', 'photos/p429.jpg', Buffer.from('photo after a 429'), MANAGER_TOKEN);
      fake.failNext('sendPhoto', { chatId: String(anna.id), error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
      await postUpdate(hub, messageUpdate(olegTg, { photo: [{ file_id: 'mgr-photo-429', file_unique_id: 'p429', width: 9, height: 9 }], reply_to_message: replyTo(card.message_id, olegTg.id) }), { bot: 'manager' });
      await drainOutbox(hub);
      const tries = toClient(anna.id, 'sendPhoto').slice(-2);
      expect(tries).toHaveLength(2);
      expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(950);
      expect(tries[1].uploads.photo.content.toString()).toBe('photo after a 429');
      expect(statusEdits(olegTg.id).at(-1)).toBe('Sent to the client ✓');
    });
  });

  describe('a client who blocked the bot', () => {
    it('the reply is "Not sent", no first response, the callback task stays open', async () => {
      await postUpdate(hub, textUpdate(boris, 'Call me maybe'));
      await drainOutbox(hub);
      const card = await lastShown(olegTg.id, 'card');
      fake.failNext('sendMessage', { chatId: String(boris.id), error_code: 403, description: 'Forbidden: bot was blocked by the user' });
      await postUpdate(hub, textUpdate(olegTg, 'Hello Boris, when can I call?', { reply_to_message: replyTo(card.message_id, olegTg.id) }), { bot: 'manager' });
      const sentBefore = toManager(olegTg.id).length;
      await drainOutbox(hub);
      expect(statusEdits(olegTg.id).at(-1)).toBe('Not sent: the client blocked the bot (403: Forbidden: bot was blocked by the user)');
      // Said once, on the reply itself: no second "⚠️ … blocked" notice in the chat.
      expect(toManager(olegTg.id).slice(sentBefore).filter((c) => String(c.params.text).includes('blocked'))).toHaveLength(0);
      const [row] = await hub.query(`SELECT t.status, d.first_response_at FROM task t JOIN deal d ON d.id = t.deal_id WHERE d.id = $1 AND t.kind = 'callback'`, [card.dealId]);
      expect(row).toEqual({ status: 'open', first_response_at: null });
      expect(await hub.query(`SELECT 1 FROM activity WHERE deal_id = $1 AND kind = 'task_done'`, [card.dealId])).toHaveLength(0);
    });
  });

  describe('escalation', () => {
    it('tells the previous owner, turns his card read-only with the new owner, and his old buttons answer clearly', async () => {
      await postUpdate(hub, textUpdate(carl, 'Need a quote today'));
      await drainOutbox(hub);
      const card = await lastShown(olegTg.id, 'card');
      await setAvailable(nina.id, true);
      const [task] = await hub.query(`SELECT escalate_at FROM task WHERE deal_id = $1 AND kind = 'callback'`, [card.dealId]);
      hub.clock.set(new Date(new Date(task.escalate_at).getTime() + 60_000));
      await hub.app.get(SlaService).tick();
      await drainOutbox(hub);
      hub.clock.useRealTime();
      expect((await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [card.dealId]))[0].owner_id).toBe(nina.id);

      const told = toManager(olegTg.id).map((c) => c.params.text as string).filter((t) => t.startsWith('➡️'));
      expect(told.some((t) => /^➡️ Carl — telegram is now with Nina\. escalated: Oleg did not call back/.test(t))).toBe(true);
      const retired = toManager(olegTg.id, 'editMessageText').filter((c) => Number(c.params.message_id) === card.message_id).at(-1)!;
      expect(retired.params.text).toContain('➡️ Now with Nina (read-only)');
      expect(retired.params.reply_markup).toEqual({ inline_keyboard: [] });
      // Nina has no language of her own: the hub's default, Russian.
      expect(toManager(ninaTg.id).some((c) => String(c.params.text).startsWith('Новый лид: Carl'))).toBe(true);

      await postUpdate(hub, callbackUpdate(olegTg, { message_id: card.message_id }, `called:${card.dealId}`), { bot: 'manager' });
      const answer = fake.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === 'answerCallbackQuery').at(-1)!;
      expect(answer.params).toMatchObject({ text: 'This lead is now with Nina: only Nina or an administrator can act on it.', show_alert: true });
      expect((await hub.query(`SELECT status FROM task WHERE deal_id = $1 AND kind = 'callback'`, [card.dealId]))[0].status).toBe('open');
      await setAvailable(nina.id, false);
    });
  });

  describe('dates', () => {
    it('a card and an overdue notice read on another day show the day, today only the time', async () => {
      hub.clock.set(new Date('2026-12-07T23:55:00Z'));
      const lead = await hub.postForm({ name: 'Night Owl', phone: '+7 999 000-11-22' });
      await drainOutbox(hub);
      const card = toManager(olegTg.id).map((c) => c.params.text as string).find((t) => t.startsWith('New lead: Night Owl'))!;
      // Due 00:10 the next day (UTC, Oleg's timezone): the day is named.
      expect(card).toContain('Call back by: Tue 8 Dec 00:10');
      hub.clock.set(new Date('2026-12-08T00:06:00Z'));
      const [row] = await hub.query(`SELECT due_at FROM task WHERE deal_id = $1`, [lead.body.dealId]);
      expect(new Date(row.due_at).toISOString()).toBe('2026-12-08T00:10:00.000Z');
      await hub.app.get(SlaService).tick();
      await drainOutbox(hub);
      // Same day now: only the time.
      const reminder = toManager(olegTg.id).map((c) => c.params.text as string).find((t) => t.startsWith('⏰ In 5 min: Call back Night Owl'));
      expect(reminder).toMatch(/Call back by: 00:10$/m);
      hub.clock.set(new Date('2026-12-10T09:00:00Z'));
      await hub.app.get(SlaService).tick();
      await drainOutbox(hub);
      const overdue = toManager(olegTg.id).map((c) => c.params.text as string).filter((t) => t.includes('Night Owl') && t.startsWith('🔴'));
      expect(overdue[0]).toMatch(/^🔴 Overdue since Tue 8 Dec 00:10: Call back Night Owl/);
      hub.clock.useRealTime();
      await hub.query(`UPDATE task SET status = 'cancelled' WHERE deal_id = $1`, [lead.body.dealId]);
    });
  });

  describe('shared-phone merge', () => {
    it('leaves one open deal and one callback task, keeps the Telegram name searchable, and the absorbed contact answers 301', async () => {
      const form = await hub.postForm({ name: 'Dina S.', phone: '+7 999 765-43-21', message: 'from the site' });
      await postUpdate(hub, textUpdate(dina, 'Пишу из телеграма'));
      const tgContact = await contactOfTg(dina.id);
      expect(tgContact).not.toBe(form.body.contactId);
      const tgDeal = (await hub.query(`SELECT id FROM deal WHERE contact_id = $1`, [tgContact]))[0].id;

      await postUpdate(hub, messageUpdate(dina, { contact: { phone_number: '+79997654321', first_name: 'Дина', user_id: dina.id } }));
      const survivor = form.body.contactId;
      expect(await contactOfTg(dina.id)).toBe(survivor);
      const open = await hub.query(`SELECT id FROM deal WHERE contact_id = $1 AND closed_at IS NULL`, [survivor]);
      expect(open).toEqual([{ id: form.body.dealId }]);
      const [closed] = await hub.query(`SELECT closed_at, merged_into_deal_id FROM deal WHERE id = $1`, [tgDeal]);
      expect(closed.merged_into_deal_id).toBe(form.body.dealId);
      expect(closed.closed_at).not.toBeNull();
      // The callback promised first stays (on the open deal); the other is cancelled.
      const callbacks = await hub.query(`SELECT id, deal_id, status, due_at FROM task WHERE contact_id = $1 AND kind = 'callback' ORDER BY due_at`, [survivor]);
      expect(callbacks.map((t: { status: string }) => t.status)).toEqual(['open', 'cancelled']);
      expect(callbacks[0].deal_id).toBe(form.body.dealId);
      const cancelled = callbacks.find((t: { status: string }) => t.status === 'cancelled');
      const [why] = await hub.query(`SELECT payload FROM activity WHERE kind = 'task_cancelled' AND payload->>'taskId' = $1`, [cancelled.id]);
      expect(why.payload.reason).toContain('duplicate callback after merging contacts');
      // History of both kept: the Telegram deal keeps its messages; both deals say what happened.
      expect(await hub.query(`SELECT 1 FROM activity WHERE deal_id = $1 AND kind = 'lead' AND payload->>'message' = 'Пишу из телеграма'`, [tgDeal])).toHaveLength(1);
      expect(await hub.query(`SELECT deal_id FROM activity WHERE kind = 'deal_merged' ORDER BY deal_id`)).toHaveLength(2);

      // The Telegram name and username still find the person.
      for (const q of ['Смирнова', 'dina_s']) {
        const found = await hub.request({ url: `/api/contacts?search=${encodeURIComponent(q)}`, token: admin });
        expect(found.body.items.map((c: { id: string }) => c.id)).toEqual([survivor]);
      }
      const got = await hub.request({ url: `/api/contacts/${survivor}`, token: admin });
      expect(got.body.aliases).toEqual(['Дина Смирнова']);

      const moved = await hub.request({ url: `/api/contacts/${tgContact}`, token: admin });
      expect(moved.status).toBe(301);
      expect(moved.headers.location).toBe(`/api/contacts/${survivor}`);
      expect(moved.body).toMatchObject({ error: 'moved', movedTo: survivor });
      const movedTimeline = await hub.request({ url: `/api/contacts/${tgContact}/timeline?limit=5`, token: admin });
      expect(movedTimeline.status).toBe(301);
      expect(movedTimeline.headers.location).toBe(`/api/contacts/${survivor}/timeline?limit=5`);
      // Someone who may not see the person learns nothing.
      const eve = await hub.createManager({ name: 'Eve Outsider', available: false });
      expect((await hub.request({ url: `/api/contacts/${tgContact}`, token: eve.token })).status).toBe(404);
    });
  });
});
