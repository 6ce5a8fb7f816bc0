/** Keys whose values never reach the audit log or an export: credentials and their hashes. */
const SECRET_KEY = /(password|passwd|secret|token|hash|api_?key|credential)/i;

export const REDACTED = '[redacted]';

/**
 * A copy of `value` with every secret-looking key's value replaced (at any depth). The key stays, so
 * the entry shows that a secret is set; whether it changed is said by the caller (e.g. the audit
 * interceptor's `passwordChanged`), never by the value.
 */
export function redactSecrets<T>(value: T): T {
  return walk(value, 0) as T;
}

function walk(value: unknown, depth: number): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // A boolean ("passwordChanged") says nothing about the secret itself.
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' && typeof v !== 'boolean' ? REDACTED : walk(v, depth + 1);
  }
  return out;
}
