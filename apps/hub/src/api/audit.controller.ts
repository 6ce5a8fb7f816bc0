import { AuditService } from '@leadline/core';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireRole } from '../auth/auth.decorators';
import type { AuditEntry, Page } from '@leadline/contracts';

const isoDate = z
  .string()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date or date-time')
  .transform((v) => new Date(v));

export const auditQuery = z.object({
  actorId: z.uuid().optional(),
  action: z.string().trim().max(100).optional(),
  entityType: z.string().trim().max(64).optional(),
  entityId: z.string().trim().max(100).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  search: z.string().trim().max(200).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

@ApiTags('audit')
@RequireRole('admin')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /**
   * Who did what, newest first: `{ items: [{ id, at, actor: { id, name, email }, action, entityType,
   * entityId, summary, before, after, details, ip, request }], nextCursor }`. Filters: `actorId`,
   * `action` (exact, or a prefix ending in `.` such as `manager.`), `entityType`, `entityId`,
   * `from`/`to` (ISO 8601), `search`; paging with `cursor` and `limit` (≤ 200).
   */
  @Get()
  list(@Query({ schema: auditQuery }) q: z.infer<typeof auditQuery>): Promise<Page<AuditEntry>> {
    return this.audit.list(q);
  }

  /** The actions recorded so far, for a filter list. */
  @Get('actions')
  actions(): Promise<string[]> {
    return this.audit.actions();
  }
}
