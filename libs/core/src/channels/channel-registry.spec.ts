import { DomainError } from '../errors/domain-error';
import type { ChannelOutbound, ChannelPlugin } from './channel-plugin';
import { ChannelRegistry } from './channel-registry';

const outbound = (fallbackRank: number): ChannelOutbound => ({
  addressKinds: ['phone'],
  fallbackRank,
  notifyAuthorOnFailure: false,
  compose: async () => ({ payload: {} }),
  deliver: async () => ({ status: 'sent', providerMessageId: null }),
});
const plugin = (name: string, order: number, extra: Partial<ChannelPlugin> = {}): ChannelPlugin => ({
  name,
  iconKey: name,
  label: { en: name, ru: name },
  order,
  capabilities: { inbound: true, reply: !!extra.outbound, media: false, templates: false, calls: false, subject: false },
  identityKinds: [],
  availability: async () => ({ receives: true, sends: !!extra.outbound, calls: false, enableWith: [] }),
  ...extra,
});

describe('ChannelRegistry', () => {
  it('lists by order, replying channels by fallback rank, and finds identity owners', () => {
    const r = new ChannelRegistry();
    r.register(plugin('sms', 60, { outbound: outbound(30) }));
    r.register(plugin('form', 10));
    r.register(plugin('chat', 50, { outbound: outbound(5), identityKinds: ['chat_id'] }));
    expect(r.list().map((p) => p.name)).toEqual(['form', 'chat', 'sms']);
    expect(r.replying().map((p) => p.name)).toEqual(['chat', 'sms']);
    expect(r.ownerOf('chat_id')?.name).toBe('chat');
    expect(r.ownerOf('phone')).toBeUndefined();
    expect(r.replyingChannel('sms').name).toBe('sms');
  });

  it('refuses a second channel of a name, a second owner of an identity kind, and reply without outbound', () => {
    const r = new ChannelRegistry();
    r.register(plugin('chat', 1, { identityKinds: ['chat_id'] }));
    expect(() => r.register(plugin('chat', 2))).toThrow(/already registered/);
    expect(() => r.register(plugin('chat2', 2, { identityKinds: ['chat_id'] }))).toThrow(/owned by channel "chat"/);
    const liar = plugin('liar', 3);
    expect(() => r.register({ ...liar, capabilities: { ...liar.capabilities, reply: true } })).toThrow(/capabilities.reply/);
  });

  it('answers an unknown or non-replying channel as invalid input (400)', () => {
    const r = new ChannelRegistry();
    r.register(plugin('form', 1));
    r.register(plugin('chat', 2, { outbound: outbound(1) }));
    for (const name of ['sms', 'form']) {
      const err = (() => {
        try {
          r.replyingChannel(name);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'invalid', fields: { channel: expect.any(String) } });
    }
  });
});
