import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { sessionOf } from '../auth/auth.guard';
import { SessionsService } from '../auth/sessions.service';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';
import { storageKind } from '../database/data-source.options';

const CHECK_MS = 2000;

interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * Liveness for load balancers and monitors: status only, to anyone. An admin's session gets the
 * detailed view (storage, latency, the error, pool use); outsiders learn nothing about the setup.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sessions: SessionsService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Public()
  @Get()
  @ApiResponse({ status: 200, description: '{status: "ok", database: "ok"}; an admin session also gets `details`' })
  @ApiResponse({ status: 503, description: '{status: "unavailable", database: "unavailable"} with Retry-After: the database does not answer' })
  async check(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const started = Date.now();
    let error = false;
    try {
      await withTimeout(this.db.query('SELECT 1'), CHECK_MS, 'database check timed out');
    } catch {
      // The cause is in the warn line of whatever request met it; here only the fact.
      error = true;
    }
    const latencyMs = Date.now() - started;
    reply.header('Cache-Control', 'no-store');
    if (error) reply.status(503).header('Retry-After', '5');
    const summary = error ? { status: 'unavailable', database: 'unavailable' } : { status: 'ok', database: 'ok' };
    if (!(await this.isAdmin(req, error))) return summary;
    return {
      ...summary,
      details: {
        storage: storageKind(this.config),
        databaseLatencyMs: latencyMs,
        pool: this.poolStats(),
        uptimeSeconds: Math.round(process.uptime()),
        memoryMb: Math.round(process.memoryUsage().rss / 1048576),
      },
    };
  }

  /** Only when the database answers can a session be checked; a failed check is "not an admin". */
  private async isAdmin(req: FastifyRequest, databaseDown: boolean): Promise<boolean> {
    const session = sessionOf(req);
    if (!session || databaseDown) return false;
    try {
      const viewer = await withTimeout(this.sessions.resolve(session.token), CHECK_MS, 'session check timed out');
      return viewer?.role === 'admin';
    } catch {
      return false;
    }
  }

  private poolStats(): PoolStats | null {
    const pool = (this.db.driver as unknown as { master?: Partial<PoolStats> }).master;
    if (!pool || typeof pool.totalCount !== 'number') return null;
    return { totalCount: pool.totalCount, idleCount: pool.idleCount ?? 0, waitingCount: pool.waitingCount ?? 0 };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  return Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref())]);
}
