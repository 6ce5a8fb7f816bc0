import { AuditService, PersonalDataService, type Viewer } from '@leadline/core';
import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentViewer, RequireRole } from '../auth/auth.decorators';

const exportQuery = z.object({
  /** Embed the email attachments the hub stores (base64) instead of listing their download paths. */
  includeFiles: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
});

/**
 * Personal data of one person (admins only): a download of everything the hub holds on them, and
 * erasure. Both are written to the audit log (the export here, the erasure in its own transaction).
 */
@ApiTags('personal data')
@RequireRole('admin')
@Controller('api/contacts/:id/personal-data')
export class PersonalDataController {
  constructor(
    private readonly personalData: PersonalDataService,
    private readonly audit: AuditService,
  ) {}

  /** JSON download: contact, identities, deals, tasks, timeline, calls, emails, receipts, audit entries, file links. */
  @Get()
  async export(
    @CurrentViewer() viewer: Viewer,
    @Param('id', ParseUUIDPipe) id: string,
    @Query({ schema: exportQuery }) q: z.infer<typeof exportQuery>,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const data = await this.personalData.export(id, { includeFiles: q.includeFiles });
    await this.audit.record({
      actor: { id: viewer.id, name: viewer.name },
      action: 'contact.export_personal_data',
      entityType: 'contact',
      entityId: id,
      summary: `contact.export_personal_data: ${id}`,
      details: { includeFiles: q.includeFiles, rows: { deals: data.deals.length, timeline: data.timeline.length, calls: data.calls.length, emails: data.emails.length, files: data.files.length } },
      ip: req.ip,
      request: { method: req.method, path: req.url.split('?')[0] },
    });
    reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="personal-data-${id}.json"`)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(data, null, 2));
  }

  /** Erases the person for good → `{ contactId, deleted: {table: rows}, scrubbed: {table: rows} }`. */
  @Delete()
  @HttpCode(200)
  erase(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Req() req: FastifyRequest) {
    return this.personalData.erase(id, { id: viewer.id, name: viewer.name }, { ip: req.ip, method: req.method, path: req.url.split('?')[0] });
  }
}
