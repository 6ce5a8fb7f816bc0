import { DomainError, ErrorCode } from '@leadline/core';
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';
import { MetricsService } from './metrics.service';

/**
 * GET /metrics (Prometheus text format). Off unless METRICS_ENABLED or METRICS_TOKEN is set (404, as if
 * the route did not exist); with METRICS_TOKEN, `Authorization: Bearer <token>` is required (401).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Public()
  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const token = this.config.METRICS_TOKEN;
    if (!token && !this.config.METRICS_ENABLED) throw new DomainError(ErrorCode.NotFound, 'metrics are off (set METRICS_TOKEN or METRICS_ENABLED)');
    if (token && !sameToken(authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '', token)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new DomainError(ErrorCode.Unauthorized, 'metrics need Authorization: Bearer <METRICS_TOKEN>');
    }
    const body = await this.metrics.render();
    reply.header('content-type', this.metrics.contentType()).header('cache-control', 'no-store').send(body);
  }
}

/** Constant time over fixed-length digests, so neither the token nor its length leaks. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
