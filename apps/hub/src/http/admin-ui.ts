import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/**
 * What the admin UI's pages may load: only files from the hub itself (scripts, styles, images,
 * API calls, the sanitised email iframe), QR codes as data: images, nothing inline. Framing by
 * other sites is refused (clickjacking).
 */
export const ADMIN_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "frame-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `npm run build` puts the admin UI: dist/admin under the repository root. */
export function adminDistDir(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'admin');
}

/**
 * Serves the built admin UI at /admin: files as they are, brotli or gzip when the browser accepts it
 * (compressed at build time), hashed assets cached for good; any other path under /admin gets
 * index.html so the UI's own routes survive a reload.
 */
export async function registerAdminUi(fastify: FastifyInstance, root = adminDistDir()): Promise<void> {
  const built = existsSync(join(root, 'index.html'));
  // preCompressed: the build wrote .br and .gz beside each file; the best one the browser accepts is sent.
  if (built) await fastify.register(fastifyStatic as never, { root, serve: false, preCompressed: true });
  fastify.get('/admin', (_req, reply) => {
    reply.redirect('/admin/', 302);
  });
  fastify.get('/admin/*', (req, reply) => {
    reply.header('content-security-policy', ADMIN_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    if (!built) {
      reply.code(503).type('text/plain; charset=utf-8').send('The admin UI is not built: run `npm run build` (or `npm start`).\n');
      return;
    }
    const rel = ((req.params as Record<string, string>)['*'] ?? '').split('?')[0];
    const file = resolve(root, rel);
    const isFile = rel !== '' && file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile();
    if (isFile && rel.startsWith('assets/')) {
      return (reply as any).sendFile(rel, { maxAge: 365 * 24 * 3_600_000, immutable: true });
    }
    if (isFile) return (reply as any).sendFile(rel, { maxAge: 0 });
    reply.header('cache-control', 'no-cache');
    return (reply as any).sendFile('index.html', { maxAge: 0, cacheControl: false });
  });
}
