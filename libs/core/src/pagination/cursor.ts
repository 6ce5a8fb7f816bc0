import { DomainError } from '../errors/domain-error';

/** Keyset position for "newest first" lists: (timestamp, id), opaque to clients. */
export interface Cursor {
  at: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(at: Date | string, id: string): string {
  return Buffer.from(JSON.stringify({ at: new Date(at).toISOString(), id })).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Accepts exactly what encodeCursor produces, so a tampered cursor is a 400, never a failed SQL cast. */
export function decodeCursor(cursor: string | undefined | null): Cursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof c?.at === 'string' && typeof c?.id === 'string' && UUID.test(c.id)) {
      const at = new Date(c.at);
      const year = at.getUTCFullYear();
      if (!Number.isNaN(at.getTime()) && at.toISOString() === c.at && year >= 1 && year <= 9999) return { at: c.at, id: c.id };
    }
  } catch {
    // fall through to the error below
  }
  throw DomainError.invalid('invalid cursor', { cursor: 'not a cursor returned by this API' });
}

export function clampLimit(limit: number | undefined, max = 100, fallback = 50): number {
  if (!limit || !Number.isFinite(limit)) return fallback;
  return Math.min(Math.max(1, Math.floor(limit)), max);
}
