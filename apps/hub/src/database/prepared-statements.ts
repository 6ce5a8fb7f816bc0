import { isHot } from '@leadline/core';
import { createHash } from 'node:crypto';
import { Client, type QueryConfig } from 'pg';

/**
 * The pg client of the hub's pool on PostgreSQL. Statements marked hot (see libs/core's hot-statement)
 * go out as named statements, so PostgreSQL parses and plans each of them once per connection instead
 * of on every lead; node-pg remembers per connection which names it has prepared. The name is derived
 * from the text, so two texts never share a name. DB_PREPARED_STATEMENTS=false turns it off (a pooler
 * in transaction mode, e.g. PgBouncer before 1.21, cannot keep named statements across transactions).
 */
export class HotStatementClient extends Client {
  // node-pg's query() has many overloads; TypeORM calls query(text, values, callback).
  override query(...args: unknown[]): never {
    const [first, values, callback] = args;
    if (typeof first === 'string' && isHot(first)) {
      const config: QueryConfig = { name: statementName(first), text: first };
      return (super.query as (...a: unknown[]) => never)(config, values, callback);
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `ll_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}
