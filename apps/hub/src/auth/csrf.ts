import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** Readable by the admin UI's script (not httpOnly), so it can echo the value in CSRF_HEADER. */
export const CSRF_COOKIE = 'leadline_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The CSRF token of a login session, derived from its secret token: another site can neither read
 * our cookie nor compute the value, so a forged cross-site request cannot carry the header. Derived
 * (not stored) so any live session cookie can be given its CSRF cookie again.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`leadline-csrf\0${sessionToken}`).digest('base64url');
}

/**
 * Cookie-authenticated unsafe requests must echo the CSRF token in a header (double submit).
 * Bearer-token requests need nothing: a browser never attaches that header by itself.
 */
export function csrfSatisfied(req: FastifyRequest, sessionToken: string, via: 'bearer' | 'cookie'): boolean {
  if (via === 'bearer' || SAFE_METHODS.has(req.method)) return true;
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sent) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const actual = Buffer.from(sent);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
