import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, type InboxView } from '../api';
import { takeBoot, type BootAnswer } from '../boot';
import { INBOX_EVENT, NOTIFICATION_EVENT, STREAM_OPEN_EVENT } from '../hooks';

interface InboxState {
  data: InboxView | undefined;
  error: Error | null;
  reload: () => void;
  /** Server time minus client time: countdowns run on the hub's clock, not a skewed phone's. */
  skewMs: number;
  /** Leads waiting for someone to act: unassigned, mine, overdue (each deal once). */
  count: number;
}

const InboxContext = createContext<InboxState | null>(null);

// A burst of events (ten leads in a second) becomes one read, at most one per this interval; a steady
// stream of changes never holds the reads off.
const DEBOUNCE_MS = 250;
// Catches what no event announces (a stream that reconnected after missing some).
const REFRESH_MS = 60_000;

/** Loads the inbox once for the whole app and keeps it live; the count goes into the tab title. */
export function InboxProvider({ children, title }: { children: ReactNode; title: string }) {
  const [data, setData] = useState<InboxView | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [skewMs, setSkew] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const inFlight = useRef(0);

  const load = useCallback(async () => {
    const seq = ++inFlight.current;
    const sent = Date.now();
    // The first answer may already be here (public/boot.js asked before the app's script ran); when it
    // failed (not logged in then) the inbox is asked for again. Only the first read may take it: every
    // later one answers an event, and must see what the hub holds now.
    const boot = seq === 1 ? takeBoot<InboxView>('inbox') : null;
    try {
      const answer = await (boot ? boot.catch(() => timed(sent, api<InboxView>('/api/inbox'))) : timed(sent, api<InboxView>('/api/inbox')));
      if (seq !== inFlight.current) return; // a newer answer is on its way
      const view = answer.value;
      // The hub's clock at the middle of the round trip (a prefetched answer knows its own round trip).
      setSkew(new Date(view.now).getTime() - (answer.sent + answer.received) / 2);
      setData(view);
      setError(null);
    } catch (err) {
      if (seq === inFlight.current) setError(err instanceof Error ? err : new Error(String(err)));
    }
  }, []);
  const reload = useCallback(() => {
    // A read is already due: it starts after this change committed, so it will show it too.
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void load();
    }, DEBOUNCE_MS);
  }, [load]);

  useEffect(() => {
    void load();
    window.addEventListener(NOTIFICATION_EVENT, reload);
    window.addEventListener(INBOX_EVENT, reload);
    window.addEventListener(STREAM_OPEN_EVENT, reload);
    const every = setInterval(() => void load(), REFRESH_MS);
    return () => {
      window.removeEventListener(NOTIFICATION_EVENT, reload);
      window.removeEventListener(INBOX_EVENT, reload);
      window.removeEventListener(STREAM_OPEN_EVENT, reload);
      clearInterval(every);
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [load, reload]);

  const count = data ? new Set([...data.queue, ...data.mine, ...data.overdue].map((i) => i.dealId)).size : 0;
  useEffect(() => {
    document.title = count > 0 ? `(${count}) ${title}` : title;
  }, [count, title]);

  return <InboxContext.Provider value={{ data, error, reload, skewMs, count }}>{children}</InboxContext.Provider>;
}

async function timed<T>(sent: number, answer: Promise<T>): Promise<BootAnswer<T>> {
  const value = await answer;
  return { value, sent, received: Date.now() };
}

export function useInbox(): InboxState {
  const ctx = useContext(InboxContext);
  if (!ctx) throw new Error('useInbox outside InboxProvider');
  return ctx;
}
