// Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is the mail server's job.
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]{2,}$/;

export function normalizeEmail(input: string | null | undefined): string | null {
  if (!input) return null;
  const value = String(input).trim().toLowerCase();
  if (value.length > 254 || !EMAIL.test(value)) return null;
  return value;
}
