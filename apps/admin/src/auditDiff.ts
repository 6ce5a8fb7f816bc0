/** One changed field of an audited row: its value before and after (undefined = absent). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

const IGNORED = new Set(['updated_at']);

/**
 * The fields that differ between an audit entry's `before` and `after` rows (a create: every field of
 * `after`; a delete: every field of `before`), in field order, bookkeeping columns left out. Arrays
 * of rows (a pipeline's stages) compare as a whole.
 */
export function auditDiff(before: unknown, after: unknown): FieldChange[] {
  const b = asRecord(before);
  const a = asRecord(after);
  if (!b && !a) return [];
  if (!b || !a) {
    const only = (a ?? b)!;
    return Object.keys(only)
      .filter((k) => !IGNORED.has(k))
      .map((field) => ({ field, before: b ? only[field] : undefined, after: a ? only[field] : undefined }));
  }
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !IGNORED.has(k));
  return fields.filter((f) => JSON.stringify(b[f]) !== JSON.stringify(a[f])).map((field) => ({ field, before: b[field], after: a[field] }));
}

function asRecord(v: unknown): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return { rows: v };
  if (typeof v === 'object') return v as Record<string, unknown>;
  return { value: v };
}

/** A field value as one short line for the table. */
export function showValue(v: unknown): string {
  if (v === undefined) return '—';
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  const json = JSON.stringify(v);
  return json.length > 200 ? `${json.slice(0, 199)}…` : json;
}
