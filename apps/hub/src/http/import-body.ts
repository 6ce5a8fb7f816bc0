import type { FastifyInstance } from 'fastify';

export const IMPORT_ROUTE_PREFIX = '/api/import';
/** Largest upload accepted (raw file). A 100,000-row CSV of contacts is ~10 MB. */
export const IMPORT_MAX_BYTES = 30 * 1024 * 1024;

export const CSV_TYPES = ['text/csv', 'application/csv', 'text/tab-separated-values', 'application/vnd.ms-excel'];
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * Spreadsheet uploads come as the raw request body (multipart is not configured in the hub): CSV and
 * XLSX content types are read as a Buffer, and routes under /api/import accept up to IMPORT_MAX_BYTES
 * (plus the base64 overhead for the JSON form) instead of the default 1 MB.
 */
export function registerImportBodies(fastify: FastifyInstance): void {
  fastify.addContentTypeParser([...CSV_TYPES, XLSX_TYPE, 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith(IMPORT_ROUTE_PREFIX) && route.method === 'POST') route.bodyLimit = Math.ceil(IMPORT_MAX_BYTES * 1.4);
  });
}
