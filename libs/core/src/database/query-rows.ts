import { returnedRows } from './returned-rows';

/**
 * What runs SQL: the DataSource, or the EntityManager of a transaction. TypeORM types `query` as
 * `Promise<any>`; every read in libs/core goes through the functions below instead, so a row is a
 * declared interface and a misspelt column fails the type check instead of reading `undefined`.
 */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** The rows of a SELECT (or INSERT … RETURNING), typed as the caller's row interface. */
export async function queryRows<T>(db: Queryable, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  return (await db.query(sql, [...params])) as T[];
}

/** The first row, or null when there is none. */
export async function queryRow<T>(db: Queryable, sql: string, params: readonly unknown[] = []): Promise<T | null> {
  const [row] = await queryRows<T>(db, sql, params);
  return row ?? null;
}

/**
 * The rows an UPDATE/DELETE … RETURNING answers (node-postgres wraps them as [rows, count], PGlite
 * does not; see returnedRows). Statements without RETURNING answer [].
 */
export async function mutateRows<T>(db: Queryable, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  return returnedRows<T>(await db.query(sql, [...params]));
}

/** Runs a statement whose result nobody reads (INSERT/UPDATE/DELETE without RETURNING, locks). */
export async function execute(db: Queryable, sql: string, params: readonly unknown[] = []): Promise<void> {
  await db.query(sql, [...params]);
}
