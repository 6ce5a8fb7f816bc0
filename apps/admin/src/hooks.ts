import { useCallback, useEffect, useRef, useState } from 'react';

/** Loads data for a view; `reload` fetches again (after an action or a live event). */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: Error | null; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e instanceof Error ? e : new Error(String(e)));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export const NOTIFICATION_EVENT = 'leadline:notification';
/** The hub's data-less `inbox` ping: someone's inbox lists changed. */
export const INBOX_EVENT = 'leadline:inbox';
/**
 * The event stream (re)opened. The hub keeps no backlog for it, so whatever happened before (the first
 * page load races the stream's connect; a reconnect follows a dropped connection) is read again.
 */
export const STREAM_OPEN_EVENT = 'leadline:stream-open';

/** Runs `fn` whenever the hub pushes a notification (new lead, assignment, overdue task…) or the stream reopens. */
export function useLiveEvents(fn: () => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const handler = () => ref.current();
    window.addEventListener(NOTIFICATION_EVENT, handler);
    window.addEventListener(STREAM_OPEN_EVENT, handler);
    return () => {
      window.removeEventListener(NOTIFICATION_EVENT, handler);
      window.removeEventListener(STREAM_OPEN_EVENT, handler);
    };
  }, []);
}
