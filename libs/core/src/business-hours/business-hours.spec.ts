import { addBusinessMinutes, businessMinutesBetween, isOpen, parseBusinessHours, subtractBusinessMinutes } from './business-hours';

const moscow = parseBusinessHours('Mon-Fri 09:00-19:00; Sat 10:00-16:00', 'Europe/Moscow', ['2026-12-31']);
// Europe/Moscow is UTC+3 all year.
const msk = (local: string) => new Date(`${local}+03:00`);

describe('business hours', () => {
  it('adds minutes inside opening hours', () => {
    expect(addBusinessMinutes(moscow, msk('2026-11-23T10:00:00'), 15)).toEqual(msk('2026-11-23T10:15:00'));
  });

  it('a lead at 23:00 is due 15 minutes after the next opening', () => {
    expect(addBusinessMinutes(moscow, msk('2026-11-23T23:00:00'), 15)).toEqual(msk('2026-11-24T09:15:00'));
  });

  it('stops the clock at closing: 18:55 + 15 min = 09:10 next working day', () => {
    expect(addBusinessMinutes(moscow, msk('2026-11-23T18:55:00'), 15)).toEqual(msk('2026-11-24T09:10:00'));
  });

  it('Friday evening rolls to Saturday opening, Saturday evening to Monday', () => {
    expect(addBusinessMinutes(moscow, msk('2026-11-27T20:00:00'), 15)).toEqual(msk('2026-11-28T10:15:00'));
    expect(addBusinessMinutes(moscow, msk('2026-11-28T17:00:00'), 15)).toEqual(msk('2026-11-30T09:15:00'));
  });

  it('skips holidays', () => {
    // 2026-12-31 is a Thursday and a holiday.
    expect(addBusinessMinutes(moscow, msk('2026-12-30T18:50:00'), 15)).toEqual(msk('2027-01-01T09:05:00'));
  });

  it('before opening the clock starts at opening', () => {
    expect(addBusinessMinutes(moscow, msk('2026-11-24T07:30:00'), 15)).toEqual(msk('2026-11-24T09:15:00'));
  });

  it('knows when it is open', () => {
    expect(isOpen(moscow, msk('2026-11-23T12:00:00'))).toBe(true);
    expect(isOpen(moscow, msk('2026-11-23T19:00:00'))).toBe(false);
    expect(isOpen(moscow, msk('2026-11-29T12:00:00'))).toBe(false); // Sunday
  });

  it('24/7 is plain wall-clock time', () => {
    const always = parseBusinessHours('24/7', 'UTC');
    expect(addBusinessMinutes(always, new Date('2026-11-23T23:00:00Z'), 15)).toEqual(new Date('2026-11-23T23:15:00Z'));
  });

  it('handles DST: New York opening after the November change', () => {
    const ny = parseBusinessHours('Mon-Fri 09:00-17:00', 'America/New_York');
    // Saturday 2026-10-31 → Monday 2026-11-02 09:00 EST (UTC-5) after DST ended on Nov 1.
    expect(addBusinessMinutes(ny, new Date('2026-10-31T12:00:00Z'), 15)).toEqual(new Date('2026-11-02T14:15:00Z'));
  });

  it('splits ranges within a day', () => {
    const lunch = parseBusinessHours('Mon-Fri 09:00-13:00,14:00-18:00', 'UTC');
    expect(addBusinessMinutes(lunch, new Date('2026-11-23T12:50:00Z'), 15)).toEqual(new Date('2026-11-23T14:05:00Z'));
  });

  it.each([
    ['Mon-Fri 9-19', /not like 09:00-19:00/],
    ['Funday 09:00-10:00', /not like|not a day/],
    ['Mon 19:00-09:00', /not a valid opening range/],
    ['Mon 09:00-25:00', /not a valid opening range/],
  ])('rejects %p', (spec, message) => {
    expect(() => parseBusinessHours(spec, 'UTC')).toThrow(message);
  });

  it('rejects bad timezones and holidays', () => {
    expect(() => parseBusinessHours('24/7', 'Mars/Olympus')).toThrow(/IANA/);
    expect(() => parseBusinessHours('24/7', 'UTC', ['31.12.2026'])).toThrow(/YYYY-MM-DD/);
  });

  describe('subtractBusinessMinutes', () => {
    it('subtracts inside opening hours', () => {
      expect(subtractBusinessMinutes(moscow, msk('2026-11-23T10:15:00'), 5)).toEqual(msk('2026-11-23T10:10:00'));
    });

    it('5 minutes before 09:02 is 3 minutes before the previous closing', () => {
      expect(subtractBusinessMinutes(moscow, msk('2026-11-24T09:02:00'), 5)).toEqual(msk('2026-11-23T18:57:00'));
    });

    it('from outside hours counts back from the last closing', () => {
      expect(subtractBusinessMinutes(moscow, msk('2026-11-23T23:00:00'), 10)).toEqual(msk('2026-11-23T18:50:00'));
      expect(subtractBusinessMinutes(moscow, msk('2026-11-24T09:00:00'), 10)).toEqual(msk('2026-11-23T18:50:00'));
    });

    it('Monday morning goes back to Saturday, skipping Sunday', () => {
      expect(subtractBusinessMinutes(moscow, msk('2026-11-30T09:01:00'), 5)).toEqual(msk('2026-11-28T15:56:00'));
    });

    it('skips holidays', () => {
      // 2026-12-31 (Thursday) is a holiday: Friday 09:01 − 5 min = Wednesday 18:56.
      expect(subtractBusinessMinutes(moscow, msk('2027-01-01T09:01:00'), 5)).toEqual(msk('2026-12-30T18:56:00'));
    });

    it('splits ranges within a day', () => {
      const lunch = parseBusinessHours('Mon-Fri 09:00-13:00,14:00-18:00', 'UTC');
      expect(subtractBusinessMinutes(lunch, new Date('2026-11-23T14:03:00Z'), 5)).toEqual(new Date('2026-11-23T12:58:00Z'));
    });

    it('is the inverse of addBusinessMinutes for instants inside opening hours', () => {
      const start = msk('2026-11-27T18:50:00');
      const end = addBusinessMinutes(moscow, start, 30);
      expect(end).toEqual(msk('2026-11-28T10:20:00'));
      expect(subtractBusinessMinutes(moscow, end, 30)).toEqual(start);
    });

    it('24/7 is plain wall-clock time', () => {
      const always = parseBusinessHours('24/7', 'UTC');
      expect(subtractBusinessMinutes(always, new Date('2026-11-23T00:02:00Z'), 5)).toEqual(new Date('2026-11-22T23:57:00Z'));
    });
  });

  describe('businessMinutesBetween', () => {
    it('counts only open time: 18:55 to 09:10 next working day is 15 minutes', () => {
      expect(businessMinutesBetween(moscow, msk('2026-11-23T18:55:00'), msk('2026-11-24T09:10:00'))).toBe(15);
    });

    it('is the inverse of addBusinessMinutes across a weekend and a holiday', () => {
      for (const [start, minutes] of [['2026-11-27T18:00:00', 150], ['2026-12-30T18:50:00', 15], ['2026-11-23T23:00:00', 15]] as const) {
        expect(businessMinutesBetween(moscow, msk(start), addBusinessMinutes(moscow, msk(start), minutes))).toBe(minutes);
      }
    });

    it('is 0 for an end before the start, wall-clock minutes when always open', () => {
      expect(businessMinutesBetween(moscow, msk('2026-11-23T12:00:00'), msk('2026-11-23T11:00:00'))).toBe(0);
      expect(businessMinutesBetween(parseBusinessHours('24/7', 'UTC'), new Date('2026-11-23T00:00:00Z'), new Date('2026-11-23T01:30:00Z'))).toBe(90);
    });
  });
});
