import { normalizeEmail } from './email';

describe('normalizeEmail', () => {
  it('lowercases and trims', () => {
    expect(normalizeEmail('  Anna.Petrova@Example.COM ')).toBe('anna.petrova@example.com');
  });
  it.each([['anna'], ['anna@'], ['@example.com'], ['anna@example'], ['an na@example.com'], [''], [null]])('rejects %p', (input) => {
    expect(normalizeEmail(input as string)).toBeNull();
  });
});
