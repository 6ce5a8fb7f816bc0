import { databaseErrorCause, DatabaseUnavailableError, DomainError, ErrorCode, isDatabaseUnavailable, MovedError } from '@leadline/core';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.Invalid]: 400,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Moved]: 301,
};

export interface ErrorBody {
  error: string;
  message: string;
  fields?: Record<string, string>;
  /** For `moved`: the id the record lives under now. */
  movedTo?: string;
}

/** One mapping from errors to HTTP: domain codes, framework HTTP errors, and "database down" → 503. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, headers } = this.describe(err, host.switchToHttp().getRequest<FastifyRequest>());
    if (status >= 500 && status !== 503) this.log.error(err instanceof Error ? err : String(err));
    // An outage is worth one warn line per refused request, with its cause (intake logs its own).
    if (status === 503 && isDatabaseUnavailable(err) && !(err instanceof DatabaseUnavailableError)) {
      const req = host.switchToHttp().getRequest<{ method?: string; url?: string }>();
      this.log.warn({ msg: 'database unavailable', method: req.method, path: req.url?.split('?')[0], cause: databaseErrorCause(err) });
    }
    for (const [k, v] of Object.entries(headers ?? {})) reply.header(k, v);
    reply.status(status).send(body);
  }

  describe(err: unknown, req?: Pick<FastifyRequest, 'url'>): { status: number; body: ErrorBody; headers?: Record<string, string> } {
    if (err instanceof MovedError) {
      // Same path (and query) with the survivor's id: GET /api/contacts/<old>/timeline → /api/contacts/<new>/timeline.
      const location = (req?.url ?? '').split(err.fromId).join(err.toId);
      return { status: 301, body: { error: err.code, message: err.message, movedTo: err.toId }, headers: location ? { Location: location } : undefined };
    }
    if (err instanceof DomainError) {
      const headers: Record<string, string> | undefined = err.code === ErrorCode.Unavailable ? { 'Retry-After': '5' } : undefined;
      return { status: STATUS[err.code], body: { error: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) }, headers };
    }
    if (isDatabaseUnavailable(err)) {
      return { status: 503, body: { error: 'unavailable', message: 'database unavailable, retry later' }, headers: { 'Retry-After': '5' } };
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      const res = err.getResponse() as string | { message?: unknown };
      const raw = typeof res === 'string' ? res : res?.message;
      const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : err.message;
      return { status, body: { error: errorName(status), message } };
    }
    const fastifyStatus = (err as { statusCode?: number })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return { status: fastifyStatus, body: { error: errorName(fastifyStatus), message: (err as Error).message } };
    }
    return { status: 500, body: { error: 'internal', message: 'internal error' } };
  }
}

function errorName(status: number): string {
  switch (status) {
    case 400:
      return 'invalid';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'internal' : 'bad_request';
  }
}
