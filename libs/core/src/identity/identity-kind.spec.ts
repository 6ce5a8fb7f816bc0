import { channelIdentityValue, isCoreIdentityKind, isIdentityKind } from './identity-kind';

describe('identity kinds', () => {
  it('accepts any lowercase token as a kind, core or channel', () => {
    for (const k of ['phone', 'email', 'telegram', 'vk', 'whatsapp_business', 'ok2']) expect(isIdentityKind(k)).toBe(true);
  });

  it('refuses kinds that are not tokens', () => {
    for (const k of ['', 'VK', 'v k', '2gis', 'vk!', 'телеграм', 'a'.repeat(33), null, 7]) expect(isIdentityKind(k)).toBe(false);
  });

  it('knows only phone and email as its own', () => {
    expect(['phone', 'email', 'telegram', 'vk'].map(isCoreIdentityKind)).toEqual([true, true, false, false]);
  });

  it('keeps a channel value as given, trimmed; nothing for empty or oversized values', () => {
    expect(channelIdentityValue('  190042 ')).toBe('190042');
    expect(channelIdentityValue(555000111)).toBe('555000111');
    expect(channelIdentityValue('Ivan_V')).toBe('Ivan_V');
    expect(channelIdentityValue('   ')).toBeNull();
    expect(channelIdentityValue(undefined)).toBeNull();
    expect(channelIdentityValue({ id: 1 })).toBeNull();
    expect(channelIdentityValue('x'.repeat(257))).toBeNull();
  });
});
