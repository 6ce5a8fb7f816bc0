import { pickByCounter, smoothWeightedCycle } from './round-robin.strategy';

const picks = (weights: Record<string, number>, from: number, count: number): string[] => {
  const candidates = Object.entries(weights).map(([id, weight]) => ({ id, weight }));
  return Array.from({ length: count }, (_, i) => pickByCounter(candidates, from + i)!.id);
};

describe('weighted round robin by counter', () => {
  it('rotates equal managers in turn', () => {
    expect(picks({ a: 1, b: 1, c: 1 }, 0, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('interleaves by weight (smooth), not in blocks', () => {
    expect(smoothWeightedCycle([5, 1, 1])).toEqual([0, 0, 1, 0, 2, 0, 0]);
    expect(picks({ a: 3, b: 1 }, 0, 4)).toEqual(['a', 'a', 'b', 'a']);
  });

  it('gives every window of consecutive counter values exact shares, wherever it starts', () => {
    for (const start of [0, 1, 7, 1_000_003]) {
      const p = picks({ a: 2, b: 1, c: 1 }, start, 400);
      expect(p.filter((x) => x === 'a')).toHaveLength(200);
      expect(p.filter((x) => x === 'b')).toHaveLength(100);
      expect(p.filter((x) => x === 'c')).toHaveLength(100);
    }
  });

  it('accepts bigint counters from the database', () => {
    expect(pickByCounter([{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }], 9_007_199_254_740_993n)!.id).toBe('b');
  });

  it('returns null with nobody to pick', () => {
    expect(pickByCounter([], 1)).toBeNull();
  });
});
