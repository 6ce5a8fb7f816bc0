import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapEmail, type EmailReceipt } from './email.mapper';
import { parseEmail } from './email-parser';
import { formHtmlToText } from './form-notification';

const DIR = join(__dirname, '__fixtures__', 'forms');

/** A form notification as the watcher hands it to the mapper (the HTML read into label/value lines). */
async function formEvent(file: string) {
  const p = await parseEmail(readFileSync(join(DIR, file)));
  const receipt: EmailReceipt = {
    mailboxId: 'mbx-1',
    mailboxName: 'Sales',
    folder: 'INBOX',
    uidValidity: 7,
    uid: 42,
    contentHash: 'abc123',
    emailId: 'email-1',
    messageId: p.messageId,
    inReplyTo: p.inReplyTo,
    references: p.references,
    from: p.from!,
    replyTo: p.replyTo,
    subject: p.subject,
    text: p.text,
    html: !!p.html,
    htmlText: p.html ? formHtmlToText(p.html) : null,
    date: p.date,
    attachments: [],
    form: true,
    threadEmail: null,
  };
  return mapEmail(receipt, 'RU');
}

describe('site-form notification emails (as the builders send them)', () => {
  it('Contact Form 7, default English body: From line, multi-line "Message Body", Reply-To', async () => {
    const e = await formEvent('cf7-default-en.eml');
    expect(e.kind).toBe('lead');
    expect(e.contact).toMatchObject({ name: 'John Carter', emails: ['john.carter@example.com'] });
    expect(e.message?.text).toBe('Hello, we need 40 office chairs delivered to Austin by December 15.\nOrder reference from your catalogue: #100245, budget about $ 9,500.\nPlease call me on +1 (512) 555-0142.');
    expect(e.fields).toMatchObject({ subject: 'Quote for 40 chairs' });
    // The phone in the message (not the order number or the price) is offered as "found in text".
    expect(e.contact.phonesInText).toEqual(['+1 (512) 555-0142']);
    expect(e.message?.details).toMatchObject({ form: true });
    expect(e.message?.details).not.toHaveProperty('unreadable');
  });

  it('Contact Form 7 with an HTML table template (Russian)', async () => {
    const e = await formEvent('cf7-html-table-ru.eml');
    expect(e.contact).toMatchObject({ name: 'Мария Кузнецова', phones: ['+7 (903) 123-45-67'], emails: ['maria.k@example.ru'] });
    expect(e.message?.text).toBe('Нужны три окна в квартиру.\nЗамер лучше в субботу.');
    expect(e.source).toMatchObject({ page: 'https://okna-profi.example.ru/zamer/?utm_source=yandex&utm_medium=cpc', utm: { source: 'yandex', medium: 'cpc' } });
  });

  it('Elementor [all-fields]: label/value lines in HTML, metadata kept as fields', async () => {
    const e = await formEvent('elementor-en.eml');
    expect(e.contact).toMatchObject({ name: 'Sarah Lee', emails: ['sarah.lee@example.com'] });
    expect(e.contact.phones).toEqual(['+1 415-555-0199']);
    expect(e.message?.text).toBe('Do you ship to Vancouver? We need 12 standing desks.\nInvoice no. 5125550100 from last year was paid.');
    expect(e.source).toMatchObject({ page: 'https://shop.example.com/contact/?utm_source=google&utm_campaign=desks', utm: { source: 'google', campaign: 'desks' } });
    expect(e.fields).toMatchObject({ remote_ip: '203.0.113.7', powered_by: 'Elementor', date: 'November 23, 2026' });
    // An invoice number is not a phone.
    expect(e.contact.phonesInText).toEqual([]);
  });

  it('Bitrix (windows-1251 HTML template)', async () => {
    const e = await formEvent('bitrix-aspro-ru.eml');
    expect(e.contact).toMatchObject({ name: 'Игорь Васильев', phones: ['8 912 345-67-89'], emails: ['igor.v@example.ru'] });
    expect(e.message?.text).toBe('Сколько стоит доставка 3 тонн цемента? Заказ № 77812 уже оплачен.');
    expect(e.message?.subject).toBe('Стройматериалы: заполнена форма "Задать вопрос"');
  });

  it("Bitrix web-form module's default template: the label above a ***** rule, the answer below", async () => {
    const e = await formEvent('bitrix-form-module-ru.eml');
    expect(e.contact).toMatchObject({ name: 'Анна Белова', phones: ['+7 921 000-11-22'] });
    expect(e.message?.text).toBe('Есть ли у вас газобетон D500?\nНужно 20 кубов.');
  });

  it('Tilda (text and HTML alternatives, Russian project)', async () => {
    const e = await formEvent('tilda-ru.eml');
    expect(e.contact).toMatchObject({ name: 'Ольга Миронова', phones: ['+7 (926) 777-88-99'], emails: ['olga.m@example.ru'] });
    expect(e.message?.text).toBe('Хочу кухню 3 метра, звоните после 18:00');
    expect(e.source).toMatchObject({ utm: { source: 'vk', campaign: 'kitchen_nov' } });
    expect(e.fields).toMatchObject({ transaction_id: '6145883:1437123621', form_name: 'Cart' });
  });

  it('Yandex Forms: the question as a heading, the answer under it', async () => {
    const e = await formEvent('yandex-forms-ru.eml');
    expect(e.contact).toMatchObject({ name: 'Дмитрий Орлов', phones: ['+79031112233'], emails: ['d.orlov@example.ru'] });
    expect(e.message?.text).toBe('Интересует абонентское обслуживание для офиса на 15 человек.');
  });

  it('a notification with nothing to call or write to is still a lead, with its raw text, marked unreadable', async () => {
    const e = await formEvent('unreadable-en.eml');
    expect(e.kind).toBe('lead');
    expect(e.contact).toMatchObject({ name: null });
    expect(e.contact.emails ?? []).toEqual([]);
    expect(e.message?.text).toContain('Submission #2291 is waiting for you.');
    expect(e.message?.details).toMatchObject({ form: true, unreadable: true });
  });

  it("an unreadable one takes a phone from its text, never the site's own from the footer", async () => {
    const raw = readFileSync(join(DIR, 'unreadable-en.eml'), 'utf8')
      .replace('Log in to read it:', 'The visitor left +1 512 555 0177. Log in to read it:')
      .replace(/-- \r?\nDesk Shop/, "-- \nDesk Shop, call us: +1 512 555 0100");
    expect(raw).toContain('call us: +1 512 555 0100');
    const p = await parseEmail(Buffer.from(raw));
    const e = mapEmail({ mailboxId: 'mbx-1', mailboxName: 'Sales', folder: 'INBOX', uidValidity: 7, uid: 43, contentHash: 'h', emailId: 'e', messageId: p.messageId, inReplyTo: null, references: [], from: p.from!, replyTo: null, subject: p.subject, text: p.text, html: false, date: p.date, attachments: [], form: true, threadEmail: null }, 'RU');
    expect(e.contact.phonesInText).toEqual(['+1 512 555 0177']);
  });
});
