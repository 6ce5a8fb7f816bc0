import { OutboxWorker } from '@leadline/core';
import { nextPhone, onlyAvailable, postLead, raiseFormRateLimit } from '../http/http-helpers';
import type { TestHub } from '../support/test-hub';
import { FakeBotApi, type RecordedCall } from './fake-bot-api';
import { bind, HUB_START_MS, MANAGER_TOKEN, CLIENT_TOKEN, postUpdate, startTelegramHub, textUpdate, type TgPerson } from './telegram-helpers';

const alexTg: TgPerson = { id: 710200300, first_name: 'Alex', language_code: 'en' };
const bellaTg: TgPerson = { id: 710200400, first_name: 'Bella', language_code: 'en' };

/**
 * Telegram's 429 `retry_after` with the outbox worker running as in production (its own loop, woken
 * by the database, 1 s safety poll): the card to the flooded chat goes out again after retry_after
 * (± 1 s), cards to other chats and the other bot's messages to the same chat are not held up.
 */
describe('Telegram 429 retry_after (manager bot, background outbox worker)', () => {
  let fake: FakeBotApi;
  let hub: TestHub;
  let alex: { id: string };
  let bella: { id: string };

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    hub = await startTelegramHub(fake, { TELEGRAM_MANAGER_BOT_TOKEN: MANAGER_TOKEN, OUTBOX_WORKER: 'on', OUTBOX_POLL_MS: '1000' });
    await raiseFormRateLimit(hub);
    alex = await hub.createManager({ name: 'Alex Flood' });
    bella = await hub.createManager({ name: 'Bella Calm' });
    await bind(hub, alex.id, alexTg, 'manager');
    await bind(hub, bella.id, bellaTg, 'manager');
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await fake.stop();
  }, HUB_START_MS);

  const cardsTo = (chatId: number, token = MANAGER_TOKEN): RecordedCall[] =>
    fake.calls.filter((c) => c.token === token && c.method === 'sendMessage' && String(c.params.chat_id) === String(chatId));
  const waitFor = async (check: () => boolean, ms: number) => {
    const until = Date.now() + ms;
    while (!check()) {
      if (Date.now() > until) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('sends the card again after retry_after N (± 1 s), while other chats and the other bot go on', async () => {
    // The client bot knows Alex as a client too (same Telegram user): his chat with that bot is another chat.
    await postUpdate(hub, textUpdate(alexTg, 'Hi, a question as a customer'));
    const [{ contact_id: alexAsClient }] = await hub.query(`SELECT contact_id FROM contact_identity WHERE kind = 'telegram' AND value = $1`, [String(alexTg.id)]);
    // Its lead card (to whichever manager got it) is out before the scene starts.
    for (let i = 0; i < 250 && (await hub.query(`SELECT 1 FROM outbox WHERE status IN ('pending', 'processing')`)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    fake.clear();

    const N = 4;
    fake.failNext('sendMessage', { chatId: String(alexTg.id), error_code: 429, description: `Too Many Requests: retry after ${N}`, parameters: { retry_after: N } });
    await onlyAvailable(hub, [alex.id, bella.id], alex.id);
    const first = await postLead(hub, { name: 'Flooded One', phone: nextPhone().typed });
    await waitFor(() => cardsTo(alexTg.id).length === 1, 5000);
    const floodedAt = cardsTo(alexTg.id)[0].at;

    // During the hold: a second lead for Alex waits for the hold; a lead for Bella and the client bot's message to Alex do not.
    const second = await postLead(hub, { name: 'Flooded Two', phone: nextPhone().typed });
    await onlyAvailable(hub, [alex.id, bella.id], bella.id);
    const bellaPosted = Date.now();
    await postLead(hub, { name: 'Calm One', phone: nextPhone().typed });
    const admin = await hub.adminToken();
    const clientPosted = Date.now();
    const msg = await hub.request({ method: 'POST', url: `/api/contacts/${alexAsClient}/messages`, token: admin, body: { text: 'Answer to Alex the customer' } });
    expect(msg.status).toBe(201);

    await waitFor(() => cardsTo(bellaTg.id).length === 1 && cardsTo(alexTg.id, CLIENT_TOKEN).length === 1, 3000);
    expect(cardsTo(bellaTg.id)[0].at - bellaPosted).toBeLessThan(2000);
    expect(cardsTo(alexTg.id, CLIENT_TOKEN)[0].at - clientPosted).toBeLessThan(2000);
    expect(cardsTo(bellaTg.id)[0].at).toBeLessThan(floodedAt + (N - 1) * 1000);
    // Nothing reached the flooded chat of the manager bot while it was held.
    expect(cardsTo(alexTg.id)).toHaveLength(1);

    await waitFor(() => cardsTo(alexTg.id).length === 3, (N + 3) * 1000);
    const retries = cardsTo(alexTg.id).slice(1);
    for (const call of retries) {
      expect(call.at - floodedAt).toBeGreaterThanOrEqual((N - 1) * 1000);
      // ± 1 s, plus half a second for the card's own reads before its send on a machine under load.
      expect(call.at - floodedAt).toBeLessThanOrEqual((N + 1.5) * 1000);
    }
    expect(retries.map((c) => String(c.params.text)).join('\n')).toMatch(/Flooded One[\s\S]*Flooded Two|Flooded Two[\s\S]*Flooded One/);

    // Flow control, not failure: the rows are done and no attempt was spent on the wait.
    const rowsOf = () => hub.query(
      `SELECT status, attempts FROM outbox WHERE kind = 'telegram.notice' AND payload->>'recipientId' = $1 AND payload->>'dealId' = ANY($2::text[])`,
      [alex.id, [first.dealId, second.dealId]],
    );
    let rows = await rowsOf();
    for (let i = 0; i < 100 && rows.some((r) => r.status !== 'done'); i++) rows = await new Promise((r) => setTimeout(r, 20)).then(rowsOf);
    expect(rows).toEqual([
      { status: 'done', attempts: 1 },
      { status: 'done', attempts: 1 },
    ]);
    expect(hub.app.get(OutboxWorker).options.worker).toBe(true);
  }, 30_000);
});
