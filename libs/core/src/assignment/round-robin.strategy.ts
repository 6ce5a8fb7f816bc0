/**
 * Weighted round robin driven by a shared counter (a database sequence). The n-th pick takes slot
 * n mod W (W = sum of weights) of the smooth weighted sequence (the nginx algorithm: A A B A for
 * weights 3:1, not A A A B). Consecutive counter values give every candidate exactly its weight's
 * share, and concurrent intakes each draw their own counter value, so no lock is held while a
 * transaction runs and picks stay fair under any concurrency.
 */
export interface RoundRobinCandidate {
  id: string;
  weight: number;
}

const sequences = new Map<string, number[]>();

/** Candidate indexes in smooth weighted order, one full cycle (length = sum of weights). */
export function smoothWeightedCycle(weights: number[]): number[] {
  const key = weights.join(',');
  const cached = sequences.get(key);
  if (cached) return cached;
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const cycle: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i] += weights[i];
      // Ties go to the earlier candidate; callers pass a stable order (by id).
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    cycle.push(best);
  }
  if (sequences.size > 1000) sequences.clear();
  sequences.set(key, cycle);
  return cycle;
}

/** The candidate for counter value `counter`, or null when there is none. */
export function pickByCounter<T extends RoundRobinCandidate>(candidates: T[], counter: number | bigint): T | null {
  if (candidates.length === 0) return null;
  const weights = candidates.map((c) => Math.max(1, Math.floor(c.weight)));
  const cycle = smoothWeightedCycle(weights);
  const slot = Number(BigInt(counter) % BigInt(cycle.length));
  return candidates[cycle[slot]];
}
