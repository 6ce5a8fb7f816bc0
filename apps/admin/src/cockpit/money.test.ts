import { describe, expect, it } from 'vitest';
import { formatMoney, sumByCurrency } from './money';

describe('money', () => {
  it('formats by the UI language and currency', () => {
    expect(formatMoney('1500.50', 'RUB', 'ru').replace(/\s/g, ' ')).toBe('1 500,50 ₽');
    expect(formatMoney('1500', 'USD', 'en')).toBe('US$1,500');
    expect(formatMoney('1500', null, 'en')).toBe('1,500');
    expect(formatMoney(null, 'RUB', 'en')).toBe('');
  });
  it('never adds different currencies', () => {
    expect(sumByCurrency([{ amount: '10', currency: 'RUB' }, { amount: '5.5', currency: 'RUB' }, { amount: '3', currency: 'USD' }, { amount: null, currency: 'EUR' }])).toEqual([
      ['RUB', 15.5],
      ['USD', 3],
    ]);
  });
});
