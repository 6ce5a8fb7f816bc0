import { Controller, HttpCode, Inject, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Public } from '../shared/public-route';
import { annotateRequest } from '../shared/request-log';
import { TelegramBots } from './telegram-bots';
import { TelegramUpdatesService } from './telegram-updates.service';
import { TELEGRAM_OPTIONS, type TelegramOptions } from './telegram.options';

export const TELEGRAM_WEBHOOK_ROUTE = '/api/inbound/telegram/:bot';

/**
 * Telegram posts updates here (webhook mode). The body arrives as text (see `telegramRawBody`) so a
 * malformed update is logged and acknowledged instead of being refused by the JSON parser: Telegram
 * would redeliver it forever and hold back that chat's later updates.
 */
@Controller('api/inbound/telegram')
export class TelegramWebhookController {
  private readonly log = new Logger('TelegramWebhook');

  constructor(
    private readonly bots: TelegramBots,
    private readonly updates: TelegramUpdatesService,
    @Inject(TELEGRAM_OPTIONS) private readonly options: TelegramOptions,
  ) {}

  @Public()
  @Post(':bot')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async receive(@Param('bot') role: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const bot = this.bots.byRole(role);
    const secret = this.options.webhookSecret;
    if (!bot || !secret) {
      reply.status(404);
      return { error: 'not_found', message: 'no Telegram webhook here' };
    }
    annotateRequest(req, { channel: 'telegram', bot: role });
    if (!sameSecret(req.headers['x-telegram-bot-api-secret-token'], secret)) {
      reply.status(401);
      return { error: 'unauthorized', message: 'wrong or missing X-Telegram-Bot-Api-Secret-Token' };
    }
    let update: unknown;
    try {
      update = typeof req.body === 'string' ? JSON.parse(req.body) : req.body;
    } catch (err) {
      this.log.warn({ msg: 'telegram update is not JSON, acknowledged', bot: role, error: (err as Error).message, sample: String(req.body).slice(0, 200) });
      annotateRequest(req, { outcome: 'malformed' });
      return { ok: true };
    }
    // A database outage throws from here: 503, and Telegram delivers the update again later.
    const result = await this.updates.process(bot, update as never);
    annotateRequest(req, { updateId: (update as { update_id?: unknown })?.update_id, ...result });
    return { ok: true };
  }
}

/** Constant time over fixed-length digests: neither the secret's content nor its length leaks. */
function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string' || !given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Fastify route hook for the webhook: read the body as text whatever its content type, so the
 * controller parses it (and survives garbage) itself.
 */
export function telegramRawBody(req: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  req.headers['content-type'] = 'text/plain; charset=utf-8';
  done();
}
