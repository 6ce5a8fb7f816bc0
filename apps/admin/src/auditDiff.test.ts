import { describe, expect, it } from 'vitest';
import { auditDiff, showValue } from './auditDiff';

describe('auditDiff', () => {
  it('lists only the fields that changed, without updated_at', () => {
    const before = { id: '1', name: 'Anna', active: true, updated_at: 'a' };
    const after = { id: '1', name: 'Anna S', active: false, updated_at: 'b' };
    expect(auditDiff(before, after)).toEqual([
      { field: 'name', before: 'Anna', after: 'Anna S' },
      { field: 'active', before: true, after: false },
    ]);
  });

  it('shows every field of a created or deleted row on its side', () => {
    expect(auditDiff(null, { id: '1', name: 'X' })).toEqual([
      { field: 'id', before: undefined, after: '1' },
      { field: 'name', before: undefined, after: 'X' },
    ]);
    expect(auditDiff({ id: '1' }, null)).toEqual([{ field: 'id', before: '1', after: undefined }]);
    expect(auditDiff(null, null)).toEqual([]);
  });

  it('compares nested values and arrays of rows as a whole', () => {
    expect(auditDiff({ tags: ['a'] }, { tags: ['a'] })).toEqual([]);
    expect(auditDiff([{ id: 1, position: 0 }], [{ id: 1, position: 1 }])).toHaveLength(1);
  });

  it('shows values as one bounded line', () => {
    expect(showValue(undefined)).toBe('—');
    expect(showValue(null)).toBe('null');
    expect(showValue('x')).toBe('x');
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    expect(showValue('y'.repeat(300)).length).toBe(300);
    expect(showValue({ s: 'y'.repeat(300) }).length).toBe(200);
  });
});
