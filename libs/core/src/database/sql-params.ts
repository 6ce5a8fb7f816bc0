/**
 * Positional parameters for SQL built from optional parts (filters, cursors, partial updates): each
 * value is added once and answered by its `$n` placeholder, so the numbering and the params array can
 * never disagree. `values` is the array to pass to the query; helpers that push to a plain params
 * array (contactScopeSql, cursor orderings) take it as it is.
 */
export class SqlParams {
  readonly values: unknown[];

  constructor(initial: readonly unknown[] = []) {
    this.values = [...initial];
  }

  /** Adds a value; answers its placeholder (`$3`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** The placeholder the next added value will get (for SQL written before the value is known). */
  get next(): string {
    return `$${this.values.length + 1}`;
  }
}

/** `WHERE a AND b` of the conditions that are set, or '' when none is. */
export function whereClause(conditions: ReadonlyArray<string | null | undefined | false>): string {
  const set = conditions.filter((c): c is string => typeof c === 'string' && c.length > 0);
  return set.length ? `WHERE ${set.join(' AND ')}` : '';
}

/**
 * `col = $n, …` for the columns whose value is not undefined (null is a value: it clears the column).
 * Column names come from the caller's code, never from input.
 */
export function setClause(params: SqlParams, columns: Readonly<Record<string, unknown>>): string {
  return Object.entries(columns)
    .filter(([, value]) => value !== undefined)
    .map(([column, value]) => `${column} = ${params.add(value)}`)
    .join(', ');
}
