/** One answer public/boot.js fetched before the app's script ran, with when it was asked and answered. */
export interface BootAnswer<T> {
  value: T;
  /** Date.now() when the request went out and when its answer's headers came. */
  sent: number;
  received: number;
}

interface Boot {
  me?: Promise<BootAnswer<unknown>>;
  inbox?: Promise<BootAnswer<unknown>>;
}

/**
 * Each answer is taken once; null when boot.js did not ask (or it was taken already).
 *
 * boot.js loads async and may run after the app started. The first call leaves an empty mark when
 * boot.js has not run yet, so that boot.js asks nothing: an answer it fetched later would be taken by
 * some later read as if it were fresh, and that read would show the lists as they were before it.
 */
export function takeBoot<T>(key: keyof Boot): Promise<BootAnswer<T>> | null {
  const w = window as unknown as { __leadlineBoot?: Boot };
  const boot = (w.__leadlineBoot ??= {});
  const p = boot[key];
  if (!p) return null;
  delete boot[key];
  return p as Promise<BootAnswer<T>>;
}
