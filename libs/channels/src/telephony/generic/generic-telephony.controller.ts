import { CallLogService, ChannelStatusRegistry, Clock, CORE_OPTIONS, normalizePhone, type CoreOptions } from '@leadline/core';
import { Controller, Headers, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../shared/public-route';
import { annotateRequest } from '../../shared/request-log';
import { ringStrategyFor, TELEPHONY_OPTIONS, type TelephonyOptions } from '../telephony-options';
import { genericCallPayload, mapGenericCall } from './generic-call.mapper';
import { checkGenericSignature, GENERIC_SIGNATURE_HEADER, GENERIC_TIMESTAMP_HEADER } from './generic-signature';

/** Name of the generic webhook in the channel status (as TelephonyModule reports it). */
const STATUS_NAME = 'generic webhook';

/**
 * Calls reported by any PBX or local provider as signed JSON (docs/telephony-generic-webhook.md).
 * The same call log, timeline, missed-call tasks and notices as Twilio.
 */
@ApiTags('inbound')
@Public()
@Controller('api/inbound/telephony')
export class GenericTelephonyController {
  private readonly log = new Logger('Telephony');

  constructor(
    @Inject(TELEPHONY_OPTIONS) private readonly options: TelephonyOptions,
    @Inject(CORE_OPTIONS) private readonly core: CoreOptions,
    private readonly calls: CallLogService,
    private readonly channelStatus: ChannelStatusRegistry,
    private readonly clock: Clock,
  ) {}

  @Post('generic')
  @HttpCode(200)
  @ApiHeader({ name: 'X-Leadline-Timestamp', required: true, description: 'Unix time in seconds when the request was signed; refused outside TELEPHONY_WEBHOOK_TOLERANCE_SECONDS' })
  @ApiHeader({ name: 'X-Leadline-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>", key TELEPHONY_WEBHOOK_SECRET>' })
  @ApiBody({ description: 'One call event: {callId, event: started|ringing|answered|completed|missed|recording, direction, from, to, manager, durationSeconds, recording}', schema: { type: 'object' } })
  @ApiResponse({ status: 200, description: '{status: applied|duplicate|stale, callId, contactId, ringStrategy, targets} — targets: whom to ring, owner first (for `started`); ringStrategy: one after another or all at once' })
  @ApiResponse({ status: 400, description: 'Not the documented payload' })
  @ApiResponse({ status: 403, description: 'Missing or wrong signature, or a timestamp outside the tolerance' })
  @ApiResponse({ status: 415, description: 'Not application/json' })
  async receive(
    @Req() req: FastifyRequest & { rawBody?: Buffer },
    @Headers(GENERIC_SIGNATURE_HEADER) signature: string | undefined,
    @Headers(GENERIC_TIMESTAMP_HEADER) timestamp: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    // The documented order: a body that is not JSON is refused as such before anything else.
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json') return reply.status(415).send({ error: 'unsupported_media_type', message: 'send application/json' });
    const secret = this.options.genericWebhookSecret!;
    const raw = req.rawBody ?? Buffer.alloc(0);
    const check = checkGenericSignature(secret, raw, { signature, timestamp }, this.clock.now().getTime(), this.options.genericWebhookToleranceSeconds);
    if (!check.ok) {
      this.log.warn({ msg: 'generic telephony signature rejected', reason: check.reason, bytes: raw.length });
      annotateRequest(req, { channel: 'phone', outcome: 'forbidden', reason: check.reason });
      // Anyone can send this: counted and shown, never turning the channel to "error".
      this.channelStatus.rejected('phone', STATUS_NAME, check.reason);
      return reply.status(403).send({ error: 'forbidden', message: `${check.reason}: sign "<${GENERIC_TIMESTAMP_HEADER}>.<body>" (docs/telephony-generic-webhook.md)` });
    }
    const parsed = genericCallPayload.safeParse(req.body);
    if (!parsed.success) {
      const fields = Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.') || 'body', i.message]));
      return reply.status(400).send({ error: 'invalid', message: 'not a call event (see docs/telephony-generic-webhook.md)', fields });
    }
    const event = mapGenericCall(parsed.data);
    annotateRequest(req, { channel: 'phone', provider: 'generic', providerCallId: event.providerCallId, eventKey: event.eventKey });

    let route = null;
    let created = false;
    let known = await this.calls.findByProviderId('generic', event.providerCallId);
    if (!known) {
      // The first report of a call opens it, whatever the event (a PBX may only send `completed`).
      if (event.direction === 'outbound') created = (await this.calls.reportOutbound(event)) === 'applied';
      else {
        route = await this.calls.startInbound({
          provider: 'generic',
          providerCallId: event.providerCallId,
          from: event.from ?? null,
          to: event.to ?? null,
          callerName: parsed.data.callerName ?? null,
          occurredAt: event.occurredAt,
          huntMax: this.options.huntMax,
          // The called company number as people type it ("8 495 765-43-21") → E.164, as the setting names it.
          ringStrategy: ringStrategyFor(this.options, normalizePhone(event.to, this.core.defaultPhoneRegion)),
          raw: parsed.data,
        });
        created = !route.duplicate;
      }
      known = await this.calls.findByProviderId('generic', event.providerCallId);
    }
    const outcome = event.type === 'started' ? (created ? 'applied' : 'duplicate') : await this.calls.apply(event);
    annotateRequest(req, { outcome, callId: known?.id });
    const targets = (route?.targets ?? known?.targets ?? []).map((t) => ({ managerId: t.managerId, name: t.name, phone: t.phone }));
    const ringStrategy = route?.ringStrategy ?? known?.ringStrategy ?? this.options.ringStrategy;
    return reply.status(200).send({ status: outcome, callId: known?.id ?? null, contactId: known?.contactId ?? null, ringStrategy, targets });
  }
}
