import { describe, expect, it } from 'vitest';
import { readCookie } from './api';
import { appendPage, mergeNewest, boardStages, DEFAULT_STAGES, dueState, formatDuration, isLostStage, leadFields, leadUtm } from './format';

describe('format helpers', () => {
  it('formats call durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(null)).toBe('0:00');
  });

  it('tells overdue, today and later apart', () => {
    const now = new Date(2026, 10, 23, 12, 0, 0);
    expect(dueState(new Date(2026, 10, 23, 11, 59).toISOString(), now)).toBe('overdue');
    expect(dueState(new Date(2026, 10, 23, 18, 0).toISOString(), now)).toBe('today');
    expect(dueState(new Date(2026, 10, 24, 9, 0).toISOString(), now)).toBe('later');
  });

  it('appends a page without repeating entries already shown', () => {
    expect(appendPage([{ id: 'a' }, { id: 'b' }], [{ id: 'b' }, { id: 'c' }]).map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });

  it('puts a refreshed first page on top of the pages scrolled in so far', () => {
    const shown = [{ id: 'c', v: 1 }, { id: 'b', v: 1 }, { id: 'a', v: 1 }];
    expect(mergeNewest(shown, [{ id: 'd', v: 2 }, { id: 'c', v: 2 }])).toEqual([{ id: 'd', v: 2 }, { id: 'c', v: 2 }, { id: 'b', v: 1 }, { id: 'a', v: 1 }]);
    expect(mergeNewest(null, [{ id: 'x', v: 1 }])).toEqual([{ id: 'x', v: 1 }]);
    // Nothing in common (a long gap): the fresh page alone, its cursor continues from there.
    expect(mergeNewest(shown, [{ id: 'z', v: 1 }])).toEqual([{ id: 'z', v: 1 }]);
  });

  it('uses the default pipeline, sorted, and falls back to the built-in stages', () => {
    expect(boardStages(null)).toBe(DEFAULT_STAGES);
    expect(boardStages([])).toBe(DEFAULT_STAGES);
    const stages = boardStages([
      { id: 'p2', name: 'Other', isDefault: false, stages: [{ key: 'x', name: 'X', position: 0, kind: 'open' }] },
      {
        id: 'p1',
        name: 'Sales',
        isDefault: true,
        stages: [
          { key: 'closed_bad', name: 'Nope', position: 2, kind: 'lost' },
          { key: 'fresh', name: 'Fresh', position: 0, kind: 'open' },
        ],
      },
    ]);
    expect(stages.map((s) => s.key)).toEqual(['fresh', 'closed_bad']);
    expect(isLostStage(stages[1])).toBe(true);
    expect(isLostStage(stages[0])).toBe(false);
  });

  it('reads form fields and UTM tags from a lead payload', () => {
    const payload = { fields: { city: 'Tashkent', n: 3 }, source: { utm: { source: 'google', campaign: 'brand' } } };
    expect(leadFields(payload)).toEqual([
      ['city', 'Tashkent'],
      ['n', '3'],
    ]);
    expect(leadUtm(payload)).toEqual([
      ['utm_source', 'google'],
      ['utm_campaign', 'brand'],
    ]);
    expect(leadFields({})).toEqual([]);
  });

  it('reads one cookie out of document.cookie', () => {
    expect(readCookie('leadline_csrf', 'a=1; leadline_csrf=abc-_1; b=2')).toBe('abc-_1');
    expect(readCookie('missing', 'a=1')).toBeNull();
  });
});
