/**
 * Smooth weighted round robin (the nginx algorithm): every candidate gains its weight, the one
 * with the highest running score wins and pays back the total. Over any window the picks are
 * proportional to the weights and interleaved (A B A C, not A A B C). The running scores are
 * persisted per manager so the rotation survives restarts and is shared by all hub processes.
 */
export interface RoundRobinCandidate {
  id: string;
  weight: number;
  current: number;
}

export interface RoundRobinPick {
  chosenId: string;
  /** New running score for every candidate (persist all of them). */
  scores: Map<string, number>;
}

export function pickSmoothWeighted(candidates: RoundRobinCandidate[]): RoundRobinPick | null {
  if (candidates.length === 0) return null;
  let total = 0;
  let best: { id: string; score: number } | null = null;
  const scores = new Map<string, number>();
  for (const c of candidates) {
    const weight = Math.max(1, Math.floor(c.weight));
    const score = c.current + weight;
    total += weight;
    scores.set(c.id, score);
    // Ties go to the earlier candidate; callers pass a stable order (by id).
    if (!best || score > best.score) best = { id: c.id, score };
  }
  scores.set(best!.id, best!.score - total);
  return { chosenId: best!.id, scores };
}
