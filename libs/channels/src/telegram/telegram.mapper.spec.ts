import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandOf, mapTelegramUpdate, type TgUpdate } from './telegram.mapper';

const fixture = (name: string): TgUpdate => JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
const BOT = 123456;

describe('mapTelegramUpdate', () => {
  it('maps a private text message to a conversation event keyed by bot and update id', () => {
    const r = mapTelegramUpdate(BOT, fixture('private-text.json'));
    if (r.type !== 'message') throw new Error(r.type);
    expect(r.event).toMatchObject({
      channel: 'telegram',
      kind: 'message',
      externalId: '123456:804233001',
      contact: { name: 'Анна Петрова', phones: [], identities: [{ kind: 'telegram', value: '555000111', details: { username: 'anna_p' } }] },
      message: { text: 'Здравствуйте, сколько стоит доставка в Ташкент?', details: { botId: BOT, chatId: 555000111, messageId: 17, updateId: 804233001, username: 'anna_p' } },
      fields: { languageCode: 'ru' },
    });
    expect(r.event.occurredAt).toEqual(new Date(1763910000 * 1000));
    expect(r.command).toBeNull();
  });

  it('keeps a /start deep-link payload as the campaign and UTM tags, not as message text', () => {
    const r = mapTelegramUpdate(BOT, fixture('start-deep-link.json'));
    if (r.type !== 'message') throw new Error(r.type);
    expect(r.command).toEqual({ name: 'start', arg: 'instagram-stories-winter24' });
    expect(r.event.source).toEqual({ campaign: 'instagram-stories-winter24', utm: { source: 'instagram', medium: 'stories', campaign: 'winter24' } });
    expect(r.event.message.text).toBeNull();
  });

  it.each([
    ['photo-caption.json', { type: 'photo', fileId: 'AgACAgIAAxkBAAMTZ1large', size: 58123, mimeType: 'image/jpeg' }, 'Вот такой диван нужен'],
    ['voice.json', { type: 'voice', fileId: 'AwACAgIAAxkBAAMUZ1voice', size: 24012, durationSeconds: 7, mimeType: 'audio/ogg' }, null],
    ['sticker.json', { type: 'sticker', fileId: 'CAACAgIAAxkBAAMVZ1sticker', emoji: '👍', mimeType: 'image/webp' }, '👍'],
    ['document.json', { type: 'document', fileName: 'plan.pdf', mimeType: 'application/pdf', size: 183400 }, 'План квартиры'],
  ])('describes media of %s (type, caption, size, file id)', (name, media, text) => {
    const r = mapTelegramUpdate(BOT, fixture(name));
    if (r.type !== 'message') throw new Error(r.type);
    expect(r.event.message.details.media).toMatchObject(media);
    expect(r.event.message.text).toBe(text);
  });

  it('adds the phone of a contact the client shared about themselves', () => {
    const r = mapTelegramUpdate(BOT, fixture('contact-own.json'));
    if (r.type !== 'message') throw new Error(r.type);
    expect(r.event.contact.phones).toEqual(['79991234567']);
    expect(r.event.message.details.contactShared).toEqual({ phone: '79991234567', own: true });
  });

  it('does not take a phone from somebody else’s contact card', () => {
    const u = fixture('contact-own.json');
    u.message!.contact!.user_id = 42;
    const r = mapTelegramUpdate(BOT, u);
    if (r.type !== 'message') throw new Error(r.type);
    expect(r.event.contact.phones).toEqual([]);
    expect(r.event.message.text).toContain('79991234567');
  });

  it('maps an edit to the chat and message it changes', () => {
    const r = mapTelegramUpdate(BOT, fixture('edited-text.json'));
    expect(r).toMatchObject({ type: 'edit', chatId: 555000111, messageId: 17, text: 'Здравствуйте, сколько стоит доставка в Самарканд?' });
  });

  it.each([
    ['group-message.json', 'supergroup chat'],
    ['channel-post.json', 'unsupported update (channel_post)'],
    ['from-bot.json', 'message from a bot'],
  ])('ignores %s', (name, reason) => {
    expect(mapTelegramUpdate(BOT, fixture(name))).toEqual({ type: 'ignored', reason });
  });

  it('passes callback queries through and ignores malformed updates', () => {
    expect(mapTelegramUpdate(BOT, fixture('callback-query.json'))).toMatchObject({ type: 'callback', query: { data: 'called:6f1c2a34-8a7e-4c1d-9b35-1f2e3d4c5b6a' } });
    expect(mapTelegramUpdate(BOT, { update_id: 'x' } as never)).toEqual({ type: 'ignored', reason: 'not an update' });
    expect(mapTelegramUpdate(BOT, null as never)).toEqual({ type: 'ignored', reason: 'not an update' });
  });

  it('reads commands addressed to the bot by name', () => {
    expect(commandOf({ text: '/tasks@leadline_bot', entities: [{ type: 'bot_command', offset: 0, length: 19 }] })).toEqual({ name: 'tasks', arg: '' });
    expect(commandOf({ text: 'hi /tasks', entities: [{ type: 'bot_command', offset: 3, length: 6 }] })).toBeNull();
  });
});
