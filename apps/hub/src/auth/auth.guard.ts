import { DomainError, ErrorCode, type ManagerRole } from '@leadline/core';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PUBLIC_ROUTE, REQUIRED_ROLE, SESSION_COOKIE } from './auth.decorators';
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
    const token = tokenOf(req);
    const viewer = token ? await this.sessions.resolve(token) : null;
    if (!viewer) throw new DomainError(ErrorCode.Unauthorized, 'login required');
    req.viewer = viewer;
    const role = this.reflector.getAllAndOverride<ManagerRole | undefined>(REQUIRED_ROLE, targets);
    if (role && viewer.role !== role) throw new DomainError(ErrorCode.Forbidden, `only ${role}s may do this`);
    return true;
  }
}

export function tokenOf(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || null;
  const cookies = (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies;
  return cookies?.[SESSION_COOKIE] ?? null;
}
