/** Telegram's limits: a text message holds 4,096 characters, a caption 1,024. */
export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;

/** Boundaries to cut at, best first: a paragraph, a line, the end of a sentence, a word. */
const BOUNDARIES = [/\n\s*\n/g, /\n/g, /[.!?…](?=\s)/g, /\s/g];

/**
 * Cuts a long text into parts of at most `limit` characters (UTF-16 units, as Telegram counts), at the
 * last good boundary of each part, so a long answer arrives whole in a few messages instead of being cut
 * silently. Only a single "word" longer than the limit is cut mid-way. Surrogate pairs are never split.
 */
export function splitText(text: string, limit = TEXT_LIMIT): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = -1;
    for (const boundary of BOUNDARIES) {
      let last = -1;
      for (const m of window.matchAll(boundary)) {
        const end = m.index! + (boundary.source.startsWith('[') ? 1 : 0);
        // A boundary in the first third would make tiny parts: look for a weaker one further on.
        if (end >= limit / 3) last = end;
      }
      if (last > 0) {
        cut = last;
        break;
      }
    }
    if (cut <= 0) {
      cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}
