import { CALL_LAUNCHER, CallLogService, DomainError, safeFileHeaders, type CallLauncher, type Viewer } from '@leadline/core';
import { Body, Controller, Get, HttpCode, Inject, Optional, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallRecordings } from './call-recordings';
import { ProviderError } from './provider-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The hub's auth guard puts the logged-in manager on the request. */
function viewerOf(req: FastifyRequest): Viewer {
  return (req as FastifyRequest & { viewer: Viewer }).viewer;
}

/** Click-to-call and the call log's recordings, for logged-in managers. */
@ApiTags('calls')
@Controller('api/calls')
export class CallsController {
  constructor(
    private readonly calls: CallLogService,
    private readonly recordings: CallRecordings,
    @Optional() @Inject(CALL_LAUNCHER) private readonly launcher?: CallLauncher,
  ) {}

  /** Rings the manager's own phone, then connects them to the contact (company number as caller id). */
  @Post()
  @HttpCode(201)
  @ApiBody({ schema: { type: 'object', required: ['contactId'], properties: { contactId: { type: 'string', format: 'uuid' } } } })
  @ApiResponse({ status: 201, description: '{callId, status}' })
  @ApiResponse({ status: 400, description: 'No phone on the manager or the contact' })
  @ApiResponse({ status: 404, description: 'Unknown contact or not yours' })
  @ApiResponse({ status: 409, description: 'Telephony is not configured' })
  @ApiResponse({ status: 422, description: '{error: provider_rejected, providerCode, message}: the provider refused the number (e.g. Twilio 21211)' })
  @ApiResponse({ status: 502, description: '{error: provider_unavailable, providerCode, message}: the provider is unreachable or failing' })
  async start(@Req() req: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply) {
    const contactId = (body as { contactId?: unknown } | null)?.contactId;
    if (typeof contactId !== 'string' || !UUID.test(contactId)) throw DomainError.invalid('contactId is required', { contactId: 'a contact id (uuid)' });
    if (!this.launcher) throw DomainError.conflict('telephony is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_NUMBER');
    try {
      return reply.status(201).send(await this.launcher.start(viewerOf(req), contactId));
    } catch (err) {
      // Logged where it happened, as one line with the provider's code: answered as it is, no stack trace.
      if (err instanceof ProviderError) return reply.status(err.httpStatus).send(err.body);
      throw err;
    }
  }

  @Get(':id')
  async get(@Req() req: FastifyRequest, @Param('id') id: string) {
    const call = await this.calls.getForViewer(viewerOf(req), id);
    // The provider's media URL needs the account's credentials: clients play it through the hub.
    return { ...call, providerAccount: undefined, recording: call.recording ? { durationSeconds: call.recording.durationSeconds, url: `/api/calls/${call.id}/recording` } : null };
  }

  /** The call's recording, streamed through the hub (the provider's URL needs the account's credentials). */
  @Get(':id/recording')
  async recording(@Req() req: FastifyRequest, @Param('id') id: string, @Res() reply: FastifyReply) {
    const call = await this.calls.getForViewer(viewerOf(req), id);
    if (!call.recording) throw DomainError.notFound('recording');
    let stream;
    try {
      stream = await this.recordings.open(call);
    } catch (err) {
      if (err instanceof ProviderError) return reply.status(err.httpStatus).send(err.body);
      throw err;
    }
    reply.headers(safeFileHeaders({ contentType: stream.contentType, filename: `call-${call.id.slice(0, 8)}-recording`, length: stream.contentLength }));
    return reply.send(stream.body);
  }
}
