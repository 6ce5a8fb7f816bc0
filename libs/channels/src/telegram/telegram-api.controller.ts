import type { Viewer } from '@leadline/core';
import { Controller, Inject, Optional, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { telegramNotConfigured as notConfigured } from './telegram-media.source';
import { TelegramLinkService } from './telegram-link.service';

const viewerOf = (req: FastifyRequest): Viewer => (req as FastifyRequest & { viewer: Viewer }).viewer;

/** Telegram link codes for managers; there whether or not Telegram is configured, so the admin UI gets a clear answer. */
@ApiTags('managers')
@Controller('api/managers')
export class TelegramLinkController {
  constructor(@Optional() @Inject(TelegramLinkService) private readonly links: TelegramLinkService | null) {}

  /** One-time code (15 min) binding a Telegram account to the manager: open `url` in Telegram. Admins for anyone, managers for themselves. */
  @Post(':id/telegram-link')
  @ApiResponse({ status: 201, description: '{ code, url, expiresAt }' })
  @ApiResponse({ status: 409, description: 'Telegram is not configured, or the manager is deactivated' })
  async create(@Param('id', ParseUUIDPipe) id: string, @Req() req: FastifyRequest) {
    if (!this.links) throw notConfigured();
    return this.links.create(viewerOf(req), id);
  }
}
