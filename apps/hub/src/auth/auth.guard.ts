import { DomainError, ErrorCode, type ManagerRole } from '@leadline/core';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PUBLIC_ROUTE, REQUIRED_ROLE, SESSION_COOKIE } from './auth.decorators';
import { CSRF_HEADER, csrfSatisfied } from './csrf';
import { SessionsService } from './sessions.service';

/** Every route needs a session (bearer token or cookie) unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { viewer?: unknown }>();
    const session = sessionOf(req);
    const viewer = session ? await this.sessions.resolve(session.token) : null;
    if (!viewer || !session) throw new DomainError(ErrorCode.Unauthorized, 'login required');
    if (!csrfSatisfied(req, session.token, session.via)) {
      throw new DomainError(ErrorCode.Forbidden, `cookie-authenticated ${req.method} needs the ${CSRF_HEADER} header (value of the leadline_csrf cookie)`);
    }
    req.viewer = viewer;
    const role = this.reflector.getAllAndOverride<ManagerRole | undefined>(REQUIRED_ROLE, targets);
    if (role && viewer.role !== role) throw new DomainError(ErrorCode.Forbidden, `only ${role}s may do this`);
    return true;
  }
}

export function tokenOf(req: FastifyRequest): string | null {
  return sessionOf(req)?.token ?? null;
}

/** The session token and where it came from (CSRF checks apply to cookies only). */
export function sessionOf(req: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) {
    const token = header.slice(7).trim();
    return token ? { token, via: 'bearer' } : null;
  }
  const cookies = (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies;
  const token = cookies?.[SESSION_COOKIE];
  return token ? { token, via: 'cookie' } : null;
}
