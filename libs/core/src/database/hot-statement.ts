/**
 * Marks a statement the hub runs for every lead (the intake transaction). On PostgreSQL the driver keeps
 * such statements prepared per connection (a named statement: parsed and planned once, then only bound
 * and executed), which is most of the database's CPU per lead for the big intake statements; every
 * other statement is sent unnamed and planned each time, as before. The mark is an SQL comment, so any
 * driver that ignores it (PGlite, pgbench, psql) runs the statement unchanged.
 *
 * Only for statements with a bounded number of texts (a fixed text, or one built from a few fixed
 * parts): each distinct text is one prepared statement on every pooled connection.
 */
export const HOT_STATEMENT_MARK = '/* leadline:hot */ ';

export function hot(sql: string): string {
  return HOT_STATEMENT_MARK + sql;
}

export function isHot(sql: string): boolean {
  return sql.startsWith(HOT_STATEMENT_MARK);
}
