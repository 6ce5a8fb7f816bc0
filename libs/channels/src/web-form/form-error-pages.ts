import type { FastifyReply, FastifyRequest } from 'fastify';
import { FORM_FILE_MAX_BYTES } from './form-attachments';
import { FORM_PAGE_CSP, backUrlOf, errorPage, visitorLang } from './form-pages';
import { wantsHtml } from './web-form.controller';

/**
 * onSend hook of the form route: a refusal raised before our handler runs (a body over the limit,
 * a malformed urlencoded body, the database down) is a JSON error; a visitor whose browser posted
 * a plain form sees it as a readable page instead.
 */
export function formErrorPages(req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, value?: unknown) => void): void {
  const type = String(reply.getHeader('content-type') ?? '');
  if (reply.statusCode < 400 || !type.startsWith('application/json') || !wantsHtml(req)) return done(null, payload);
  let body: { error?: unknown; fields?: unknown } | null = null;
  try {
    body = JSON.parse(String(payload));
  } catch {
    return done(null, payload);
  }
  const error = typeof body?.error === 'string' ? body.error : 'internal';
  const fields = body?.fields && typeof body.fields === 'object' ? (body.fields as Record<string, string>) : undefined;
  const retryAfter = Number(reply.getHeader('retry-after')) || undefined;
  reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', FORM_PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store');
  reply.removeHeader('content-length');
  const page = errorPage({ status: reply.statusCode, error, fields, retryAfter, maxFileMb: FORM_FILE_MAX_BYTES / 1024 / 1024 }, visitorLang(req.headers['accept-language']), backUrlOf(req.headers.referer));
  done(null, page);
}
