import { ChannelRegistry, ContactsService, DomainError, type Viewer } from '@leadline/core';
import { Controller, Get, Module, Param, ParseUUIDPipe, Req, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';

const viewerOf = (req: FastifyRequest): Viewer => (req as FastifyRequest & { viewer: Viewer }).viewer;

/**
 * GET /api/activities/:id/media: one route for every channel that keeps client files at its provider.
 * The entry's channel streams it (ChannelPlugin.media), so the provider's token never reaches the browser.
 */
@ApiTags('contacts')
@Controller('api/activities')
export class ActivityMediaController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsService,
    private readonly channels: ChannelRegistry,
  ) {}

  @Get(':id/media')
  @ApiResponse({ status: 200, description: 'The file: raster images, audio, video and PDF inline, anything else as a download' })
  @ApiResponse({ status: 404, description: 'No such activity, not yours, or it has no file kept at a provider' })
  async media(@Param('id', ParseUUIDPipe) id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const [a]: Array<{ contact_id: string; channel: string | null; details: Record<string, unknown> | null }> = await this.db.query(
      `SELECT contact_id, channel, payload->'details' AS details FROM activity WHERE id = $1`,
      [id],
    );
    if (!a) throw DomainError.notFound('activity');
    await this.contacts.assertVisible(viewerOf(req), a.contact_id);
    const source = a.channel ? this.channels.get(a.channel)?.media : undefined;
    if (!source || !a.details?.media) throw DomainError.notFound('media');
    return source.stream(id, a.details, reply);
  }
}

/** The media route, whatever channels this hub runs. */
@Module({ controllers: [ActivityMediaController] })
export class ActivityMediaModule {}
