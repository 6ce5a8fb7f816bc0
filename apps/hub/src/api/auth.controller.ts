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
import { hashPassword } from '../auth/password';
import { changePasswordSchema, loginSchema } from './schemas';

// Ten failed tries a minute per client address and email: enough for typos, too few for guessing.
const LOGIN_ATTEMPTS_PER_MINUTE = 10;
// And per client address across all accounts (password spraying: one password tried on every
// account): 30 failures per 15 minutes, more than an office behind one NAT mistypes.
const LOGIN_FAILURES_PER_IP = 30;
const IP_WINDOW_MS = 15 * 60_000;

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  private readonly limiter = new RateLimiter();
  private readonly ipLimiter = new RateLimiter(IP_WINDOW_MS);

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
    const ipWait = this.ipLimiter.retryAfter(req.ip, LOGIN_FAILURES_PER_IP);
    const retryAfter = ipWait || this.limiter.hit(key, LOGIN_ATTEMPTS_PER_MINUTE);
    if (retryAfter) {
      reply.header('Retry-After', String(retryAfter));
      reply.status(429);
      return { error: 'rate_limited', message: `too many login attempts, retry in ${retryAfter} s` };
    }
    this.ipLimiter.hit(req.ip, LOGIN_FAILURES_PER_IP);
    const session = await this.sessions.login(body.email, body.password).catch((err: unknown) => {
      // A database error is not a failed guess: neither counter keeps it.
      if (!(err instanceof DomainError)) {
        this.limiter.undo(key);
        this.ipLimiter.undo(req.ip);
      }
      throw err;
    });
    this.limiter.undo(key);
    this.ipLimiter.undo(req.ip);
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

  /**
   * Self-service password change: needs the current password; every other session of this manager
   * ends (a stolen cookie stops working), this one stays logged in.
   */
  @Post('password')
  @HttpCode(204)
  async changePassword(
    @CurrentViewer() viewer: Viewer,
    @Body({ schema: changePasswordSchema }) body: z.infer<typeof changePasswordSchema>,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const key = `password|${viewer.id}`;
    const retryAfter = this.limiter.hit(key, LOGIN_ATTEMPTS_PER_MINUTE);
    if (retryAfter) {
      reply.header('Retry-After', String(retryAfter));
      reply.status(429);
      return { error: 'rate_limited', message: `too many wrong passwords, retry in ${retryAfter} s` };
    }
    await this.sessions.changeOwnPassword(viewer, body.currentPassword, await hashPassword(body.newPassword), tokenOf(req)!);
    this.limiter.undo(key);
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
