/**
 * PostgreSQL text cannot hold NUL (22021 / 22P05 in jsonb) and UTF-8 cannot encode a lone UTF-16
 * surrogate; both arrive from pasted text, `%00` in forms and `\ud800` in JSON. Input is made valid
 * here, once, where it enters the core, so no later write can fail on it.
 */

const NUL = /\u0000/g;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** NUL removed, lone surrogates replaced by U+FFFD. */
export function toDatabaseText(value: string): string {
  return value.replace(NUL, '').replace(LONE_SURROGATE, '\ufffd');
}

/** True when `value` would be stored as given. */
export function isDatabaseText(value: string): boolean {
  NUL.lastIndex = 0;
  LONE_SURROGATE.lastIndex = 0;
  return !NUL.test(value) && !LONE_SURROGATE.test(value);
}

/**
 * The same cleaning over a JSON-like value: strings and object keys, recursively. Dates and other
 * class instances are kept as they are (events are JSON-serialisable, without cycles).
 */
export function sanitizeForDatabase<T>(value: T): T {
  return clean(value, 0) as T;
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return toDatabaseText(value);
  if (value === null || typeof value !== 'object') return value;
  // Deeper than any real payload (the HTTP layer refuses more than MAX_JSON_DEPTH; the raw payload
  // keeps the original): cut here, as JSON.stringify and jsonb would overflow their stacks on it.
  if (depth > 100) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  if (!isPlainContainer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[toDatabaseText(k)] = clean(v, depth + 1);
  return out;
}

/** Bodies nested deeper than this are refused with 400 at the HTTP layer; real payloads stay under 10. */
export const MAX_JSON_DEPTH = 64;

function isPlainContainer(v: unknown): v is object {
  if (!v || typeof v !== 'object') return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Nesting depth of a JSON-like value (a scalar is 0); stops counting past `limit`. */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > limit) return max;
    if (isPlainContainer(v)) for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * Bracket nesting of a JSON text without parsing it (bodies a route reads as text, such as Telegram
 * updates); brackets inside strings do not count. Stops counting past `limit`.
 */
export function jsonTextDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}
