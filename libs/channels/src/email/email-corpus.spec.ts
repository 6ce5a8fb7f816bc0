import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyEmail, type EmailClass } from './email-classifier';
import { sanitizeEmailHtml } from './email-html';
import { mapEmail, type EmailReceipt } from './email.mapper';
import { parseEmail, type ParsedEmail } from './email-parser';

const DIR = join(__dirname, '__fixtures__', 'corpus');
const CONTEXT = { ownAddresses: ['crm@test.local'], formSenders: ['forms@tilda.ws', 'wordpress@shop.example.ru'] };

interface Expected {
  kind: EmailClass;
  from?: string;
  name?: string | null;
  subject?: string;
  text?: string;
  html?: boolean;
  messageId?: string | null;
  inReplyTo?: string | null;
  references?: string[];
  attachments?: Array<{ filename: string; contentType: string; size: number; inline: boolean }>;
  /** For leads: the identities the intake event carries. */
  emails?: string[];
  phones?: string[];
  bounce?: { originalMessageId: string | null; recipients: string[]; status: string | null };
}

/** The expected outcome of every message in the corpus. */
const EXPECTED: Record<string, Expected> = {
  '01-plain-new-lead.eml': { kind: 'message', from: 'anna.petrova@example.com', name: 'Anna Petrova', subject: 'Price for 20 licenses', text: 'My phone is +7 999 123-45-67.', html: false, messageId: '<CAF1plain001@mail.example.com>', emails: ['anna.petrova@example.com'] },
  '02-html-only.eml': { kind: 'message', name: 'Boris Ivanov', text: 'Good afternoon!\n\nDo you deliver to Kazan?\nThanks, Boris', html: true },
  '03-multipart-alternative.eml': { kind: 'message', text: 'Hi, I would like a demo next week.\nCarla', html: true },
  '04-attachment-pdf.eml': { kind: 'message', attachments: [{ filename: 'requirements.pdf', contentType: 'application/pdf', size: 69, inline: false }] },
  '05-inline-image.eml': { kind: 'message', html: true, attachments: [{ filename: 'logo.png', contentType: 'image/png', size: 70, inline: true }] },
  '06-cyrillic-utf8.eml': { kind: 'message', name: 'Иван Кузнецов', subject: 'Заявка на расчёт стоимости', text: 'Прошу рассчитать стоимость доставки в Новосибирск.' },
  '07-cyrillic-windows-1251.eml': { kind: 'message', name: 'Ольга Сидорова', subject: 'Оптовый заказ', text: 'Интересует оптовая закупка, 500 штук.' },
  '08-cyrillic-koi8r.eml': { kind: 'message', name: 'Пётр Волков', subject: 'Счёт на оплату', text: 'Нужен счёт на оплату для ООО "Ромашка".' },
  '09-encoded-subject-split.eml': { kind: 'message', name: 'María Fernández', subject: 'Pregunta sobre el catálogo', text: '¿tienen el catálogo en español?' },
  '10-reply-to-header.eml': { kind: 'message', from: 'noreply@chat-service.example', name: 'Farid Aliyev', emails: ['farid@example.az'] },
  '11-thread-reply.eml': {
    kind: 'message',
    inReplyTo: '<sent-0001@test.local>',
    references: ['<CAF1plain001@mail.example.com>', '<sent-0001@test.local>'],
    subject: 'Re: Price for 20 licenses',
  },
  '12-auto-reply-auto-submitted.eml': { kind: 'auto_reply' },
  '13-auto-reply-x-autoreply.eml': { kind: 'auto_reply', subject: 'Автоответ' },
  '14-precedence-bulk.eml': { kind: 'auto_reply' },
  '15-bounce-dsn.eml': { kind: 'bounce', bounce: { originalMessageId: '<sent-0002@test.local>', recipients: ['nobody@example.com'], status: '5.1.1' } },
  '16-bounce-mailer-daemon-plain.eml': { kind: 'bounce' },
  '17-form-tilda.eml': { kind: 'form', name: 'Gleb Morozov', phones: ['8 (916) 555-12-34'], emails: ['gleb@example.com'] },
  '18-form-wordpress-russian.eml': { kind: 'form', name: 'Зарина Юсупова', phones: ['+998 90 123 45 67'], emails: [] },
  '19-own-message.eml': { kind: 'own' },
  '20-no-message-id.eml': { kind: 'message', messageId: null },
  '21-script-html.eml': { kind: 'message', html: true },
  '22-references-only-reply.eml': { kind: 'message', inReplyTo: null, references: ['<sent-0001@test.local>', '<CAF1reply011@mail.example.com>'] },
};

function receiptOf(p: ParsedEmail, form: boolean): EmailReceipt {
  return {
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
    date: p.date,
    attachments: [],
    form,
    threadEmail: null,
  };
}

