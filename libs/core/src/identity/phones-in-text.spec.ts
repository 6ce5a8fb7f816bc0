import { phonesInText } from './phones-in-text';

describe('phonesInText', () => {
  it('finds phones as people write them', () => {
    const found = phonesInText('Звоните 8 (916) 555-12-34 или +7 912 345 67 89, а лучше на WhatsApp 79161112233.', 'RU', 5);
    expect(found.map((p) => p.phone)).toEqual(['+79165551234', '+79123456789', '+79161112233']);
    expect(found[0].input).toBe('8 (916) 555-12-34');
    expect(phonesInText('Call me: (415) 555-0199 or +1 512 555 0142', 'US', 5).map((p) => p.phone)).toEqual(['+14155550199', '+15125550142']);
  });

  it('does not take order numbers, dates, prices, IPs or bare digit runs', () => {
    const text = [
      'Заказ № 8 916 555 00 11 оплачен.',
      'Order #89161234567 shipped.',
      'Номер заказа: 89161234567',
      'Счёт 8 916 555 22 33 от 23.11.2026 09:15',
      'Итого: 8 916 111 22 33',
      'Цена 8 916 000 00 00 руб.',
      'Сумма 89 160 000 000 ₽',
      'Total $ 9161234567',
      'IP 203.0.113.7, date 2026-11-23, 23/11/2026',
      'ИНН 7707083893, ОГРН 1027700132195',
      'reference 89161234567',
    ].join('\n');
    expect(phonesInText(text, 'RU', 10)).toEqual([]);
  });
});
