import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** "+79991234567" → "+7 999 123 45 67": the international format with its country's grouping. */
export function formatPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? parsed.formatInternational() : e164;
}
