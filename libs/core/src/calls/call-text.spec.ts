import { callText, formatDuration, formatPhoneForPeople, localClock, localDueTime } from './call-text';

describe('call texts', () => {
  it('formats durations, numbers and clock times for people', () => {
    expect(formatDuration(192)).toBe('3:12');
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatPhoneForPeople('+79991234567')).toBe('+7 999 123 45 67');
    expect(formatPhoneForPeople(null)).toBe('a withheld number');
    expect(localClock(new Date('2026-11-23T11:32:00Z'), 'Europe/Moscow')).toBe('14:32');
  });

  it('describes calls as the timeline shows them', () => {
    expect(callText({ direction: 'inbound', answered: true, managerName: 'Anna', durationSeconds: 192, status: 'completed' })).toBe('incoming call, answered by Anna, 3:12');
    expect(callText({ direction: 'inbound', answered: false, managerName: null, durationSeconds: 0, status: 'no-answer', attempt: 1 })).toBe('missed call');
    expect(callText({ direction: 'inbound', answered: false, managerName: null, durationSeconds: 0, status: 'busy', attempt: 3 })).toBe('missed call (attempt 3)');
    expect(callText({ direction: 'outbound', answered: true, managerName: 'Boris', durationSeconds: 45, status: 'completed' })).toBe('outgoing call by Boris, 0:45');
    expect(callText({ direction: 'outbound', answered: false, managerName: 'Boris', durationSeconds: 0, status: 'busy' })).toBe('outgoing call by Boris, busy');
  });
});

describe('due times in notices', () => {
  it('gives the clock alone when the due time is today for the recipient, the day as well otherwise', () => {
    const now = new Date('2026-12-06T10:00:00Z'); // Sunday 13:00 in Moscow
    expect(localDueTime(new Date('2026-12-06T14:15:00Z'), now, 'Europe/Moscow')).toBe('17:15');
    expect(localDueTime(new Date('2026-12-08T06:15:00Z'), now, 'Europe/Moscow')).toBe('Tue 8 Dec 09:15');
    // 22:30 UTC on the 6th is already the 7th in Moscow: another day for a Moscow recipient, today in London.
    expect(localDueTime(new Date('2026-12-06T22:30:00Z'), now, 'Europe/Moscow')).toBe('Mon 7 Dec 01:30');
    expect(localDueTime(new Date('2026-12-06T22:30:00Z'), now, 'Europe/London')).toBe('22:30');
    expect(localDueTime(new Date('2026-09-08T06:15:00Z'), now, 'Europe/Moscow')).toBe('Tue 8 Sep 09:15');
  });
});
