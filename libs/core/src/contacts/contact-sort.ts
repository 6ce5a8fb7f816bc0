import type { SqlParams } from '../database/sql-params';
import { DomainError } from '../errors/domain-error';

/** How the contacts list can be ordered; `activity` (newest first) is the default. */
export const CONTACT_SORTS = ['activity', 'created', 'name'] as const;
export type ContactSort = (typeof CONTACT_SORTS)[number];
export type SortOrder = 'asc' | 'desc';

/**
 * The SQL key of each sort, and the same key as text for the cursor (the database writes it, so the
 * cursor holds exactly the stored value). Names compare case-insensitively in code-point order
 * ("C"), so PostgreSQL and PGlite page the same way whatever their locale; the id breaks ties.
 */
const KEYS: Record<ContactSort, { expr: string; text: string; cast: string }> = {
  activity: { expr: 'c.last_activity_at', text: `to_char(c.last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, cast: 'timestamptz' },
  created: { expr: 'c.created_at', text: `to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, cast: 'timestamptz' },
  name: { expr: `(lower(coalesce(c.name, '')) COLLATE "C")`, text: `lower(coalesce(c.name, ''))`, cast: 'text' },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

interface SortCursor {
  /** The sort the cursor was made for: a cursor is only valid under the same sort and order. */
  s: string;
  v: string;
  id: string;
}

export interface ContactOrdering {
  /** The key as text, selected as `sort_key` for the next cursor. */
  keyText: string;
  orderBy: string;
  /** The keyset condition after `cursor`, with its parameters added to `params`; null without a cursor. */
  after(cursor: string | undefined, params: SqlParams): string | null;
  cursorFor(row: { sort_key: string; id: string }): string;
}

export function contactOrdering(sort: ContactSort = 'activity', order: SortOrder = sort === 'name' ? 'asc' : 'desc'): ContactOrdering {
  const key = KEYS[sort];
  const tag = `${sort}:${order}`;
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  return {
    keyText: key.text,
    orderBy: `${key.expr} ${dir}, c.id ${dir}`,
    after(cursor, params) {
      if (!cursor) return null;
      const c = decode(cursor);
      if (c.s !== tag || (key.cast === 'timestamptz' && !INSTANT.test(c.v))) {
        throw DomainError.invalid('invalid cursor', { cursor: 'made for another sort; start from the first page' });
      }
      const v = params.add(c.v);
      const value = key.cast === 'text' ? `(${v}::text COLLATE "C")` : `${v}::timestamptz`;
      return `(${key.expr}, c.id) ${order === 'asc' ? '>' : '<'} (${value}, ${params.add(c.id)}::uuid)`;
    },
    cursorFor(row) {
      const c: SortCursor = { s: tag, v: row.sort_key, id: row.id };
      return Buffer.from(JSON.stringify(c)).toString('base64url');
    },
  };
}

/** Accepts exactly what cursorFor produces, so a tampered cursor is a 400, never a failed SQL cast. */
function decode(cursor: string): SortCursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof c?.s === 'string' && typeof c?.v === 'string' && c.v.length <= 1000 && typeof c?.id === 'string' && UUID.test(c.id)) return c;
  } catch {
    // fall through to the error below
  }
  throw DomainError.invalid('invalid cursor', { cursor: 'not a cursor returned by this API' });
}
