import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * Normalises a phone number as people type it into E.164, or null when it is not a valid number.
 * `defaultRegion` resolves national formats ("8 (999) 123-45-67" in RU). A bare international
 * number without "+" ("998901234567") is retried with "+" so foreign leads are not lost.
 */
export function normalizePhone(input: string | null | undefined, defaultRegion: string): string | null {
  if (!input) return null;
  const raw = String(input).trim();
  if (!raw || raw.length > 40) return null;
  if (raw.toLowerCase() === 'anonymous') return null;
  const region = defaultRegion.toUpperCase() as CountryCode;
  const first = parsePhoneNumberFromString(raw, region);
  if (first?.isValid()) return first.number;
  const digits = raw.replace(/\D/g, '');
  if (!raw.startsWith('+') && digits.length >= 10) {
    const intl = parsePhoneNumberFromString(`+${digits}`);
    if (intl?.isValid()) return intl.number;
  }
  return null;
}

/** True when the string contains enough digits to be meant as a phone number (search input). */
export function looksLikePhone(input: string): boolean {
  return /^[\d\s()+\-.]{6,}$/.test(input.trim()) && input.replace(/\D/g, '').length >= 6;
}
