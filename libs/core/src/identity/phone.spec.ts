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

describe('normalizePhone: international prefixes and what people type in the seed countries', () => {
  it.each([
    // 00 (AZ, UZ, UA, most of Europe), 810 and 8~10 (RU/KZ/BY), 011 (North America)
    ['00994501234567', 'RU', '+994501234567'],
    ['00 994 50 123 45 67', 'RU', '+994501234567'],
    ['(00994) 50-123-45-67', 'AZ', '+994501234567'],
    ['810994501234567', 'RU', '+994501234567'],
    ['8~10 994 50 123 45 67', 'RU', '+994501234567'],
    ['8-10-998-90-123-45-67', 'KZ', '+998901234567'],
    ['8 10 375 29 123 45 67', 'BY', '+375291234567'],
    ['0079991234567', 'UZ', '+79991234567'],
    ['011 7 701 123 4567', 'RU', '+77011234567'],
    // national formats of the seed regions
    ['8 029 123-45-67', 'BY', '+375291234567'],
    ['+375 (29) 123-45-67', 'RU', '+375291234567'],
    ['050 123 4567', 'UA', '+380501234567'],
    ['+38 (050) 123-45-67', 'RU', '+380501234567'],
    ['380501234567', 'RU', '+380501234567'],
    ['8 (701) 123-45-67', 'KZ', '+77011234567'],
    ['+8 999 123 45 67', 'RU', '+79991234567'],
    ['8.999.123.45.67', 'RU', '+79991234567'],
    // pasted with invisible marks, non-breaking spaces, full-width or Arabic-Indic digits
    ['\u200e+7\u00a0999\u00a0123-45-67\u200f', 'RU', '+79991234567'],
    ['\uff18\uff19\uff19\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17', 'RU', '+79991234567'],
    ['+\u0669\u0669\u0664\u0665\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667', 'RU', '+994501234567'],
  ])('%s (region %s) → %s', (input, region, expected) => {
    expect(normalizePhone(input, region)).toBe(expected);
  });

  it.each([['00'], ['810'], ['8~10'], ['0000000000'], ['+8 999'], ['00 123']])('still rejects %p', (input) => {
    expect(normalizePhone(input, 'RU')).toBeNull();
  });
});
