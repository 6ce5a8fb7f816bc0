import { Controller, Get, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Public } from '../shared/public-route';
import { annotateRequest } from '../shared/request-log';
import { WhatsAppDeliveriesService } from './whatsapp-deliveries.service';
import { verifyWhatsAppSignature, WHATSAPP_SIGNATURE_HEADER } from './whatsapp-signature';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, type WhatsAppOptions } from './whatsapp.options';

export const WHATSAPP_WEBHOOK_ROUTE = '/api/inbound/whatsapp';

/**
 * The Callback URL of the Meta app (WhatsApp → Configuration). GET is Meta's verification handshake;
 * POST carries signed deliveries of the `messages` field. Meta retries a delivery that is not
 * answered 200 and holds back later ones meanwhile, so 200 comes after commit and also for payloads
 * we failed on (kept as failed receipts); only a database outage answers 503.
 */
@Public()
@Controller('api/inbound/whatsapp')
export class WhatsAppWebhookController {
  private readonly log = new Logger('WhatsAppWebhook');

  constructor(
    private readonly deliveries: WhatsAppDeliveriesService,
    @Inject(WHATSAPP_OPTIONS) private readonly options: WhatsAppOptions,
  ) {}

  @Get()
  @ApiExcludeEndpoint()
  verify(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const q = req.query as Record<string, unknown>;
    annotateRequest(req, { channel: WHATSAPP_CHANNEL, step: 'verify' });
    if (q['hub.mode'] !== 'subscribe' || !sameSecret(q['hub.verify_token'], this.options.verifyToken)) {
      this.log.warn({ msg: 'whatsapp webhook verification refused', mode: q['hub.mode'] ?? null });
      return reply.status(403).send({ error: 'forbidden', message: 'hub.mode must be subscribe and hub.verify_token must match WHATSAPP_VERIFY_TOKEN' });
    }
    const challenge = q['hub.challenge'];
    if (typeof challenge !== 'string' || !challenge || challenge.length > 512) {
      return reply.status(400).send({ error: 'invalid', message: 'hub.challenge is missing', fields: { 'hub.challenge': 'required' } });
    }
    return reply.status(200).header('Content-Type', 'text/plain; charset=utf-8').header('X-Content-Type-Options', 'nosniff').send(challenge);
  }

  @Post()
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async receive(@Req() req: FastifyRequest & { rawBody?: Buffer }, @Res({ passthrough: true }) reply: FastifyReply) {
    annotateRequest(req, { channel: WHATSAPP_CHANNEL });
    const raw = req.rawBody;
    if (!raw || !verifyWhatsAppSignature(this.options.appSecret, raw, req.headers[WHATSAPP_SIGNATURE_HEADER])) {
      const reason = req.headers[WHATSAPP_SIGNATURE_HEADER] ? 'signature mismatch' : 'missing signature';
      this.log.warn({ msg: 'whatsapp delivery signature rejected', reason, bytes: raw?.length ?? 0 });
      annotateRequest(req, { outcome: 'unauthorized', reason });
      reply.status(401);
      return { error: 'unauthorized', message: 'missing or wrong X-Hub-Signature-256 (HMAC-SHA256 of the body with WHATSAPP_APP_SECRET)' };
    }
    // A database outage throws from here: 503, and Meta delivers again later.
    const outcome = await this.deliveries.process(req.body);
    annotateRequest(req, { outcome: 'accepted', ...outcome });
    return { ok: true, ...outcome };
  }
}

/** Constant time over fixed-length digests: neither the token's content nor its length leaks. */
function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || !given) return false;
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
