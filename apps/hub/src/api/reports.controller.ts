import { reportCsv, ReportsService, type CsvLang, type Viewer } from '@leadline/core';
import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { CurrentViewer } from '../auth/auth.decorators';
import { reportQuery, unansweredQuery } from './report-schemas';
import type { FunnelReport, LeadSourcesReport, ManagersReport, Page, SlaReport, UnansweredLead } from '@leadline/contracts';

type Q = z.infer<typeof reportQuery>;

/**
 * Sends `csv` as a download when `?format=csv` (UTF-8 with a BOM, so Excel shows Cyrillic; column titles
 * in `?lang=`, else the browser's language), otherwise the report itself (JSON).
 */
function respond<T>(reply: FastifyReply, q: Q, name: string, report: T, csv: (r: T, lang: CsvLang) => string): T | string {
  if (q.format !== 'csv') return report;
  const lang: CsvLang = q.lang ?? (/^ru\b/i.test(String(reply.request.headers['accept-language'] ?? '')) ? 'ru' : 'en');
  const { period } = report as unknown as { period?: { from: string; to: string } };
  const suffix = period ? `-${period.from}-${period.to}` : '';
  reply.header('content-type', 'text/csv; charset=utf-8');
  reply.header('content-disposition', `attachment; filename="${name}${suffix}.csv"`);
  return `\uFEFF${csv(report, lang)}`;
}

/**
 * Reports for the owner. Period: `from`/`to` local days (YYYY-MM-DD, inclusive) in BUSINESS_TIMEZONE,
 * default the last 30 days; filters `ownerId`, `channel`, `utmSource`, `utmCampaign`. `?format=csv`
 * answers the report's table as CSV. Managers get their own figures only (another ownerId → 403).
 */
@ApiTags('reports')
@Controller('api/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('funnel')
  async funnel(@CurrentViewer() viewer: Viewer, @Query({ schema: reportQuery }) q: Q, @Res({ passthrough: true }) reply: FastifyReply): Promise<FunnelReport | string> {
    return respond(reply, q, 'funnel', await this.reports.funnel(viewer, q), reportCsv.funnel);
  }

  @Get('sources')
  async sources(@CurrentViewer() viewer: Viewer, @Query({ schema: reportQuery }) q: Q, @Res({ passthrough: true }) reply: FastifyReply): Promise<LeadSourcesReport | string> {
    return respond(reply, q, 'lead-sources', await this.reports.leadSources(viewer, q), reportCsv.sources);
  }

  @Get('managers')
  async managers(@CurrentViewer() viewer: Viewer, @Query({ schema: reportQuery }) q: Q, @Res({ passthrough: true }) reply: FastifyReply): Promise<ManagersReport | string> {
    return respond(reply, q, 'managers', await this.reports.managers(viewer, q), reportCsv.managers);
  }

  @Get('sla')
  async sla(@CurrentViewer() viewer: Viewer, @Query({ schema: reportQuery }) q: Q, @Res({ passthrough: true }) reply: FastifyReply): Promise<SlaReport | string> {
    return respond(reply, q, 'sla', await this.reports.sla(viewer, q), reportCsv.sla);
  }

  /** Every never-answered lead of the period, oldest first (cursor-paginated; CSV gives the page). */
  @Get('sla/unanswered')
  async unanswered(
    @CurrentViewer() viewer: Viewer,
    @Query({ schema: unansweredQuery }) q: z.infer<typeof unansweredQuery>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Page<UnansweredLead> | string> {
    const page = await this.reports.unanswered(viewer, q);
    return respond(reply, q, 'never-answered', page, (p, lang) => reportCsv.unanswered(p.items, lang));
  }
}
