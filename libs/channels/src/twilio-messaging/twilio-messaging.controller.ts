import { ChannelStatusRegistry, Clock, DeliveryStatusService, IntakeService, isIngestFailure } from '@leadline/core';
import { Controller, Headers, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../shared/public-route';
import { annotateRequest } from '../shared/request-log';
import { checkTwilioSignature } from '../telephony/twilio/twilio-signature';
import { mapIncomingMessage, mapMessageStatus, SMS_CHANNEL, TwilioMessagePayloadError, type TwilioMessageParams } from './twilio-messaging.mapper';
import { TWILIO_MESSAGING_OPTIONS, type TwilioMessagingOptions } from './twilio-messaging.options';

/** An empty TwiML answer: the hub replies later, through a manager, never automatically. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * Twilio Messaging webhooks, for a number's "A message comes in" or a Messaging Service's incoming
 * message URL, and the status callbacks of our replies. Signed like voice webhooks (X-Twilio-Signature
 * over PUBLIC_URL + path with the token of the request's AccountSid, so subaccounts and Messaging
 * Service traffic are checked the same); nothing is read or stored before the check. 200 only after
 * the message is committed; a payload our code cannot map is kept as a failed receipt (still 200, as
 * Twilio does not redeliver messages); a database outage answers 503.
 */
@ApiExcludeController()
@Public()
@Controller('api/inbound/twilio/messaging')
export class TwilioMessagingController {
  private readonly log = new Logger('TwilioMessaging');

  constructor(
    @Inject(TWILIO_MESSAGING_OPTIONS) private readonly options: TwilioMessagingOptions,
    private readonly intake: IntakeService,
    private readonly deliveryStatus: DeliveryStatusService,
    private readonly channelStatus: ChannelStatusRegistry,
    private readonly clock: Clock,
  ) {}

  @Post()
  async incoming(@Req() req: FastifyRequest, @Headers('x-twilio-signature') signature: string | undefined, @Res() reply: FastifyReply) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    let event;
    try {
      event = mapIncomingMessage(params, this.options.numberPipelines);
    } catch (err) {
      const channel = /^whatsapp:/i.test(String(params.From ?? '')) ? 'whatsapp' : SMS_CHANNEL;
      const key = typeof params.MessageSid === 'string' && params.MessageSid ? params.MessageSid : `sha256:${createHash('sha256').update(JSON.stringify(params)).digest('hex')}`;
      await this.intake.recordFailure(channel, key, params, err);
      annotateRequest(req, { channel, outcome: 'failed', reason: (err as Error).message });
      if (!(err instanceof TwilioMessagePayloadError)) this.log.error({ msg: 'twilio message could not be mapped', error: (err as Error).message });
      return sendTwiml(reply);
    }
    // A database outage throws from here: 503.
    const result = await this.intake.ingest(event, params);
    if (isIngestFailure(result)) {
      annotateRequest(req, { channel: event.channel, outcome: 'failed', receiptId: result.receiptId });
      return sendTwiml(reply);
    }
    annotateRequest(req, { channel: event.channel, providerMessageId: event.externalId, contactId: result.contactId, dealId: result.dealId, duplicate: result.duplicate });
    this.log.log({ msg: 'twilio message', channel: event.channel, externalId: event.externalId, outcome: result.duplicate ? 'duplicate' : result.repeatLead ? 'message' : 'lead', contactId: result.contactId, dealId: result.dealId });
    return sendTwiml(reply);
  }

  /** Status callback of a reply: sent, delivered, read (WhatsApp), undelivered / failed with ErrorCode. */
  @Post('status')
  async status(@Req() req: FastifyRequest, @Headers('x-twilio-signature') signature: string | undefined, @Res() reply: FastifyReply) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    let update;
    try {
      update = mapMessageStatus(params, this.clock.now());
    } catch (err) {
      if (err instanceof TwilioMessagePayloadError) return reply.status(400).send({ error: 'invalid', message: err.message });
      throw err;
    }
    if (!update) return reply.status(204).send();
    const outcome = await this.deliveryStatus.apply(update);
    annotateRequest(req, { channel: update.channel, providerMessageId: update.providerMessageId, status: update.status, outcome });
    return reply.status(204).send();
  }

  /** The verified form parameters, or null after answering 403 (nothing is read or stored). */
  private verified(req: FastifyRequest, signature: string | undefined, reply: FastifyReply): TwilioMessageParams | null {
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as TwilioMessageParams) : {};
    const check = checkTwilioSignature(this.options.publicUrl, req.url, body, signature, this.options.accounts);
    if (!check.ok) {
      this.log.warn({ msg: 'twilio messaging signature rejected', reason: check.reason, expectedUrl: check.expectedUrl, accountSid: check.accountSid });
      annotateRequest(req, { channel: SMS_CHANNEL, outcome: 'forbidden', reason: check.reason });
      const known = check.accountSid && this.options.accounts.some((a) => a.sid === check.accountSid);
      this.channelStatus.rejected(SMS_CHANNEL, known ? `twilio ${check.accountSid}` : 'twilio', `${check.reason} (signed URL expected: ${check.expectedUrl})`);
      reply.status(403).send({ error: 'forbidden', message: 'invalid Twilio signature' });
      return null;
    }
    if (check.accountSid) this.channelStatus.report(SMS_CHANNEL, `twilio ${check.accountSid}`, 'connected');
    return body;
  }
}

function sendTwiml(reply: FastifyReply) {
  return reply.status(200).type('text/xml; charset=utf-8').send(EMPTY_TWIML);
}
