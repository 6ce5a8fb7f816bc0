import { isDatabaseText, jsonDepth, jsonTextDepth, sanitizeForDatabase, toDatabaseText } from './database-text';

describe('database text', () => {
  it('removes NUL and replaces lone surrogates, keeping valid pairs and RTL marks', () => {
    expect(toDatabaseText('a\u0000b')).toBe('ab');
    expect(toDatabaseText('x\ud800y')).toBe('x\ufffdy');
    expect(toDatabaseText('x\udc00')).toBe('x\ufffd');
    expect(toDatabaseText('\udc00\ud800')).toBe('\ufffd\ufffd');
    expect(toDatabaseText('😀\u202eabc')).toBe('😀\u202eabc');
    expect(isDatabaseText('ok 😀')).toBe(true);
    expect(isDatabaseText('\ud83d')).toBe(false);
  });

  it('cleans keys and values recursively, keeping dates and numbers', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(sanitizeForDatabase({ 'k\u0000': ['v\ud800', { n: 1, at }], nul: null })).toEqual({ k: ['v\ufffd', { n: 1, at }], nul: null });
  });

  it('cuts an absurdly deep value instead of recursing on (JSON.stringify would overflow)', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 5000; i++) deep = [deep];
    expect(jsonDepth(JSON.parse(JSON.stringify(sanitizeForDatabase(deep))), 1000)).toBe(101);
  });

  it('measures depth of values and of JSON text', () => {
    expect(jsonDepth({ a: [{ b: 1 }] }, 10)).toBe(3);
    expect(jsonTextDepth('{"a":[{"b":"[[[["}]}', 10)).toBe(3);
    expect(jsonTextDepth('['.repeat(5000), 64)).toBe(65);
  });
});
