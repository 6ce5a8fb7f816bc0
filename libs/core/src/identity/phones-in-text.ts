import { normalizePhone } from './phone';

/** A phone number written in free text (an email body, a chat message), with what was written. */
export interface PhoneInText {
  /** E.164. */
  phone: string;
  /** As written. */
  input: string;
}

// Digits with the separators people write phones with: "+7 (916) 555-12-34", "8-916-555-12-34",
// "(415) 555-0199", "79161112233". Bounded so a long digit table is not one "number".
const CANDIDATE = /(?<![\w+\-/.,])(\+?\(?\d[\d\s().\-]{6,22}\d)(?![\w/])/g;

// Words right before the digits that make them something else than a phone.
const NOT_PHONE_BEFORE =
  /(№|#|\bno\.?|\bnr\.?|\border\w*|\binvoice\w*|\bticket\w*|\bcontract\w*|\baccount\w*|\bid|\bsku|\bart\.?|\bartikul|заказ\w*|сч[её]т\w*|инн|огрн\w*|кпп|бик|окпо|р\/с|к\/с|договор\w*|артикул\w*|накладн\w*|трек\w*|track\w*|паспорт\w*|passport|итого|сумм\w*|цен\w*|стоимост\w*|total|price|amount|sum|\$|€|₽|£)\s*[:=\-–]?\s*$/i;
// A price: digits followed by a currency.
const CURRENCY_AFTER = /^\s*(руб\w*|р\.|₽|\$|€|£|usd|eur|rub|uzs|kzt|azn|сум\w*|тенге|₸|манат\w*|тыс\w*|млн|k\b)/i;
// Words that make a bare run of digits (no +, no separators) a phone after all.
const PHONE_WORD_BEFORE = /(тел\w*|phone|mobile|моб\w*|сот\w*|whats\s*app|ватсап|вайбер|viber|telegram|звон\w*|call|номер)\s*[:.\-–]?\s*$/i;
// Dates and times written with digits: 23.11.2026, 2026-11-23, 23/11/2026 09:15.
const DATE_LIKE = /^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}(\s+\d{1,2}[:.]\d{2}(:\d{2})?)?$/;
// Dotted quads (IP addresses) and version numbers.
const DOTTED = /^\d{1,3}(\.\d{1,3}){2,}$/;

/**
 * Phones a person wrote in text ("call me on 8 916 555-12-34"), normalised to E.164. Careful about
 * what only looks like a phone: order, invoice and account numbers (a keyword right before them),
 * prices (a currency after or before), dates, times, IP addresses, and bare digit runs without
 * a "phone" word before them. At most `limit` distinct numbers.
 */
export function phonesInText(text: string | null | undefined, defaultRegion: string, limit = 3): PhoneInText[] {
  if (!text) return [];
  const out: PhoneInText[] = [];
  const seen = new Set<string>();
  for (const m of text.slice(0, 50_000).matchAll(CANDIDATE)) {
    const input = m[1].trim();
    const start = m.index ?? 0;
    const before = text.slice(Math.max(0, start - 30), start);
    const after = text.slice(start + m[1].length, start + m[1].length + 12);
    const digits = input.replace(/\D/g, '');
    if (digits.length < 10 || digits.length > 15) continue;
    if (DATE_LIKE.test(input) || DOTTED.test(input)) continue;
    if (/\d\.\d/.test(input) && !/^\+?[\d\s()\-]*\d{3}\.\d{3}\.\d{4}$/.test(input)) continue;
    if (NOT_PHONE_BEFORE.test(before) || CURRENCY_AFTER.test(after)) continue;
    const bare = /^\d+$/.test(input);
    if (bare && !PHONE_WORD_BEFORE.test(before)) continue;
    const phone = normalizePhone(input, defaultRegion);
    if (!phone || seen.has(phone)) continue;
    seen.add(phone);
    out.push({ phone, input });
    if (out.length >= limit) break;
  }
  return out;
}
