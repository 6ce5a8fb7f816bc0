import sanitizeHtml from 'sanitize-html';

/** An image part of the same message, by its Content-ID (without <>). */
export interface InlinePart {
  contentType: string;
  content: Buffer;
}

/** Raster images only (an SVG is a document, not a picture); each at most this big when inlined. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
export const INLINE_PART_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Inbound HTML is stored as received and only ever served through this: no scripts, event
 * handlers, styles, forms, iframes or remote resources (tracking pixels); links open safely.
 * Images only from cid:/data: (parts of the message itself). A `cid:` image whose part was stored
 * is served inline as a data: URL of that part (the viewer's sandboxed frame can load nothing
 * else, and no second authenticated request is needed); one we do not have is dropped.
 */
export function sanitizeEmailHtml(html: string, inline: ReadonlyMap<string, InlinePart> = new Map()): string {
  return sanitizeHtml(html, {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img'],
    allowedAttributes: { a: ['href', 'title', 'rel', 'target'], img: ['src', 'alt', 'width', 'height'], td: ['colspan', 'rowspan'], th: ['colspan', 'rowspan'] },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['cid', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    // The text inside these is code or chrome, not content.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head'],
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'noopener noreferrer nofollow', target: '_blank' } }),
      img: (tagName, attribs) => {
        const src = attribs.src ?? '';
        if (!/^cid:/i.test(src)) return { tagName, attribs };
        const part = inline.get(decodeURIComponent(src.slice(4)).replace(/^<|>$/g, '').toLowerCase());
        const usable = part && INLINE_TYPES.has(part.contentType.toLowerCase()) && part.content.length <= INLINE_PART_MAX_BYTES;
        const { src: _cid, ...rest } = attribs;
        return { tagName, attribs: usable ? { ...rest, src: `data:${part.contentType.toLowerCase()};base64,${part.content.toString('base64')}` } : rest };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  });
}

/** Served with the sanitised HTML: even if something slipped through, the browser runs nothing and loads nothing remote. */
export const EMAIL_HTML_CSP = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; sandbox";
