import { normalizePhone } from './phone';

describe('normalizePhone', () => {
  it.each([
    ['8 (999) 123-45-67', 'RU', '+79991234567'],
    ['+7 999 123 45 67', 'RU', '+79991234567'],
    ['79991234567', 'RU', '+79991234567'],
    ['89991234567', 'RU', '+79991234567'],
    ['+7 (999) 123-45-67', 'UZ', '+79991234567'],
    // Uzbekistan: international, bare digits with the country code, and national with the UZ region
    ['+998 90 123 45 67', 'RU', '+998901234567'],
    ['998901234567', 'RU', '+998901234567'],
    ['90 123 45 67', 'UZ', '+998901234567'],
    // Azerbaijan
    ['+994 50 123 45 67', 'RU', '+994501234567'],
    ['050 123 45 67', 'AZ', '+994501234567'],
    // Kazakhstan shares +7 with Russia; 7xx numbers are Kazakh
    ['+7 701 123 4567', 'RU', '+77011234567'],
    ['8 701 123 45 67', 'KZ', '+77011234567'],
    ['87011234567', 'RU', '+77011234567'],
    ['+1 (202) 555-0143', 'RU', '+12025550143'],
  ])('%s (region %s) → %s', (input, region, expected) => {
    expect(normalizePhone(input, region)).toBe(expected);
  });

  it.each([[''], ['123'], ['anonymous'], ['not a phone'], ['+7 999'], [null], [undefined], ['9'.repeat(50)]])('rejects %p', (input) => {
    expect(normalizePhone(input as string, 'RU')).toBeNull();
  });
});
