import { DomainError, ExportService, ImportService, type UploadedFile, type Viewer } from '@leadline/core';
import { Controller, Get, HttpCode, Post, Query, Req, StreamableFile } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentViewer, RequireRole } from '../auth/auth.decorators';
import { CSV_TYPES, IMPORT_MAX_BYTES, XLSX_TYPE } from '../http/import-body';

const importQuery = z.object({ mapping: z.string().max(20_000).optional() });
const jsonUpload = z.object({
  file: z.string().min(1, 'the file content, base64'),
  filename: z.string().max(300).optional(),
  format: z.enum(['csv', 'xlsx']).optional(),
  mapping: z.record(z.string(), z.string()).optional(),
});

/**
 * The file as the raw request body (Content-Type text/csv, application/csv, text/tab-separated-values or
 * application/vnd.openxmlformats-officedocument.spreadsheetml.sheet), or JSON `{ file: base64, filename?, format?, mapping? }`.
 */
function upload(req: FastifyRequest, mappingParam?: string): { file: UploadedFile; mapping?: unknown } {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  let mapping: unknown;
  if (mappingParam !== undefined) {
    try {
      mapping = JSON.parse(mappingParam);
    } catch {
      throw DomainError.invalid('invalid mapping', { mapping: 'must be JSON: {"column header": "field"}' });
    }
  }
  if (Buffer.isBuffer(req.body)) {
    if (req.body.length > IMPORT_MAX_BYTES) throw DomainError.invalid('file too large', { file: `at most ${IMPORT_MAX_BYTES / 1024 / 1024} MB` });
    return { file: { buffer: req.body, format: type === XLSX_TYPE ? 'xlsx' : CSV_TYPES.includes(type) ? 'csv' : null }, mapping };
  }
  const parsed = jsonUpload.safeParse(req.body);
  if (!parsed.success) {
    throw DomainError.invalid('send the file as the request body (Content-Type text/csv or the XLSX type) or as JSON { "file": "<base64>" }', {
      file: parsed.error.issues[0]?.message ?? 'missing',
    });
  }
  const buffer = Buffer.from(parsed.data.file, 'base64');
  if (buffer.length > IMPORT_MAX_BYTES) throw DomainError.invalid('file too large', { file: `at most ${IMPORT_MAX_BYTES / 1024 / 1024} MB` });
  const byName = parsed.data.filename?.toLowerCase().endsWith('.xlsx') ? 'xlsx' : parsed.data.filename?.toLowerCase().match(/\.(csv|tsv|txt)$/) ? 'csv' : null;
  return { file: { buffer, format: parsed.data.format ?? byName }, mapping: mapping ?? parsed.data.mapping };
}

/**
 * Import (admins): 1. `POST /api/import/inspect` → headers, sample rows, suggested mapping; 2. `POST /api/import/preview`
 * → the dry run (counts and per-row outcomes, nothing written); 3. `POST /api/import` → the same, written in one
 * transaction. Steps 2 and 3 take `?mapping={"Телефон":"phone",…}` (or `mapping` in the JSON form); without it the
 * suggested mapping is used.
 */
@ApiTags('import')
@RequireRole('admin')
@Controller('api/import')
export class ImportController {
  constructor(private readonly imports: ImportService) {}

  @Post('inspect')
  @HttpCode(200)
  inspect(@Req() req: FastifyRequest) {
    return this.imports.inspect(upload(req).file);
  }

  @Post('preview')
  @HttpCode(200)
  preview(@CurrentViewer() viewer: Viewer, @Req() req: FastifyRequest, @Query({ schema: importQuery }) q: z.infer<typeof importQuery>) {
    const { file, mapping } = upload(req, q.mapping);
    return this.imports.run(viewer, file, { mapping, dryRun: true });
  }

  @Post()
  run(@CurrentViewer() viewer: Viewer, @Req() req: FastifyRequest, @Query({ schema: importQuery }) q: z.infer<typeof importQuery>) {
    const { file, mapping } = upload(req, q.mapping);
    return this.imports.run(viewer, file, { mapping, dryRun: false });
  }
}

/** CSV downloads of contacts and deals, streamed; a manager gets what they may see. */
@ApiTags('export')
@Controller('api/export')
export class ExportController {
  constructor(private readonly exports: ExportService) {}

  @Get('contacts.csv')
  contacts(@CurrentViewer() viewer: Viewer) {
    return new StreamableFile(this.exports.contactsCsv(viewer), { type: 'text/csv; charset=utf-8', disposition: 'attachment; filename="contacts.csv"' });
  }

  @Get('deals.csv')
  deals(@CurrentViewer() viewer: Viewer) {
    return new StreamableFile(this.exports.dealsCsv(viewer), { type: 'text/csv; charset=utf-8', disposition: 'attachment; filename="deals.csv"' });
  }
}
