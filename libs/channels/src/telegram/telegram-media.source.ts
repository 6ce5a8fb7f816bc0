import { DomainError, ErrorCode, safeFileHeaders, type ChannelMediaSource } from '@leadline/core';
import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { TelegramBots } from './telegram-bots';

interface TelegramMediaRef {
  fileId?: string;
  mimeType?: string | null;
  fileName?: string | null;
  type?: string;
}

export const telegramNotConfigured = () => DomainError.conflict('Telegram is not configured (set TELEGRAM_BOT_TOKEN)');

/** Files clients sent through Telegram, streamed through the hub (the bot token never reaches the browser). */
@Injectable()
export class TelegramMediaSource implements ChannelMediaSource {
  constructor(private readonly bots: TelegramBots) {}

  async stream(activityId: string, details: Record<string, unknown>, reply: FastifyReply): Promise<FastifyReply> {
    const media = details.media as TelegramMediaRef | undefined;
    if (!media?.fileId) throw DomainError.notFound('media');
    const bot = [this.bots.client, this.bots.manager].find((b) => String(b.id) === String(details.botId));
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
        filename: media.fileName ?? `${media.type}-${activityId.slice(0, 8)}`,
        length: res.headers.get('content-length'),
        cacheControl: 'private, max-age=300',
      }),
    );
    return reply.send(Readable.fromWeb(res.body as never));
  }
}

/** With Telegram off, its old files cannot be fetched: say what turns it on. */
export const TELEGRAM_MEDIA_OFF: ChannelMediaSource = {
  stream: async (_activityId, details) => {
    if (!(details.media as TelegramMediaRef | undefined)?.fileId) throw DomainError.notFound('media');
    throw telegramNotConfigured();
  },
};
