import { describe, expect, it } from 'vitest';
import type { ChannelAvailability } from '../api';
import { canCall, catalogue, channelsOfIdentities, fallbackLabel, inboundChannels, renderTemplate, replyChoices } from './channels';

const base = { capabilities: { inbound: true, reply: false, media: false, templates: false, calls: false, subject: false }, identityKinds: [], receives: true, sends: false, calls: false, enableWith: [] };
// As GET /api/channels answers, with a channel this UI has never heard of ("pigeon").
const list: ChannelAvailability[] = [
  { ...base, key: 'email', label: { en: 'Email', ru: 'Email' }, iconKey: 'email', identityKinds: ['email'], sends: true, capabilities: { ...base.capabilities, reply: true, subject: true } },
  { ...base, key: 'telegram', label: { en: 'Telegram', ru: 'Telegram' }, iconKey: 'telegram', identityKinds: ['telegram'], capabilities: { ...base.capabilities, reply: true } },
  { ...base, key: 'phone', label: { en: 'Phone', ru: 'Телефон' }, iconKey: 'phone', identityKinds: ['phone'], calls: true, capabilities: { ...base.capabilities, calls: true } },
  { ...base, key: 'pigeon', label: { en: 'Pigeon post', ru: 'Голубиная почта' }, iconKey: 'bird', sends: true, capabilities: { ...base.capabilities, inbound: false, reply: true } },
];

describe('channel catalogue (GET /api/channels)', () => {
  it('names and icons come from the hub in the reader’s language; unknown names still read sensibly', () => {
    const ru = catalogue(list, 'ru');
    expect(ru.label('phone')).toBe('Телефон');
    expect(ru.label('pigeon')).toBe('Голубиная почта');
    expect(catalogue(list, 'en').label('pigeon')).toBe('Pigeon post');
    expect(ru.iconKey('pigeon')).toBe('bird');
    expect(ru.label('carrier_owl')).toBe('Carrier owl');
    expect(catalogue(null, 'en').label('web_form')).toBe('Web form');
    expect(fallbackLabel('')).toBe('');
  });

  it('identities show as the channel that owns them, in the hub’s order', () => {
    const en = catalogue(list, 'en');
    expect(en.ofIdentity('phone')).toBe('phone');
    expect(channelsOfIdentities(en, ['phone', 'email', 'phone'])).toEqual(['email', 'phone']);
  });

  it('filters, calls and the composer follow the capabilities and what this hub has switched on', () => {
    expect(inboundChannels(list)).toEqual(['email', 'telegram', 'phone']);
    expect(canCall(list)).toBe(true);
    expect(canCall(list.filter((c) => c.key !== 'phone'))).toBe(false);
    const options = [
      { channel: 'telegram', address: '42', ok: true },
      { channel: 'pigeon', address: '+7', ok: false, reason: 'window_closed' },
      { channel: 'email', address: 'a@b.c', ok: true },
    ];
    // Telegram is not switched on here (sends false): not offered; the pigeon refuses now and says why.
    expect(replyChoices(list, options)).toEqual({ usable: ['email'], refused: [options[1]] });
    expect(replyChoices(null, options)).toEqual({ usable: [], refused: [] });
  });
});

describe('renderTemplate', () => {
  it('fills numbered placeholders, leaving empty ones visible', () => {
    expect(renderTemplate('Hi {{1}}, your order {{2}} is ready', ['Ann', '42'])).toBe('Hi Ann, your order 42 is ready');
    expect(renderTemplate('Hi {{1}}, your order {{2}}', ['Ann', ' '])).toBe('Hi Ann, your order {{2}}');
  });
});
