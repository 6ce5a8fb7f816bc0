import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * Prefixes people dial before a country code instead of "+": 00 (most of the world, AZ/UZ/UA/…),
 * 810 and 8~10 / 8-10 / 8 10 (the Soviet-era prefix still typed in RU, KZ, BY, where "~" means
 * "wait for the tone"), 011 (North America). Matched on the compacted input.
 */
const INTERNATIONAL_PREFIX = /^(?:00|8~?10|011)(?=[1-9])/;
// Format characters (RTL/LTR marks, zero-width spaces, BOM) and separators people and their
// keyboards put between digits; "доб."/"ext." extensions are left for libphonenumber.
const INVISIBLE = /[\p{Cf}\u00a0\u2000-\u200a\u202f\u205f\u3000]/gu;
const SEPARATORS = /[\s().\-‐‑‒–—―/\\]/g;

/**
 * Normalises a phone number as people type it into E.164, or null when it is not a valid number.
 * `defaultRegion` resolves national formats ("8 (999) 123-45-67" in RU). International prefixes
 * (00, 810, 8~10, 011) and a bare international number without "+" ("998901234567") are read as
 * "+" so foreign leads are not lost; full-width and other Unicode digits count as digits.
 */
export function normalizePhone(input: string | null | undefined, defaultRegion: string): string | null {
  if (!input) return null;
  const raw = String(input).normalize('NFKC').replace(INVISIBLE, '').trim();
  if (!raw || raw.length > 40) return null;
  if (raw.toLowerCase() === 'anonymous') return null;
  const region = defaultRegion.toUpperCase() as CountryCode;
  const text = asciiDigits(raw);
  const compact = text.replace(SEPARATORS, '');
  const candidates: Array<[string, CountryCode | undefined]> = [[text, region]];
  const intl = INTERNATIONAL_PREFIX.exec(compact);
  if (intl) candidates.unshift([`+${compact.slice(intl[0].length)}`, undefined]);
  // "+8 999 …": the national trunk 8 typed after a "+" (RU/KZ/BY keyboards autocomplete the "+").
  if (/^\+8\d{10}$/.test(compact)) candidates.push([compact.slice(1), region]);
  const digits = compact.replace(/\D/g, '');
  if (!compact.startsWith('+') && digits.length >= 10) candidates.push([`+${digits}`, undefined]);
  for (const [value, r] of candidates) {
    const parsed = parsePhoneNumberFromString(value, r);
    if (parsed?.isValid()) return parsed.number;
  }
  return null;
}

/** True when the string contains enough digits to be meant as a phone number (search input). */
export function looksLikePhone(input: string): boolean {
  return /^[\d\s()+\-.~]{6,}$/.test(input.trim()) && input.replace(/\D/g, '').length >= 6;
}

/**
 * Any Unicode decimal digit (Arabic-Indic, Persian, Devanagari, …) as its ASCII digit. Each script's
 * digits are one run of ten code points from 0 to 9; NFKC has already mapped full-width ones.
 */
function asciiDigits(value: string): string {
  const isDigit = (cp: number) => /\p{Nd}/u.test(String.fromCodePoint(cp));
  return value.replace(/\p{Nd}/gu, (d) => {
    const code = d.codePointAt(0)!;
    let zero = code;
    while (zero > code - 9 && isDigit(zero - 1)) zero--;
    return String(code - zero);
  });
}
