import { AuditService, type Viewer } from '@leadline/core';
import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { from, mergeMap, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { auditedRoute, type AuditedRoute, type SnapshotTarget } from './audit-routes';

const MAX_BODY_CHARS = 8_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type AuditedRequest = FastifyRequest & { viewer?: Viewer };

/**
 * Writes the audit entry of every audited route (see audit-routes.ts): the affected rows are read
 * from the database before the handler runs and again after it succeeded, so before/after show what
 * the database held, not what the request asked for. Failed requests write nothing. An entry that
 * cannot be written after a committed change is logged, never turned into an error for a change
 * that did happen.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly log = new Logger('audit');

  constructor(
    private readonly audit: AuditService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<AuditedRequest>();
    const viewer = req.viewer;
    const route = viewer ? auditedRoute(req.method, req.routeOptions?.url, (req.params ?? {}) as Record<string, string>) : null;
    if (!viewer || !route) return next.handle();
    const before = route.target ? await this.snapshot(route.target) : null;
    return next.handle().pipe(
      mergeMap((result) =>
        from(
          this.write(req, viewer, route, before, result).then(
            () => result,
            (err: unknown) => {
              this.log.error(`audit entry for ${route.action} not written: ${(err as Error).message}`);
              return result;
            },
          ),
        ),
      ),
    );
  }

  private async write(req: AuditedRequest, viewer: Viewer, route: AuditedRoute, before: unknown, result: unknown): Promise<void> {
    const createdId = route.createdTable ? idOf(result) : null;
    const after = route.target ? await this.snapshot(route.target) : createdId && route.createdTable ? await this.snapshot({ table: route.createdTable, column: 'id', id: createdId }) : null;
    const entityId = route.target && !route.target.many ? route.target.id : (createdId ?? route.target?.id ?? null);
    const body = requestBody(req);
    await this.audit.record({
      actor: { id: viewer.id, name: viewer.name },
      action: route.action,
      entityType: route.entityType,
      entityId,
      summary: summaryOf(route, after ?? before, entityId),
      before,
      after,
      details: {
        ...(Object.keys((req.query ?? {}) as object).length ? { query: req.query } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(hasPassword(req.body) ? { passwordChanged: true } : {}),
        ...(route.action === 'import.run' ? { result: importTotals(result) } : {}),
      },
      ip: req.ip,
      request: { method: req.method, path: req.url.split('?')[0] },
    });
  }

  private async snapshot(t: SnapshotTarget): Promise<unknown> {
    if (!UUID.test(t.id) || !/^[a-z_]+$/.test(t.table) || !/^[a-z_]+$/.test(t.column)) return null;
    const rows: Array<{ row: unknown }> = await this.db.query(
      t.many
        ? `SELECT COALESCE(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]'::jsonb) AS row FROM ${t.table} x WHERE x.${t.column} = $1`
        : `SELECT to_jsonb(x) AS row FROM ${t.table} x WHERE x.${t.column} = $1`,
      [t.id],
    );
    return rows[0]?.row ?? null;
  }
}

function idOf(result: unknown): string | null {
  const id = result && typeof result === 'object' ? (result as { id?: unknown }).id : undefined;
  return typeof id === 'string' && UUID.test(id) ? id : null;
}

/** The JSON body as sent (secrets redacted by the audit service); other bodies (files) by size only. */
function requestBody(req: FastifyRequest): unknown {
  const body = req.body;
  if (body === undefined || body === null) return undefined;
  if (Buffer.isBuffer(body) || typeof body === 'string') return { bytes: Buffer.byteLength(body as Buffer | string) };
  const json = JSON.stringify(body);
  if (json.length <= MAX_BODY_CHARS) return body;
  return { truncated: true, bytes: json.length, keys: Object.keys(body as object) };
}

function hasPassword(body: unknown): boolean {
  return !!body && typeof body === 'object' && typeof (body as { password?: unknown }).password === 'string';
}

function importTotals(result: unknown): unknown {
  if (!result || typeof result !== 'object') return null;
  const r = result as Record<string, unknown>;
  return r.totals ?? null;
}

/** "manager.update: Anna Petrova" — the row's name, title or email, else its id. */
function summaryOf(route: AuditedRoute, row: unknown, entityId: string | null): string {
  const r = row && typeof row === 'object' && !Array.isArray(row) ? (row as Record<string, unknown>) : {};
  const label = [r.name, r.title, r.email, r.subject].find((v) => typeof v === 'string' && v.trim()) as string | undefined;
  return label ? `${route.action}: ${label}` : entityId ? `${route.action}: ${entityId}` : route.action;
}
