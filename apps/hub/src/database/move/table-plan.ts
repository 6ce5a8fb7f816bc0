/** Query function of one database session: SQL and parameters in, rows out. */
export type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface ForeignKeyEdge {
  table: string;
  column: string;
  references: string;
}

export interface TablePlan {
  name: string;
  /** Columns to copy (generated columns are left to the database). */
  columns: string[];
  /** Columns of the primary key (self-referencing rows are matched by it). */
  key: string[];
  /** Columns referring to the same table: copied as NULL, then set once every row is there. */
  selfReferences: string[];
  hasIdentity: boolean;
}

export const quoteIdent = (ident: string): string => `"${ident.replace(/"/g, '""')}"`;

/** Tables of the current schema, parents before children (foreign keys), TypeORM's ledger left out. */
export async function planTables(q: Query, skip: readonly string[] = ['migrations', 'typeorm_metadata']): Promise<TablePlan[]> {
  const tables = (await q<{ name: string }>(`SELECT c.relname AS name FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace ORDER BY c.relname`))
    .map((r) => r.name)
    .filter((t) => !skip.includes(t));
  const edges = await q<ForeignKeyEdge>(
    `SELECT cl.relname AS table, a.attname AS column, p.relname AS references
       FROM pg_constraint c
       JOIN pg_class cl ON cl.oid = c.conrelid
       JOIN pg_class p ON p.oid = c.confrelid
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
      WHERE c.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace`,
  );
  const plans: TablePlan[] = [];
  for (const name of orderByDependencies(tables, edges)) {
    const cols = await q<{ name: string; generated: string; identity: string }>(
      `SELECT attname AS name, attgenerated AS generated, attidentity AS identity FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [quoteIdent(name)],
    );
    const key = await q<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [quoteIdent(name)],
    );
    const columns = cols.filter((c) => !c.generated).map((c) => c.name);
    plans.push({
      name,
      columns,
      key: key.length ? key.map((k) => k.name) : columns,
      selfReferences: [...new Set(edges.filter((e) => e.table === name && e.references === name).map((e) => e.column))],
      hasIdentity: cols.some((c) => c.identity === 'a'),
    });
  }
  return plans;
}

/** Topological order (a table after the tables it refers to); self-references do not count. */
export function orderByDependencies(tables: string[], edges: ForeignKeyEdge[]): string[] {
  const deps = new Map(tables.map((t) => [t, new Set(edges.filter((e) => e.table === t && e.references !== t && tables.includes(e.references)).map((e) => e.references))]));
  const out: string[] = [];
  const done = new Set<string>();
  while (out.length < tables.length) {
    const ready = tables.filter((t) => !done.has(t) && [...deps.get(t)!].every((d) => done.has(d)));
    if (!ready.length) throw new Error(`circular foreign keys between ${tables.filter((t) => !done.has(t)).join(', ')}`);
    for (const t of ready) {
      done.add(t);
      out.push(t);
    }
  }
  return out;
}

/** Row count and an order-independent checksum of a table's content (rows as canonical JSON). */
export async function tableFingerprint(q: Query, table: string): Promise<{ rows: number; checksum: string }> {
  const [r] = await q<{ rows: string; checksum: string | null }>(
    `SELECT count(*) AS rows, md5(COALESCE(string_agg(h, '' ORDER BY h), '')) AS checksum
       FROM (SELECT md5(to_jsonb(t)::text) AS h FROM ${quoteIdent(table)} t) x`,
  );
  return { rows: Number(r.rows), checksum: r.checksum ?? '' };
}

export interface SequenceState {
  name: string;
  lastValue: string;
  isCalled: boolean;
}

/** Sequences of the current schema with their position (the round-robin turn is one). */
export async function readSequences(q: Query): Promise<SequenceState[]> {
  const names = await q<{ name: string }>(`SELECT relname AS name FROM pg_class WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace ORDER BY relname`);
  const out: SequenceState[] = [];
  for (const { name } of names) {
    const [s] = await q<{ last_value: string; is_called: boolean }>(`SELECT last_value::text AS last_value, is_called FROM ${quoteIdent(name)}`);
    out.push({ name, lastValue: s.last_value, isCalled: s.is_called });
  }
  return out;
}
