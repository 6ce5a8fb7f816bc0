import { toDatabaseText } from '../text/database-text';

/**
 * Headers for every response that streams bytes a stranger chose (Telegram media, email attachments,
 * form uploads, call recordings). The hub's origin holds admin sessions, so such a file must never
 * run as a page there: only types a browser shows without running anything are served inline, the
 * rest are downloads typed application/octet-stream, and a sandboxing CSP plus `nosniff` cover
 * every case (a browser that sniffs, a type that lies).
 */

/** Raster images (not SVG: it is a document with scripts), audio, video and PDF. */
const INLINE_SAFE = new Set([
  'image/png',
  'image/jpeg',
  'image/pjpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
  'image/heic',
  'image/heif',
  'image/tiff',
  'application/pdf',
]);
const MEDIA = /^(audio|video)\/[a-z0-9][a-z0-9.+-]*$/;
const TOKEN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** A sandboxed document with nothing to load: scripts, forms, plugins, frames all off. */
export const FILE_CSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox";
/** Chromium's PDF viewer loads its own resources; `sandbox` still denies the document scripts and same-origin access. */
export const PDF_CSP = 'sandbox';

export interface SafeFile {
  /** As the provider or sender claimed it; may be missing, malformed or hostile. */
  contentType?: string | null;
  /** As the sender named it; may hold quotes, CR/LF, non-ASCII. */
  filename?: string | null;
  /** Bytes, when known (a number or the provider's Content-Length). */
  length?: number | string | null;
  /** Always a download, even for an inline-safe type (email attachments: what the mail client would do). */
  download?: boolean;
  /** Default `private, no-store`: files are personal data behind a login. */
  cacheControl?: string;
}

/** The bare `type/subtype`, lower case, or null when the value is not a well-formed media type. */
export function cleanMediaType(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const bare = value.split(';')[0].trim().toLowerCase();
  return TOKEN.test(bare) ? bare : null;
}

export function isInlineSafe(mediaType: string | null): boolean {
  return !!mediaType && (INLINE_SAFE.has(mediaType) || MEDIA.test(mediaType));
}

/** Every header a file response needs; header values are plain ASCII (no CR/LF can reach Node's setHeader). */
export function safeFileHeaders(file: SafeFile): Record<string, string> {
  const type = cleanMediaType(file.contentType);
  const safe = isInlineSafe(type);
  const inline = safe && !file.download;
  const name = (file.filename ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'file';
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const headers: Record<string, string> = {
    'Content-Type': safe ? type! : 'application/octet-stream',
    'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(name)}`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': type === 'application/pdf' ? PDF_CSP : FILE_CSP,
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': file.cacheControl ?? 'private, no-store',
  };
  const length = typeof file.length === 'number' ? String(file.length) : file.length;
  if (length && /^\d{1,15}$/.test(length)) headers['Content-Length'] = length;
  return headers;
}

function encodeRfc5987(value: string): string {
  // encodeURIComponent leaves ' ( ) * which RFC 5987 attr-chars do not allow; lone surrogates would throw (replaced first).
  return encodeURIComponent(toDatabaseText(value)).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
