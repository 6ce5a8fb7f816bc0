import type { Viewer } from '@leadline/core';
import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentViewer } from '../auth/auth.decorators';
import { EventStreams } from '../notifications/event-streams';

@ApiTags('notifications')
@Controller('api/events')
export class EventsController {
  constructor(private readonly streams: EventStreams) {}

  /**
   * Server-sent events for the logged-in manager: `event: notification` with the notification as
   * JSON data, for each new notice addressed to them; a comment line every 25 s keeps proxies open.
   * `?inbox=1` adds a data-less `event: inbox` whenever anyone's inbox lists changed (the admin UI's
   * live queue); without it the stream carries notifications only, as before.
   */
  @Get()
  @ApiProduces('text/event-stream')
  stream(@CurrentViewer() viewer: Viewer, @Req() req: FastifyRequest, @Res() reply: FastifyReply, @Query('inbox') inbox?: string): void {
    this.streams.attach(viewer, req, reply, { inboxPings: inbox === '1' || inbox === 'true' });
  }
}