describe('email corpus', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.eml')).sort();

  it('has at least 20 messages, each with an expected outcome', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s', async (file, expected) => {
    const parsed = await parseEmail(readFileSync(join(DIR, file)));
    expect(classifyEmail(parsed, CONTEXT).kind).toBe(expected.kind);
    if (expected.from !== undefined) expect(parsed.from?.address).toBe(expected.from);
    if (expected.subject !== undefined) expect(parsed.subject).toBe(expected.subject);
    if (expected.text !== undefined) expect(parsed.text).toContain(expected.text);
    if (expected.html !== undefined) expect(!!parsed.html).toBe(expected.html);
    if (expected.messageId !== undefined) expect(parsed.messageId).toBe(expected.messageId);
    if (expected.inReplyTo !== undefined) expect(parsed.inReplyTo).toBe(expected.inReplyTo);
    if (expected.references !== undefined) expect(parsed.references).toEqual(expected.references);
    if (expected.attachments !== undefined) expect(parsed.attachments.map(({ filename, contentType, size, inline }) => ({ filename, contentType, size, inline }))).toEqual(expected.attachments);
    if (expected.bounce) expect(parsed.bounce).toMatchObject(expected.bounce);
    // No mojibake anywhere: decoded text never keeps replacement characters or raw encoded words.
    expect(`${parsed.subject ?? ''}${parsed.text ?? ''}${parsed.from?.name ?? ''}`).not.toMatch(/\uFFFD|=\?[\w-]+\?[BQ]\?/i);

    if (expected.kind === 'message' || expected.kind === 'form') {
      const event = mapEmail(receiptOf(parsed, expected.kind === 'form'), 'RU');
      expect(event.channel).toBe('email');
      expect(event.kind).toBe(expected.kind === 'form' ? 'lead' : 'message');
      expect(event.externalId).toBe(parsed.messageId ?? 'mbx-1:sha256:abc123');
      if (expected.name !== undefined) expect(event.contact.name).toBe(expected.name);
      if (expected.emails !== undefined) expect(event.contact.emails).toEqual(expected.emails);
      if (expected.phones !== undefined) expect(event.contact.phones ?? []).toEqual(expected.phones);
      expect(event.message?.details).toMatchObject({ messageId: parsed.messageId, mailboxId: 'mbx-1', references: parsed.references });
    }
  });

  it('maps a form notification like a posted form: fields, UTM tags, page, message', async () => {
    const parsed = await parseEmail(readFileSync(join(DIR, '17-form-tilda.eml')));
    const event = mapEmail(receiptOf(parsed, true), 'RU');
    expect(event.message?.text).toBe('Call me after 18:00');
    expect(event.source).toMatchObject({ utm: { source: 'yandex', campaign: 'winter' }, page: 'https://shop.example.com/landing', formName: 'Site form by email (forms@tilda.ws)' });
    const ru = mapEmail(receiptOf(await parseEmail(readFileSync(join(DIR, '18-form-wordpress-russian.eml'))), true), 'RU');
    expect(ru.message?.text).toBe('Хочу узнать цену на установку.\nИнтересует монтаж в Ташкенте.');
  });

  it('joins the thread contact: a reply carries the email identity of the conversation', async () => {
    const parsed = await parseEmail(readFileSync(join(DIR, '11-thread-reply.eml')));
    const event = mapEmail({ ...receiptOf(parsed, false), threadEmail: 'anna@old-address.example' }, 'RU');
    expect(event.contact.emails).toEqual(['anna.petrova@example.com', 'anna@old-address.example']);
  });

  it('sanitises hostile HTML: no scripts, handlers, forms, frames, styles or remote images', async () => {
    const parsed = await parseEmail(readFileSync(join(DIR, '21-script-html.eml')));
    const safe = sanitizeEmailHtml(parsed.html!);
    expect(safe).not.toMatch(/<script|onload|onerror|javascript:|<iframe|<form|<input|<svg|style=|tracker\.example|alert\(/i);
    expect(safe).toContain('<a href="https://example.com/offer" rel="noopener noreferrer nofollow" target="_blank">details</a>');
    expect(safe).toContain('styled');
    const inline = await parseEmail(readFileSync(join(DIR, '05-inline-image.eml')));
    // A cid: image is served from the message's own stored part, as a data: URL; without the part it is dropped.
    const [logo] = inline.attachments;
    const parts = new Map([['logo@example.com', { contentType: logo.contentType, content: logo.content }]]);
    expect(sanitizeEmailHtml(inline.html!, parts)).toContain(`<img alt="logo" src="data:image/png;base64,${logo.content.toString('base64')}" />`);
    expect(sanitizeEmailHtml(inline.html!)).not.toContain('<img');
    // Never an SVG (a document that can carry script) or a remote fallback.
    const svg = new Map([['logo@example.com', { contentType: 'image/svg+xml', content: Buffer.from('<svg onload="alert(1)"/>') }]]);
    expect(sanitizeEmailHtml(inline.html!, svg)).not.toContain('<img');
  });
});
