import { ChannelStatusRegistry, DomainError, ErrorCode, type ChannelMediaSource } from '@leadline/core';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { GraphApiError, WhatsAppGraphClient, type GraphMediaInfo } from './whatsapp-graph.client';
import type { WaMediaRef } from './whatsapp.mapper';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, whatsappStatusName, type WhatsAppOptions } from './whatsapp.options';

/**
 * Types a browser may render inline from our origin. Anything else (HTML, SVG, XML, scripts a client
 * sent as a "document") is served as a download, so a file cannot run in the admin UI's origin.
 */
const INLINE_TYPES = /^(image\/(jpeg|png|gif|webp)|audio\/(ogg|mpeg|mp4|aac|amr|opus|webm)|video\/(mp4|3gpp|webm)|application\/pdf)$/;

/**
 * Client files stay at Meta (kept there about 30 days); the hub fetches them on demand through the
 * Graph API two-step (media id → short-lived URL → bytes, both with the bearer token), so the token
 * never reaches the browser.
 */
@Injectable()
export class WhatsAppMediaSource implements ChannelMediaSource {
  constructor(
    private readonly graph: WhatsAppGraphClient,
    private readonly status: ChannelStatusRegistry,
    @Inject(WHATSAPP_OPTIONS) private readonly options: WhatsAppOptions,
  ) {}

  async stream(activityId: string, details: Record<string, unknown>, reply: FastifyReply): Promise<FastifyReply> {
    const media = details.media as WaMediaRef | undefined;
    if (!media || typeof media.id !== 'string' || !media.id) throw DomainError.notFound('media');
    let res: Response;
    let info: GraphMediaInfo;
    try {
      info = await this.graph.mediaInfo(media.id);
      res = await this.graph.download(info.url);
    } catch (err) {
      const status = err instanceof GraphApiError ? err.status : 0;
      if (status === 401 || status === 403 || (err instanceof GraphApiError && err.code === 190)) {
        // An expired or revoked token stops every download: the operator must see it on the channel status.
        this.status.report(WHATSAPP_CHANNEL, whatsappStatusName(this.options), 'error', `Graph API refused the access token: ${(err as Error).message} (renew WHATSAPP_ACCESS_TOKEN)`);
        throw new DomainError(ErrorCode.Unavailable, 'WhatsApp refused the hub\'s access token; an admin must renew WHATSAPP_ACCESS_TOKEN');
      }
      if (status >= 400 && status < 500) {
        // Meta deletes media after about 30 days, and refuses ids of another app: gone for good.
        throw DomainError.notFound(`media (WhatsApp no longer gives this file: ${(err as Error).message})`);
      }
      throw new DomainError(ErrorCode.Unavailable, `WhatsApp media download failed: ${(err as Error).message}`);
    }
    this.status.report(WHATSAPP_CHANNEL, whatsappStatusName(this.options), 'connected');
    const contentType = baseType(media.mimeType ?? info.mime_type ?? res.headers.get('content-type'));
    const inline = INLINE_TYPES.test(contentType);
    const name = fileName(media, activityId);
    reply
      .header('Content-Type', contentType)
      .header('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${asciiName(name)}"; filename*=UTF-8''${encodeURIComponent(name)}`)
      .header('Cache-Control', 'private, max-age=300')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; media-src 'self'");
    const length = res.headers.get('content-length');
    if (length && /^\d+$/.test(length)) reply.header('Content-Length', length);
    return reply.send(Readable.fromWeb(res.body as never));
  }
}

/** "image/jpeg; charset=…" → "image/jpeg"; anything unparsable → octet-stream. */
function baseType(type: string | null | undefined): string {
  const t = String(type ?? '').split(';')[0].trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(t) ? t : 'application/octet-stream';
}

function fileName(media: WaMediaRef, activityId: string): string {
  const given = String(media.fileName ?? '').replace(/[\u0000-\u001f\u007f"\\/]/g, '').trim();
  return given || `whatsapp-${media.type}-${activityId.slice(0, 8)}`;
}

function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}
