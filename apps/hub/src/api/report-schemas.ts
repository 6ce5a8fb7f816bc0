import { z } from 'zod';

// Dates are checked (real calendar day, order, span) by resolvePeriod so every period error names its field.
export const reportQuery = z.object({
  from: z.string().max(10).optional(),
  to: z.string().max(10).optional(),
  ownerId: z.uuid().optional(),
  channel: z.string().trim().min(1).max(50).optional(),
  utmSource: z.string().trim().min(1).max(500).optional(),
  utmCampaign: z.string().trim().min(1).max(500).optional(),
  pipelineId: z.uuid().optional(),
  format: z.enum(['json', 'csv']).optional(),
  // Column titles of the CSV; default: the request's Accept-Language (ru → Russian), else English keys.
  lang: z.enum(['en', 'ru']).optional(),
});

export const unansweredQuery = reportQuery.extend({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
