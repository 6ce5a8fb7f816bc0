import type { FastifyRequest } from 'fastify';

/** Fields a handler adds to the one access-log line of its request (dedupe key, ids, outcome). */
export function annotateRequest(req: FastifyRequest, fields: Record<string, unknown>): void {
  const r = req as FastifyRequest & { logContext?: Record<string, unknown> };
  r.logContext = { ...(r.logContext ?? {}), ...fields };
}

export function requestAnnotations(req: FastifyRequest): Record<string, unknown> | undefined {
  return (req as FastifyRequest & { logContext?: Record<string, unknown> }).logContext;
}
