import { SmtpCapture } from '../email/support/smtp-capture';
import type { TestHub } from '../support/test-hub';
import { FakeBotApi } from './fake-bot-api';
import { bind, drainOutbox, HUB_START_MS, MANAGER_TOKEN, messageUpdate, postUpdate, startTelegramHub, type TgPerson } from './telegram-helpers';

const olegTg: TgPerson = { id: 730100200, first_name: 'Oleg', language_code: 'en' };

/** A manager answers an email lead from Telegram with a file: the client gets an email with the file attached, and "Sent ✓" only after SMTP took it. */
describe('Telegram reply with a file to an email lead', () => {
  let fake: FakeBotApi;
  let smtp: SmtpCapture;
  let hub: TestHub;

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    smtp = await SmtpCapture.start();
    hub = await startTelegramHub(fake, {
      TELEGRAM_MANAGER_BOT_TOKEN: MANAGER_TOKEN,
      // The mailbox replies are sent from; nobody watches its IMAP side in this test.
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: '1',
      IMAP_TLS: 'false',
      IMAP_USER: 'crm@test.local',
      IMAP_PASSWORD: 'secret',
      MAIL_FROM: 'crm@test.local',
      MAIL_WATCHER: 'false',
      ...smtp.env(),
    });
    const oleg = await hub.createManager({ name: 'Oleg', locale: 'en' });
    await bind(hub, oleg.id, olegTg, 'manager');
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await smtp?.close();
    await fake.stop();
  }, HUB_START_MS);

  it('attaches the file to the email and says "Sent ✓" after SMTP accepted it', async () => {
    const lead = await hub.postForm({ name: 'Mail Mary', email: 'mary@example.com', message: 'Send me the price list' });
    await drainOutbox(hub);
    const [card] = await hub.query(`SELECT message_id FROM telegram_manager_message WHERE chat_id = $1 AND kind = 'card'`, [String(olegTg.id)]);
    fake.addFile('BQprices', 'documents/prices.xlsx', Buffer.from('PK fake spreadsheet'), MANAGER_TOKEN);
    await postUpdate(
      hub,
      messageUpdate(olegTg, {
        document: { file_id: 'BQprices', file_unique_id: 'up', file_name: 'prices.xlsx', mime_type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', file_size: 19 },
        caption: 'Here is our price list',
        reply_to_message: { message_id: Number(card.message_id), chat: { id: olegTg.id, type: 'private' }, date: 0 },
      }),
      { bot: 'manager' },
    );
    expect(smtp.received).toHaveLength(0);
    await drainOutbox(hub);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail.to).toEqual(['mary@example.com']);
    expect(mail.parsed.text?.trim()).toBe('Here is our price list');
    expect(mail.parsed.attachments.map((a) => ({ name: a.filename, body: a.content.toString() }))).toEqual([{ name: 'prices.xlsx', body: 'PK fake spreadsheet' }]);
    const edits = fake.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === 'editMessageText').map((c) => c.params.text);
    expect(edits.at(-1)).toBe('Sent to the client ✓');
    expect((await hub.query(`SELECT status FROM task WHERE deal_id = $1`, [lead.body.dealId]))[0].status).toBe('done');
  });
});
