/**
 * `INSERT … SELECT … FROM jsonb_to_recordset($n)`: any number of rows as one JSON parameter, so a
 * batch of timeline entries or outbox messages is one statement (one database round trip).
 */
export type ColumnTypes = Record<string, string>;

/** `select`: an SQL expression per column to use instead of the JSON value (e.g. a default in database time). */
export function insertFromJson(table: string, columns: ColumnTypes, param: number, select: Record<string, string> = {}): string {
  const names = Object.keys(columns);
  const defs = names.map((c) => `${c} ${columns[c]}`).join(', ');
  const values = names.map((c) => select[c] ?? c).join(', ');
  return `INSERT INTO ${table} (${names.join(', ')}) SELECT ${values} FROM jsonb_to_recordset($${param}::jsonb) AS x(${defs})`;
}

export const ACTIVITY_COLUMNS: ColumnTypes = {
  id: 'uuid',
  contact_id: 'uuid',
  deal_id: 'uuid',
  kind: 'text',
  channel: 'text',
  actor_id: 'uuid',
  occurred_at: 'timestamptz',
  payload: 'jsonb',
};

export const OUTBOX_COLUMNS: ColumnTypes = { kind: 'text', payload: 'jsonb', next_attempt_at: 'timestamptz' };
