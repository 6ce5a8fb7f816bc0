import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestHub } from '../support/test-hub';
import { Dovecot } from './support/dovecot';
import { waitFor } from './support/wait';

const FIXTURES = join(__dirname, '..', '..', 'libs', 'channels', 'src', 'email', '__fixtures__');
const fixture = (dir: string, name: string) => readFileSync(join(FIXTURES, dir, name));

/**
 * Site-form notification emails as the builders send them (Contact Form 7, Elementor, Bitrix, Tilda,
 * Yandex Forms), delivered into a real Dovecot and taken by the hub: each is a lead with the client's
 * phone/email. One nobody can read is still a lead (raw text) and the admins are told. Raw 8-bit
 * headers from old mailers arrive readable.
 */
describe('form notification emails and old mailers through a real IMAP server', () => {
  let dovecot: Dovecot;
  let hub: TestHub;

  beforeAll(async () => {
    dovecot = await Dovecot.start();
    hub = await TestHub.start({
      ...dovecot.imapEnv(),
      MAIL_FROM: 'crm@test.local',
      IMAP_POLL_SECONDS: '1',
      MAIL_FORM_SENDERS: 'wordpress@acme-furniture.example, wordpress@okna-profi.example.ru, wordpress@shop.example.com, noreply@stroy.example.ru, robot@tildacdn.com, forms-noreply@yandex-team.ru',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
  });
  afterAll(async () => {
    await hub?.close();
    await dovecot?.destroy();
  });

  const deliver = async (messages: Buffer[]) => {
    const uids = await dovecot.deliver(messages);
    await waitFor('all taken', async () => Number((await hub.query(`SELECT last_uid FROM mailbox_state`))[0]?.last_uid ?? 0) >= uids[uids.length - 1]);
  };
  const identitiesOfName = async (name: string) =>
    (
      await hub.query(
        `SELECT c.id, array_agg(i.kind || ':' || i.value ORDER BY i.kind, i.value) AS ids FROM contact c JOIN contact_identity i ON i.contact_id = c.id WHERE c.name = $1 GROUP BY c.id`,
        [name],
      )
    )[0];
  const leadOf = async (contactId: string) => (await hub.query(`SELECT kind, payload FROM activity WHERE contact_id = $1 AND kind = 'lead'`, [contactId]))[0];

  it('every builder layout becomes a lead with the client to call', async () => {
    await deliver(['cf7-default-en.eml', 'cf7-html-table-ru.eml', 'elementor-en.eml', 'bitrix-aspro-ru.eml', 'bitrix-form-module-ru.eml', 'tilda-ru.eml', 'yandex-forms-ru.eml'].map((f) => fixture('forms', f)));
    const expected: Record<string, string[]> = {
      'John Carter': ['email:john.carter@example.com', 'phone:+15125550142'],
      'Мария Кузнецова': ['email:maria.k@example.ru', 'phone:+79031234567'],
      'Sarah Lee': ['email:sarah.lee@example.com', 'phone:+14155550199'],
      'Игорь Васильев': ['email:igor.v@example.ru', 'phone:+79123456789'],
      'Анна Белова': ['phone:+79210001122'],
      'Ольга Миронова': ['email:olga.m@example.ru', 'phone:+79267778899'],
      'Дмитрий Орлов': ['email:d.orlov@example.ru', 'phone:+79031112233'],
    };
    for (const [name, ids] of Object.entries(expected)) {
      const contact = await identitiesOfName(name);
      expect({ name, ids: contact?.ids }).toEqual({ name, ids });
      const lead = await leadOf(contact.id);
      expect(lead.payload.details).toMatchObject({ form: true });
      expect(lead.payload.message).toBeTruthy();
    }
    // John's phone was only in his message: an identity marked as found in the text.
    const [johnPhone] = await hub.query(`SELECT details FROM contact_identity WHERE value = '+15125550142'`);
    expect(johnPhone.details).toMatchObject({ foundInText: true });
    // The invoice number in Sarah's message is not a phone.
    expect(await hub.query(`SELECT 1 FROM contact_identity WHERE value LIKE '%5125550100%'`)).toHaveLength(0);
    // The builders' robot addresses are never contacts; no form email was a failed receipt.
    expect(await hub.query(`SELECT 1 FROM contact_identity WHERE value IN ('robot@tildacdn.com', 'forms-noreply@yandex-team.ru', 'noreply@stroy.example.ru')`)).toHaveLength(0);
    expect(await hub.query(`SELECT 1 FROM inbound_receipt WHERE status = 'failed'`)).toHaveLength(0);
  });

  it('a form email nobody can read is a lead with its raw text, and the admins are told', async () => {
    await deliver([fixture('forms', 'unreadable-en.eml')]);
    const [lead] = await hub.query(`SELECT id, contact_id, deal_id, payload FROM activity WHERE kind = 'lead' AND payload->'details'->>'messageId' = '<unreadable-2291@shop.example.com>'`);
    expect(lead.payload.details).toMatchObject({ form: true, unreadable: true });
    expect(lead.payload.message).toContain('Submission #2291 is waiting for you.');
    expect(await hub.query(`SELECT 1 FROM task WHERE deal_id = $1 AND kind = 'callback' AND status = 'open'`, [lead.deal_id])).toHaveLength(1);
    const [notice] = await hub.query(`SELECT kind, payload FROM outbox WHERE payload->>'event' = 'form_email_unreadable'`);
    expect(notice).toMatchObject({ kind: 'notify.admins', payload: { activityId: lead.id, contactId: lead.contact_id, subject: 'New submission #2291' } });
    expect(await hub.query(`SELECT 1 FROM inbound_receipt WHERE status = 'failed'`)).toHaveLength(0);
  });

  it('raw 8-bit Subject and From from old mailers are readable on the contact and the timeline', async () => {
    await deliver(['outlook-express-1251.eml', 'php-mail-koi8r.eml', 'raw-utf8.eml'].map((f) => fixture('raw-8bit', f)));
    for (const [name, subject] of [
      ['Сергей Николаевич', 'Прайс на металлопрокат'],
      ['Татьяна Ершова', 'Вопрос по доставке'],
      ['Алия Нурланова', 'Заявка на обучение'],
    ]) {
      const contact = await identitiesOfName(name);
      expect(contact).toBeDefined();
      expect((await leadOf(contact.id)).payload.subject).toBe(subject);
    }
    expect(JSON.stringify(await hub.query(`SELECT name FROM contact`))).not.toContain('\uFFFD');
  });
});
