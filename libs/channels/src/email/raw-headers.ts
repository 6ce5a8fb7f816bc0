import chardet from 'chardet';
import iconv from 'iconv-lite';

const CYRILLIC_SINGLE_BYTE = new Set(['windows-1251', 'koi8-r', 'koi8-u', 'iso-8859-5', 'ibm866', 'x-mac-cyrillic', 'maccyrillic']);

/**
 * Old mailers (and some site scripts) put raw 8-bit text in headers — Subject, the From display
 * name — in the sender's local charset instead of RFC 2047 encoded words. mailparser reads header
 * bytes as UTF-8 and such text would become "�����". This finds the charset of the top-level
 * header block (valid UTF-8 stays as it is; otherwise detection by chardet, the message's own
 * declared charset as a hint, and for Cyrillic the letter-case test that tells windows-1251 from
 * KOI8-R) and re-writes those header lines as UTF-8, which mailparser reads (RFC 6532).
 */
export function decodeRawHeaders(raw: Buffer): Buffer {
  const end = headerEnd(raw);
  const head = raw.subarray(0, end);
  if (!head.some((b) => b >= 0x80) || isUtf8(head)) return raw;
  const charset = detectCharset(head, declaredCharset(raw));
  if (!charset) return raw;
  const lines: Buffer[] = [];
  let start = 0;
  while (start < head.length) {
    let nl = head.indexOf(0x0a, start);
    if (nl < 0) nl = head.length - 1;
    const line = head.subarray(start, nl + 1);
    lines.push(line.some((b) => b >= 0x80) ? Buffer.from(iconv.decode(line, charset), 'utf8') : line);
    start = nl + 1;
  }
  return Buffer.concat([...lines, raw.subarray(end)]);
}

/** The charset of the 8-bit bytes in `bytes`, or null when nothing sensible can be said. */
export function detectCharset(bytes: Buffer, hint: string | null): string | null {
  const high = Buffer.from(bytes.filter((b) => b >= 0x80));
  if (!high.length) return null;
  // Only the words with 8-bit bytes say anything; the ASCII header names around them drown the statistics.
  const words = bytes.toString('latin1').split(/[\s<>"(),:;]+/).filter((w) => /[\x80-\xff]/.test(w));
  const sample = Buffer.from(words.join(' '), 'latin1');
  const detected = (chardet.detect(sample) ?? '').toLowerCase();
  const hinted = hint && iconv.encodingExists(hint) ? hint.toLowerCase() : null;
  // Cyrillic words are 8-bit through and through; Latin-1 words have an accent here and there.
  const letters = sample.filter((b) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b >= 0xc0).length;
  const allHigh = letters > 0 && sample.filter((b) => b >= 0xc0).length / letters > 0.6;
  const cyrillic = CYRILLIC_SINGLE_BYTE.has(detected) || (hinted !== null && CYRILLIC_SINGLE_BYTE.has(hinted)) || allHigh;
  if (cyrillic) {
    // Short strings (a name, a subject) fool statistical detection. In running Russian text
    // lower-case letters dominate: 0xE0–0xFF in windows-1251, 0xC0–0xDF in KOI8-R.
    const upperHalf = high.filter((b) => b >= 0xe0).length;
    const lowerHalf = high.filter((b) => b >= 0xc0 && b < 0xe0).length;
    if (upperHalf !== lowerHalf) return upperHalf > lowerHalf ? 'windows-1251' : 'koi8-r';
    return hinted && CYRILLIC_SINGLE_BYTE.has(hinted) ? hinted : detected || 'windows-1251';
  }
  if (hinted && hinted !== 'utf-8' && hinted !== 'us-ascii') return hinted;
  return detected && iconv.encodingExists(detected) ? detected : null;
}

function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const candidates = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((n) => n >= 0);
  return candidates.length ? Math.min(...candidates) : raw.length;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The first charset the message declares anywhere (its body's usually matches what the mailer put in headers). */
function declaredCharset(raw: Buffer): string | null {
  const m = /charset\s*=\s*"?([\w.:-]+)/i.exec(raw.subarray(0, 64 * 1024).toString('latin1'));
  return m ? m[1] : null;
}
