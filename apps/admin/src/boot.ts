/** What public/boot.js fetched before the app's script ran; each answer is taken once. */
interface Boot {
  me?: Promise<unknown>;
  inbox?: Promise<unknown>;
}

export function takeBoot<T>(key: keyof Boot): Promise<T> | null {
  const boot = (window as unknown as { __leadlineBoot?: Boot }).__leadlineBoot;
  const p = boot?.[key];
  if (!p) return null;
  delete boot[key];
  return p as Promise<T>;
}
