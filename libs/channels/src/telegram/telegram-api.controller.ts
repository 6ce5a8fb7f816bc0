import { ContactsService, DomainError, ErrorCode, safeFileHeaders, type Viewer } from '@leadline/core';
import { Controller, Get, Inject, Optional, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { ActivityMediaSources } from '../shared/activity-media';
import { TelegramBots } from './telegram-bots';
import { TelegramLinkService } from './telegram-link.service';
import { TELEGRAM_OPTIONS, type TelegramOptions } from './telegram.options';

const viewerOf = (req: FastifyRequest): Viewer => (req as FastifyRequest & { viewer: Viewer }).viewer;
const notConfigured = () => DomainError.conflict('Telegram is not configured (set TELEGRAM_BOT_TOKEN)');

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

/** Files clients sent through Telegram, streamed through the hub (the bot token never reaches the browser). */
@ApiTags('contacts')
@Controller('api/activities')
export class TelegramMediaController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsService,
    @Optional() @Inject(TelegramBots) private readonly bots: TelegramBots | null,
    @Optional() @Inject(TELEGRAM_OPTIONS) private readonly options: TelegramOptions | null,
    @Optional() @Inject(ActivityMediaSources) private readonly otherSources: ActivityMediaSources | null,
  ) {}

  @Get(':id/media')
  @ApiResponse({ status: 200, description: 'The file: raster images, audio, video and PDF inline, anything else as a download' })
  @ApiResponse({ status: 404, description: 'No such activity, not yours, or it has no Telegram file' })
  async media(@Param('id', ParseUUIDPipe) id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const [a] = await this.db.query(`SELECT contact_id, channel, payload->'details' AS details FROM activity WHERE id = $1`, [id]);
    if (!a) throw DomainError.notFound('activity');
    await this.contacts.assertVisible(viewerOf(req), a.contact_id);
    // One route for every channel's files: other channels (WhatsApp) stream through their registered source.
    const other = a.channel !== 'telegram' && a.details?.media ? this.otherSources?.get(a.channel) : undefined;
    if (other) return other.stream(id, a.details, reply);
    const media = a.details?.media;
    if (a.channel !== 'telegram' || !media?.fileId) throw DomainError.notFound('media');
    if (!this.bots || !this.options) throw notConfigured();
    const bot = [this.bots.client, this.bots.manager].find((b) => String(b.id) === String(a.details.botId));
    if (!bot) throw DomainError.notFound('media (sent to a bot this hub no longer runs)');
    let url: string;
    try {
      const file = await bot.api.getFile(media.fileId);
      if (!file.file_path) throw new Error('Telegram gave no file path');
      url = bot.fileUrl(file.file_path);
    } catch (err) {
      // Bot API downloads stop at 20 MB; a bigger file stays only in Telegram.
      throw new DomainError(ErrorCode.Unavailable, `Telegram cannot give this file: ${this.bots.describe(err)}`);
    }
    const res = await fetch(url);
    if (!res.ok || !res.body) throw new DomainError(ErrorCode.Unavailable, `Telegram file download failed: ${res.status}`);
    // The sender chose mime_type and file name: the shared helper decides what may render inline.
    reply.headers(
      safeFileHeaders({
        contentType: media.mimeType ?? res.headers.get('content-type'),
        filename: media.fileName ?? `${media.type}-${id.slice(0, 8)}`,
        length: res.headers.get('content-length'),
        cacheControl: 'private, max-age=300',
      }),
    );
    return reply.send(Readable.fromWeb(res.body as never));
  }
}
