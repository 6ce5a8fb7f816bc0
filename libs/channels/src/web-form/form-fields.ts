import type { FormFieldTarget } from '@leadline/core';

/**
 * Field names of site builders and hand-written forms, in English and Russian, and the lead field
 * each means. Exact names first (in priority order within a target); `suggestFieldTarget` then
 * guesses from the words of any other name ("Ваш телефон", "phone_number", "your-company").
 */
export const KNOWN_FIELDS: Record<FormFieldTarget, string[]> = {
  name: ['name', 'full_name', 'fullname', 'fio', 'your-name', 'your_name', 'contact_name', 'client_name', 'имя', 'фио', 'ваше имя'],
  phone: ['phone', 'tel', 'telephone', 'phone_number', 'phonenumber', 'mobile', 'your-phone', 'your_phone', 'whatsapp', 'телефон', 'ваш телефон', 'номер телефона'],
  email: ['email', 'e-mail', 'mail', 'your-email', 'your_email', 'почта', 'эл. почта', 'электронная почта'],
  message: ['message', 'comment', 'comments', 'text', 'question', 'your-message', 'your_message', 'msg', 'сообщение', 'комментарий', 'вопрос'],
  company: ['company', 'company_name', 'organization', 'organisation', 'your-company', 'компания', 'организация', 'название компании'],
};

// Words (after splitting a name on spaces, dashes, underscores and dots) that point at a target.
const WORDS: Array<[FormFieldTarget, RegExp]> = [
  ['email', /^(e?mail|email|почта|почты|емейл|имейл)$/],
  ['phone', /^(phone|tel|telephone|mobile|cell|whatsapp|телефон|телефона|тел|мобильный|номер)$/],
  ['company', /^(company|organi[sz]ation|org|firm|компания|компании|организация|организации|фирма)$/],
  ['message', /^(message|comment|comments|question|text|msg|enquiry|inquiry|сообщение|комментарий|вопрос|текст|пожелания)$/],
  ['name', /^(name|fullname|fio|имя|фио)$/],
];

/** The lead field a name is taken as without any mapping (one of the exact names above), or null. */
export function knownFieldTarget(fieldName: string): FormFieldTarget | null {
  const lower = fieldName.trim().toLowerCase();
  for (const [target, names] of Object.entries(KNOWN_FIELDS) as Array<[FormFieldTarget, string[]]>) if (names.includes(lower)) return target;
  return null;
}

/** The lead field a form field name most likely means, or null. */
export function suggestFieldTarget(fieldName: string): FormFieldTarget | null {
  const lower = fieldName.trim().toLowerCase();
  const known = knownFieldTarget(lower);
  if (known) return known;
  // "phone_number" / "Номер телефона" mention several words: the first rule that matches any word wins.
  const words = lower.split(/[\s\-_.:/()[\]]+/).filter(Boolean);
  for (const [target, re] of WORDS) if (words.some((w) => re.test(w))) return target;
  if (/e-?mail|почт/.test(lower)) return 'email';
  if (/phone|телефон/.test(lower)) return 'phone';
  return null;
}
