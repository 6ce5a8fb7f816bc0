import { describe, expect, it } from 'vitest';
import { formatCountdown } from './countdown';

const en = { day: 'd', hour: 'h', minute: 'min' };
const ru = { day: 'д', hour: 'ч', minute: 'мин' };

describe('formatCountdown', () => {
  it('ticks minutes and seconds under an hour', () => {
    expect(formatCountdown(14 * 60_000 + 59_400, en)).toEqual({ text: '14:59', overdue: false });
    expect(formatCountdown(5_000, en)).toEqual({ text: '0:05', overdue: false });
  });
  it('counts past the due time as overdue, with the same units', () => {
    expect(formatCountdown(-(3 * 60_000 + 21_000), en)).toEqual({ text: '3:21', overdue: true });
    expect(formatCountdown(-1, en).overdue).toBe(true);
  });
  it('uses hours and days in the UI language beyond an hour', () => {
    expect(formatCountdown(2 * 3_600_000 + 5 * 60_000, en).text).toBe('2 h 5 min');
    expect(formatCountdown(3 * 86_400_000 + 4 * 3_600_000, ru).text).toBe('3 д 4 ч');
    expect(formatCountdown(3_600_000, ru).text).toBe('1 ч');
  });
});
