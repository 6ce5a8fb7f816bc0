import { CallLogService, ChannelStatusRegistry, isDatabaseUnavailable, type CallEvent, type CallView } from '@leadline/core';
import { Controller, Headers, HttpCode, Inject, Logger, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../shared/public-route';
import { annotateRequest } from '../../shared/request-log';
import { ringStrategyFor, TELEPHONY_OPTIONS, type TelephonyOptions } from '../telephony-options';
import { checkTwilioSignature } from './twilio-signature';
import { mapDialResult, mapIncomingCall, mapLegStatus, mapRecordingCallback, mapStatusCallback, TwilioPayloadError, type TwilioParams } from './twilio-voice.mapper';
import { dialAllTwiml, dialLegTwiml, hangupTwiml, outboundBridgeTwiml, voicemailTwiml, type TwimlSettings } from './twiml';

/**
 * Twilio voice webhooks. Every request is verified (X-Twilio-Signature over PUBLIC_URL + exact path
 * and query, token of the request's AccountSid) before anything is read or stored; TwiML answers are
 * computed from the stored call, so a retried request gets the same answer and changes nothing.
 */
@ApiExcludeController()
@Public()
@Controller('api/inbound/twilio')
export class TwilioVoiceController {
  private readonly log = new Logger('Twilio');
  private readonly twiml: TwimlSettings;

  constructor(
    @Inject(TELEPHONY_OPTIONS) private readonly options: TelephonyOptions,
    private readonly calls: CallLogService,
    private readonly channelStatus: ChannelStatusRegistry,
  ) {
    this.twiml = {
      publicUrl: options.publicUrl,
      ringSeconds: options.ringSeconds,
      record: options.record,
      voiceLocale: options.voiceLocale,
      afterHoursMessage: options.afterHoursMessage,
      companyNumber: options.twilioNumber,
    };
  }

  /** "A call comes in": the caller becomes a lead; ring the owner, then the hunt list, then voicemail. */
  @Post('voice')
  async voice(@Req() req: FastifyRequest, @Headers('x-twilio-signature') signature: string | undefined, @Res() reply: FastifyReply) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    const start = mapIncomingCall(params, this.options.huntMax);
    const route = await this.calls.startInbound({ ...start, ringStrategy: ringStrategyFor(this.options, start.to) });
    annotateRequest(req, { channel: 'phone', providerCallId: params.CallSid, callId: route.callId, contactId: route.contactId, duplicate: route.duplicate });
    if (route.afterHours) return sendTwiml(reply, voicemailTwiml(this.twiml, route.callId, 'afterHours'));
    if (route.targets.length === 0) return sendTwiml(reply, voicemailTwiml(this.twiml, route.callId, 'voicemail'));
    if (route.ringStrategy === 'simultaneous') return sendTwiml(reply, dialAllTwiml(this.twiml, route.callId, route.targets, route.caller ?? this.options.twilioNumber));
    return sendTwiml(reply, dialLegTwiml(this.twiml, route.callId, 0, route.targets[0], route.caller ?? this.options.twilioNumber));
  }

  /**
   * <Dial action>: the Dial ended. Answered → done (DialCallSid names the bridged leg; in a sequential
   * hunt the leg index names the manager, in a ring-all the leg callback does); otherwise the next
   * manager of a sequential hunt, then voicemail.
   */
  @Post('dial')
  async dial(
    @Req() req: FastifyRequest,
    @Headers('x-twilio-signature') signature: string | undefined,
    @Query('callId') callId: string | undefined,
    @Query('leg') legParam: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    const call = await this.callOf(callId, params, reply);
    if (!call) return;
    const leg = Number(legParam ?? 0);
    const result = mapDialResult(params);
    annotateRequest(req, { channel: 'phone', callId: call.id, leg, dialStatus: result.dialStatus });
    if (result.answered) {
      const manager = call.direction === 'inbound' && call.ringStrategy === 'sequential' ? { id: call.targets[leg]?.managerId ?? null } : null;
      await this.calls.apply({
        provider: 'twilio',
        providerCallId: call.providerCallId!,
        type: 'answered',
        eventKey: `dial:${leg}`,
        manager,
        durationSeconds: result.durationSeconds,
        legId: result.dialCallSid,
        status: 'in-progress',
        raw: params,
      });
      return sendTwiml(reply, hangupTwiml());
    }
    if (call.direction === 'outbound') return sendTwiml(reply, hangupTwiml());
    const next = call.ringStrategy === 'sequential' && Number.isInteger(leg) && leg >= 0 ? call.targets[leg + 1] : undefined;
    if (next) return sendTwiml(reply, dialLegTwiml(this.twiml, call.id, leg + 1, next, call.from && /^\+\d+$/.test(call.from) ? call.from : this.options.twilioNumber));
    return sendTwiml(reply, voicemailTwiml(this.twiml, call.id, 'voicemail'));
  }

  /** A ring-all leg's status callback: whose phone answered (the child call's To). */
  @Post('leg')
  @HttpCode(204)
  async leg(
    @Req() req: FastifyRequest,
    @Headers('x-twilio-signature') signature: string | undefined,
    @Query('callId') callId: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    const call = callId ? await this.calls.findById(callId) : null;
    if (!call || !call.providerCallId || call.providerCallId !== params.ParentCallSid) return reply.status(404).send({ error: 'not_found', message: 'unknown call' });
    await this.applyEvent(req, reply, () => mapLegStatus(params));
  }

  /** <Record action>: the message is left (its file arrives on the recording callback). */
  @Post('voicemail')
  async voicemail(@Req() req: FastifyRequest, @Headers('x-twilio-signature') signature: string | undefined, @Res() reply: FastifyReply) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    return sendTwiml(reply, hangupTwiml());
  }

  /** Click-to-call: the manager picked up; connect them to the contact. */
  @Post('outbound')
  async outbound(
    @Req() req: FastifyRequest,
    @Headers('x-twilio-signature') signature: string | undefined,
    @Query('callId') callId: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    const call = await this.callOf(callId, params, reply);
    if (!call) return;
    if (call.direction !== 'outbound' || !call.to) return sendTwiml(reply, hangupTwiml());
    annotateRequest(req, { channel: 'phone', callId: call.id });
    return sendTwiml(reply, outboundBridgeTwiml(this.twiml, call.id, call.to));
  }

  /** StatusCallback: the call log, in SequenceNumber order; a final status ends the call. */
  @Post('status')
  @HttpCode(204)
  async status(@Req() req: FastifyRequest, @Headers('x-twilio-signature') signature: string | undefined, @Res() reply: FastifyReply) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    await this.applyEvent(req, reply, () => mapStatusCallback(params));
  }

  /** RecordingStatusCallback: attach the recording to its call (once per RecordingSid and status). */
  @Post('recording')
  @HttpCode(204)
  async recording(@Req() req: FastifyRequest, @Headers('x-twilio-signature') signature: string | undefined, @Res() reply: FastifyReply) {
    const params = this.verified(req, signature, reply);
    if (!params) return;
    await this.applyEvent(req, reply, () => mapRecordingCallback(params));
  }

  private async applyEvent(req: FastifyRequest, reply: FastifyReply, map: () => CallEvent | null) {
    let event;
    try {
      event = map();
    } catch (err) {
      if (err instanceof TwilioPayloadError) return reply.status(400).send({ error: 'invalid', message: err.message });
      throw err;
    }
    // A callback that says nothing about the call (a leg ringing or hanging up) is acknowledged and dropped.
    if (!event) return reply.status(204).send();
    try {
      const outcome = await this.calls.apply(event);
      annotateRequest(req, { channel: 'phone', providerCallId: event.providerCallId, eventKey: event.eventKey, outcome });
      if (outcome === 'unknown_call') this.log.warn({ msg: 'twilio callback for a call this hub does not know', providerCallId: event.providerCallId, eventKey: event.eventKey });
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      // A callback our code cannot process must not turn into Twilio retries forever; it is logged with its key.
      this.log.error({ msg: 'twilio callback failed', providerCallId: event.providerCallId, eventKey: event.eventKey, error: (err as Error).message });
    }
    return reply.status(204).send();
  }

  /** The call a Dial/outbound request is about: our id in the query, Twilio's CallSid in the body must agree. */
  private async callOf(callId: string | undefined, params: TwilioParams, reply: FastifyReply): Promise<CallView | null> {
    const call = callId ? await this.calls.findById(callId) : null;
    const sid = typeof params.CallSid === 'string' ? params.CallSid : null;
    if (!call || (call.providerCallId && call.providerCallId !== sid)) {
      reply.status(404).send({ error: 'not_found', message: 'unknown call' });
      return null;
    }
    return call;
  }

  /** The verified form parameters, or null after answering 403 (nothing is read or stored). */
  private verified(req: FastifyRequest, signature: string | undefined, reply: FastifyReply): TwilioParams | null {
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as TwilioParams) : {};
    const check = checkTwilioSignature(this.options.publicUrl, req.url, body, signature, this.options.twilioAccounts);
    if (!check.ok) {
      // Enough to diagnose a PUBLIC_URL or account misconfiguration, never a token or the signature.
      this.log.warn({ msg: 'twilio signature rejected', reason: check.reason, expectedUrl: check.expectedUrl, accountSid: check.accountSid, path: req.url.split('?')[0] });
      annotateRequest(req, { channel: 'phone', outcome: 'forbidden', reason: check.reason });
      // Anyone can send a request naming our AccountSid: counted and shown (a steady rate with no verified
      // traffic means PUBLIC_URL or the token is wrong), never the channel's "error".
      const known = check.accountSid && this.options.twilioAccounts.some((a) => a.sid === check.accountSid);
      this.channelStatus.rejected('phone', known ? `twilio ${check.accountSid}` : 'twilio', `${check.reason} (signed URL expected: ${check.expectedUrl})`);
      reply.status(403).send({ error: 'forbidden', message: 'invalid Twilio signature' });
      return null;
    }
    if (check.accountSid) this.channelStatus.report('phone', `twilio ${check.accountSid}`, 'connected');
    return body;
  }
}

function sendTwiml(reply: FastifyReply, xml: string) {
  return reply.status(200).type('text/xml; charset=utf-8').send(xml);
}
