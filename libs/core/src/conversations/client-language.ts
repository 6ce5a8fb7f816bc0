import type { EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';

/** The languages the hub writes its own words to clients in (the admin UI and the bots speak the same two). */
export type ClientLanguage = 'en' | 'ru';

/** The subject of a fresh email thread we start (no earlier thread to answer), in the client's language. */
export const FRESH_THREAD_SUBJECT: Record<ClientLanguage, string> = { en: 'Your enquiry', ru: 'Ваше обращение' };

/**
 * The language a client wrote in, told by their letters: Cyrillic → ru, Latin → en, null when the text
 * has too few letters to say (a phone number, "ok", an emoji). Good enough to choose a subject line;
 * the majority of letters wins, so a Russian message with an English product name stays Russian.
 */
export function languageOfText(text: string | null | undefined): ClientLanguage | null {
  if (!text) return null;
  const cyrillic = (text.match(/\p{Script=Cyrillic}/gu) ?? []).length;
  const latin = (text.match(/\p{Script=Latin}/gu) ?? []).length;
  if (cyrillic + latin < 3) return null;
  return cyrillic > latin ? 'ru' : 'en';
}

/**
 * The language to write our own words to a client in: that of their latest words to us (a form's
 * message, an email, a chat message), else `fallback` (the hub's default).
 */
export async function clientLanguageOf(em: EntityManager, contactId: string, fallback: ClientLanguage): Promise<ClientLanguage> {
  const rows = await queryRows<{ words: string | null }>(
    em,
    `SELECT COALESCE(payload->>'text', payload->>'message', payload->>'subject') AS words FROM activity
      WHERE contact_id = $1 AND kind IN ('lead', 'repeat_lead', 'message_in') ORDER BY occurred_at DESC LIMIT 5`,
    [contactId],
  );
  for (const r of rows) {
    const lang = languageOfText(r.words);
    if (lang) return lang;
  }
  return fallback;
}
