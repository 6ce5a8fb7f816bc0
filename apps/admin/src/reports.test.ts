import { describe, expect, it } from 'vitest';
import { barLength, duration, EMPTY_FILTERS, percent, reportUrl, sharePoints } from './reports';

describe('reports', () => {
  it('builds report URLs with only the set filters, and the CSV variant', () => {
    expect(reportUrl('sources', EMPTY_FILTERS)).toBe('/api/reports/sources');
    const f = { ...EMPTY_FILTERS, from: '2026-01-01', to: '2026-01-31', channel: 'phone', pipelineId: 'p1' };
    expect(reportUrl('funnel', f)).toBe('/api/reports/funnel?from=2026-01-01&to=2026-01-31&channel=phone&pipelineId=p1');
    // Only the funnel takes a pipeline.
    expect(reportUrl('sla', f, true)).toBe('/api/reports/sla?from=2026-01-01&to=2026-01-31&channel=phone&format=csv');
    expect(reportUrl('managers', { ...EMPTY_FILTERS, ownerId: 'u 1' }, true)).toBe('/api/reports/managers?ownerId=u+1&format=csv');
  });

  it('scales bars against the largest value', () => {
    expect(barLength(5, 10, 200)).toBe(100);
    expect(barLength(10, 10, 200)).toBe(200);
    expect(barLength(0, 10, 200)).toBe(0);
    expect(barLength(3, 0, 200)).toBe(0);
    expect(barLength(1, 100000, 200)).toBe(1);
    expect(barLength(20, 10, 200)).toBe(200);
  });

  it('formats shares and durations', () => {
    expect(percent(null)).toBe('—');
    expect(percent(0)).toBe('0%');
    expect(percent(0.05)).toBe('5.0%');
    expect(percent(0.4567)).toBe('46%');
    expect(percent(1)).toBe('100%');
    expect(duration(null)).toBe('—');
    expect(duration(42.4)).toBe('42s');
    expect(duration(185)).toBe('3m 05s');
    expect(duration(7800)).toBe('2h 10m');
  });

  it('plots daily shares, skipping days without leads', () => {
    expect(sharePoints([1, null, 0, 0.5], 300, 100)).toEqual([
      { x: 0, y: 0, i: 0 },
      { x: 200, y: 100, i: 2 },
      { x: 300, y: 50, i: 3 },
    ]);
    expect(sharePoints([0.25], 300, 100)).toEqual([{ x: 0, y: 75, i: 0 }]);
  });
});
