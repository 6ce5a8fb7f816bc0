import type { ChannelPlugin } from '@leadline/core';
import { inboundChannelOf } from './metrics.service';

const channel = (name: string, prefixes: string[], signed: boolean): ChannelPlugin => ({
  name,
  iconKey: name,
  label: { en: name, ru: name },
  order: 1,
  capabilities: { inbound: true, reply: false, media: false, templates: false, calls: false, subject: false },
  identityKinds: [],
  inboundRoutes: { prefixes, signed },
  availability: async () => ({ receives: true, sends: false, calls: false, enableWith: [] }),
});

describe('inboundChannelOf', () => {
  // A channel the hub has never heard of labels its own routes by registering them.
  const channels = [channel('web_form', ['/api/inbound/forms/'], false), channel('pigeon', ['/api/inbound/pigeon/', '/api/inbound/loft'], true)];

  it('labels a route with the channel that registered its prefix, and whether a 401/403 means a forged request', () => {
    expect(inboundChannelOf('/api/inbound/forms/:formKey', channels)).toEqual({ name: 'web_form', signed: false });
    expect(inboundChannelOf('/api/inbound/pigeon/:id', channels)).toEqual({ name: 'pigeon', signed: true });
    expect(inboundChannelOf('/api/inbound/loft', channels)).toEqual({ name: 'pigeon', signed: true });
  });

  it('gives a route inside another channel\'s prefix to the channel with the longer prefix, in any order', () => {
    const nested = [channel('phone', ['/api/inbound/twilio/'], true), channel('sms', ['/api/inbound/twilio/messaging'], true)];
    for (const list of [nested, [...nested].reverse()]) {
      expect(inboundChannelOf('/api/inbound/twilio/messaging/status', list)).toEqual({ name: 'sms', signed: true });
      expect(inboundChannelOf('/api/inbound/twilio/voice', list)).toEqual({ name: 'phone', signed: true });
    }
  });

  it('leaves every other route unlabelled', () => {
    expect(inboundChannelOf('/api/contacts/:id', channels)).toBeNull();
    expect(inboundChannelOf('/api/inbound/telegram/:secret', channels)).toBeNull();
    expect(inboundChannelOf(undefined, channels)).toBeNull();
  });
});
