import type { Viewer } from '@leadline/core';
import { Controller, Get, Req, Res } from '@nestjs/common';
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
   */
  @Get()
  @ApiProduces('text/event-stream')
  stream(@CurrentViewer() viewer: Viewer, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    this.streams.attach(viewer, req, reply);
  }
}
