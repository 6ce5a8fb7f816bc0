import { Inject, Injectable } from '@nestjs/common';
import { WHATSAPP_OPTIONS, type WhatsAppOptions } from './whatsapp.options';

/** What GET /{media-id} answers. */
export interface GraphMediaInfo {
  url: string;
  mime_type?: string;
  sha256?: string;
  file_size?: number | string;
  id?: string;
}

/** A Graph API refusal or outage, with Meta's error code when it gave one. */
export class GraphApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: number | null,
  ) {
    super(message);
    this.name = 'GraphApiError';
  }
}

const TIMEOUT_MS = 15_000;

/** The few Graph API calls the inbound side needs: the media two-step, with the bearer token. */
@Injectable()
export class WhatsAppGraphClient {
  constructor(@Inject(WHATSAPP_OPTIONS) private readonly options: WhatsAppOptions) {}

  /** Step one: the media id → a short-lived download URL and the file's type and size. */
  async mediaInfo(mediaId: string): Promise<GraphMediaInfo> {
    const url = `${this.options.graphBaseUrl}/${this.options.graphVersion}/${encodeURIComponent(mediaId)}`;
    const res = await this.get(url);
    const body = (await res.json().catch(() => null)) as (GraphMediaInfo & { error?: { message?: string; code?: number } }) | null;
    if (!res.ok || !body || typeof body.url !== 'string') {
      throw new GraphApiError(`media ${mediaId}: ${body?.error?.message ?? `HTTP ${res.status}`}`, res.status, body?.error?.code ?? null);
    }
    return body;
  }

  /** Step two: the bytes behind that URL, with the same bearer (the URL alone is refused). */
  async download(url: string): Promise<Response> {
    const res = await this.get(url);
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new GraphApiError(`media download: HTTP ${res.status}`, res.status, null);
    }
    return res;
  }

  private async get(url: string): Promise<Response> {
    try {
      return await fetch(url, { headers: { authorization: `Bearer ${this.options.accessToken}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new GraphApiError(`Graph API unreachable: ${(err as Error).message}`, 0, null);
    }
  }
}
