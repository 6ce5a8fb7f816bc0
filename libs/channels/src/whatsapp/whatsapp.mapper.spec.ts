import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapWhatsAppMessage, splitWhatsAppDelivery, type WhatsAppInboundEvent } from './whatsapp.mapper';
import { verifyWhatsAppSignature, whatsappSignature } from './whatsapp-signature';

const raw = (name: string): string => readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8');
const fixture = (name: string): unknown => JSON.parse(raw(name));

/** The single message of a one-message fixture, mapped. */
function only(name: string): WhatsAppInboundEvent {
  const split = splitWhatsAppDelivery(fixture(name));
  expect(split.messages).toHaveLength(1);
  const event = mapWhatsAppMessage(split.messages[0]);
  if (!event) throw new Error('ignored');
  return event;
}

describe('WhatsApp mapper', () => {
  it('maps a text message: wa_id as an E.164 phone, profile name, wamid as the dedupe key, Meta timestamp', () => {
    const e = only('text');
    expect(e).toMatchObject({
      channel: 'whatsapp',
      kind: 'message',
      externalId: 'wamid.HBgLNzcwMTEyMzQ1NjcVAgASGBQzQUI1MDAwMDAwMDAwMDAwAA==',
      contact: { name: 'Айгуль Сапарова', phones: ['+77011234567'] },
      message: { text: 'Здравствуйте! Сколько стоит доставка в Алматы? 🚚', details: { waId: '77011234567', phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', wabaId: '102290129340398', type: 'text' } },
    });
    expect(e.occurredAt).toEqual(new Date(1765050000 * 1000));
  });

  it.each([
    ['image', { type: 'image', id: '1043225387213416', mimeType: 'image/jpeg' }, 'Вот такой диван'],
    ['document', { type: 'document', id: '2256911731357410', mimeType: 'application/pdf', fileName: 'ТЗ кухня.pdf' }, 'Техзадание'],
    ['audio-voice', { type: 'voice', id: '871349834836612', mimeType: 'audio/ogg; codecs=opus' }, null],
    ['audio', { type: 'audio', id: '540129648759332', mimeType: 'audio/mpeg' }, null],
    ['video', { type: 'video', id: '1318270539031466', mimeType: 'video/mp4' }, 'Как течёт кран'],
    ['sticker', { type: 'sticker', id: '1511096402842197', mimeType: 'image/webp' }, null],
  ])('keeps the media id of %s for streaming later, with the caption as text', (name, media, text) => {
    const e = only(name);
    expect(e.message.details.media).toMatchObject(media);
    expect(e.message.text).toBe(text);
  });

  it('maps location, shared contacts (not the sender identity), buttons, interactive replies and reactions', () => {
    const loc = only('location');
    expect(loc.message.details.location).toEqual({ latitude: 43.238, longitude: 76.9453, name: 'ТРЦ Dostyk Plaza', address: 'пр. Самал-2, 111, Алматы' });
    expect(loc.message.text).toBe('📍 ТРЦ Dostyk Plaza, пр. Самал-2, 111, Алматы (43.238, 76.9453)');

    const card = only('contacts');
    expect(card.contact.phones).toEqual(['+77011234567']);
    expect(card.message.details.sharedContacts).toEqual([{ name: 'Ерлан Ахметов', phones: ['+7 702 555 44 33'], emails: ['erlan@example.kz'] }]);
    expect(card.message.text).toBe('👤 Ерлан Ахметов +7 702 555 44 33 erlan@example.kz');

    const button = only('button');
    expect(button.message).toMatchObject({ text: 'Перезвоните мне', details: { reply: { kind: 'button', id: 'callback-request', title: 'Перезвоните мне' } } });
    expect(button.message.details.replyTo).toBe('wamid.HBgLNzcwMTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA');

    expect(only('interactive-button-reply').message).toMatchObject({ text: 'Большой размер', details: { reply: { kind: 'button_reply', id: 'size-large' } } });
    expect(only('interactive-list-reply').message).toMatchObject({ text: 'Экспресс — Доставка за 2 часа', details: { reply: { kind: 'list_reply', id: 'delivery-express' } } });

    const reaction = only('reaction');
    expect(reaction.message).toMatchObject({ text: '👍', details: { reaction: { emoji: '👍', messageId: 'wamid.HBgLNzcwMTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA' } } });
  });

  it('keeps an unsupported message (the client did write) and an ad referral as the deal source', () => {
    expect(only('unsupported').message).toMatchObject({ text: null, details: { unsupported: { type: 'unsupported', code: 131051, title: 'Message type unknown' } } });
    const ad = only('referral-ad');
    expect(ad.source).toMatchObject({ referrer: 'https://fb.me/3cr4Wqqkv', campaign: 'Курсы английского со скидкой', utm: { source: 'whatsapp', medium: 'ad', content: '120210000000000001' } });
  });

  it('splits a batch: every entry, change and message with its own number and sender profile; statuses apart', () => {
    const split = splitWhatsAppDelivery(fixture('batched'));
    expect(split.unreadable).toBeNull();
    expect(split.messages.map((m) => [m.phoneNumberId, m.message.from, m.contact?.profile?.name])).toEqual([
      ['106540352242922', '77051112233', 'Данияр'],
      ['106540352242922', '79161234567', 'Olga Smirnova'],
      ['106540352242922', '77051112233', 'Данияр'],
      ['113344556677889', '998901234567', 'Timur'],
    ]);
    expect(split.statuses).toHaveLength(1);
    expect(splitWhatsAppDelivery(fixture('statuses'))).toMatchObject({ messages: [], statuses: [{ status: 'read' }, { status: 'delivered' }, { status: 'failed' }] });
  });

  it('refuses what cannot be attributed, ignores system notices, and flags non-WhatsApp bodies', () => {
    const base = splitWhatsAppDelivery(fixture('text')).messages[0];
    expect(() => mapWhatsAppMessage({ ...base, contact: null, message: { ...base.message, from: 'not-a-number' } })).toThrow(/wa_id/);
    expect(() => mapWhatsAppMessage({ ...base, message: { ...base.message, id: undefined } })).toThrow(/without id/);
    expect(() => mapWhatsAppMessage({ ...base, message: { ...base.message, type: 'image', image: { mime_type: 'image/png' } } })).toThrow(/media id/);
    expect(mapWhatsAppMessage({ ...base, message: { ...base.message, type: 'system', system: { body: 'changed number' } } })).toBeNull();
    expect(splitWhatsAppDelivery([]).unreadable).toMatch(/not a JSON object/);
    expect(splitWhatsAppDelivery({ object: 'page', entry: [] }).unreadable).toMatch(/not a WhatsApp/);
  });
});

describe('X-Hub-Signature-256', () => {
  const secret = '0123456789abcdef0123456789abcdef';

  it('accepts the HMAC of the exact bytes, including emoji and escaped Unicode, and nothing else', () => {
    const bytes = Buffer.from(raw('text'));
    expect(verifyWhatsAppSignature(secret, bytes, whatsappSignature(secret, bytes))).toBe(true);
    expect(verifyWhatsAppSignature(secret, bytes, whatsappSignature(secret, bytes).toUpperCase().replace('SHA256=', 'sha256='))).toBe(true);
    // Same JSON value, written with \u escapes: other bytes, so another signature.
    const escaped = Buffer.from(raw('text').replace('🚚', '\\ud83d\\ude9a'));
    expect(JSON.parse(escaped.toString())).toEqual(JSON.parse(bytes.toString()));
    expect(verifyWhatsAppSignature(secret, escaped, whatsappSignature(secret, bytes))).toBe(false);
    expect(verifyWhatsAppSignature(secret, escaped, whatsappSignature(secret, escaped))).toBe(true);
    expect(verifyWhatsAppSignature('another-secret-0000000000000000', bytes, whatsappSignature(secret, bytes))).toBe(false);
    expect(verifyWhatsAppSignature(secret, bytes, undefined)).toBe(false);
    expect(verifyWhatsAppSignature(secret, bytes, 'sha1=abc')).toBe(false);
    expect(verifyWhatsAppSignature(secret, bytes, ['sha256=' + '0'.repeat(64)])).toBe(false);
  });
});
