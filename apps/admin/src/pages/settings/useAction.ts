import { useState } from 'react';

/** Runs an admin action, keeps its error for display and reloads the list after it. */
export function useAction(after: () => void): [(fn: () => Promise<unknown>) => Promise<void>, unknown] {
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
    } catch (err) {
      setError(err);
    }
    after();
  };
  return [run, error];
}
