import { useRef, useState } from 'react';

/**
 * Runs an admin action, keeps its error for display and reloads the list after it. Only the latest
 * action decides what is shown: an earlier one that finishes late (its answer was slow) must not wipe
 * the error of the edit the admin made after it.
 */
export function useAction(after: () => void): [(fn: () => Promise<unknown>) => Promise<void>, unknown] {
  const [error, setError] = useState<unknown>(null);
  const latest = useRef(0);
  const run = async (fn: () => Promise<unknown>) => {
    const mine = ++latest.current;
    try {
      await fn();
      if (mine === latest.current) setError(null);
    } catch (err) {
      if (mine === latest.current) setError(err);
    }
    after();
  };
  return [run, error];
}
