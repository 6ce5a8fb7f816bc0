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

/** Each answer is taken once; null when boot.js did not ask (or it was taken already). */
export function takeBoot<T>(key: keyof Boot): Promise<BootAnswer<T>> | null {
  const boot = (window as unknown as { __leadlineBoot?: Boot }).__leadlineBoot;
  const p = boot?.[key];
  if (!p) return null;
  delete boot[key];
  return p as Promise<BootAnswer<T>>;
}
