import type {} from '@fastify/cookie';
import { DomainError, RateLimiter, type Viewer } from '@leadline/core';
import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentViewer, Public, SESSION_COOKIE } from '../auth/auth.decorators';
import { sessionOf, tokenOf } from '../auth/auth.guard';
import { CSRF_COOKIE, csrfTokenFor } from '../auth/csrf';
import { SessionsService } from '../auth/sessions.service';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';
import { loginSchema } from './schemas';

// Ten failed tries a minute per client address and email: enough for typos, too few for guessing.
const LOGIN_ATTEMPTS_PER_MINUTE = 10;

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  private readonly limiter = new RateLimiter();

  constructor(
    private readonly sessions: SessionsService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body({ schema: loginSchema }) body: z.infer<typeof loginSchema>, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    // Keyed like the account lookup normalises the email, so ' A@x.com' cannot buy ten more guesses.
    // Counted before checking (so parallel guesses cannot slip through) and taken back on success.
    const key = `${req.ip}|${body.email.trim().toLowerCase()}`;
    const retryAfter = this.limiter.hit(key, LOGIN_ATTEMPTS_PER_MINUTE);
    if (retryAfter) {
      reply.header('Retry-After', String(retryAfter));
      reply.status(429);
      return { error: 'rate_limited', message: `too many login attempts, retry in ${retryAfter} s` };
    }
    const session = await this.sessions.login(body.email, body.password);
    this.limiter.undo(key);
    reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.COOKIE_SECURE,
      path: '/',
      expires: session.expiresAt,
    });
    this.setCsrfCookie(reply, session.token, session.expiresAt);
    return { token: session.token, expiresAt: session.expiresAt.toISOString(), user: session.viewer };
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const token = tokenOf(req);
    if (!token) throw DomainError.invalid('no session');
    await this.sessions.logout(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.clearCookie(CSRF_COOKIE, { path: '/' });
  }

  /** Who is logged in. A cookie session also gets its CSRF cookie (again), e.g. after the browser dropped it. */
  @Get('me')
  me(@CurrentViewer() viewer: Viewer, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Viewer {
    const session = sessionOf(req);
    if (session?.via === 'cookie') this.setCsrfCookie(reply, session.token);
    return viewer;
  }

  private setCsrfCookie(reply: FastifyReply, sessionToken: string, expires?: Date): void {
    reply.setCookie(CSRF_COOKIE, csrfTokenFor(sessionToken), {
      httpOnly: false,
      sameSite: 'strict',
      secure: this.config.COOKIE_SECURE,
      path: '/',
      ...(expires ? { expires } : {}),
    });
  }
}
