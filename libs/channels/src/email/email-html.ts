import sanitizeHtml from 'sanitize-html';

/**
 * Inbound HTML is stored as received and only ever served through this: no scripts, event
 * handlers, styles, forms, iframes or remote resources (tracking pixels); links open safely.
 * Images only from cid:/data: (parts of the message itself).
 */
export function sanitizeEmailHtml(html: string): string {
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
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  });
}

/** Served with the sanitised HTML: even if something slipped through, the browser runs nothing and loads nothing remote. */
export const EMAIL_HTML_CSP = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; sandbox";
