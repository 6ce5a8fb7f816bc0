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

/** A Graph API refusal or outage, with Meta's error code (and `error_data.details`) when it gave one. */
export class GraphApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: number | null,
    readonly details: string | null = null,
  ) {
    super(message);
    this.name = 'GraphApiError';
  }
}

const TIMEOUT_MS = 15_000;

/** A message as POST /{phone-number-id}/messages takes it, after `messaging_product` and `to`. */
export type GraphOutboundMessage =
  | { type: 'text'; text: { body: string; preview_url: boolean } }
  | { type: 'image' | 'video' | 'audio' | 'document'; image?: GraphMediaObject; video?: GraphMediaObject; audio?: GraphMediaObject; document?: GraphMediaObject }
  | { type: 'template'; template: { name: string; language: { code: string }; components?: Array<{ type: 'body'; parameters: Array<{ type: 'text'; text: string }> }> } };

export interface GraphMediaObject {
  id: string;
  caption?: string;
  filename?: string;
}

/** One template as GET /{waba-id}/message_templates lists it (the fields we ask for). */
export interface GraphTemplate {
  id?: string;
  name?: string;
  language?: string;
  status?: string;
  category?: string;
  components?: Array<{ type?: string; format?: string; text?: string; example?: { body_text?: string[][]; header_text?: string[] }; buttons?: Array<{ type?: string; text?: string }> }>;
}

interface GraphErrorBody {
  error?: { message?: string; code?: number; error_data?: { details?: string } };
}

/** The Graph API calls of the channel: the media two-step, sending messages and media, listing templates; all with the bearer token. */
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

  /** POST /{phone-number-id}/messages → the wamid Meta gave the message (its statuses come by webhook). */
  async sendMessage(phoneNumberId: string, to: string, message: GraphOutboundMessage): Promise<string> {
    const res = await this.call(`${this.base()}/${encodeURIComponent(phoneNumberId)}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to, ...message }),
    });
    const body = (await res.json().catch(() => null)) as ({ messages?: Array<{ id?: string }> } & GraphErrorBody) | null;
    const id = body?.messages?.[0]?.id;
    if (!res.ok || typeof id !== 'string' || !id) throw graphError('send', res.status, body);
    return id;
  }

  /** POST /{phone-number-id}/media (multipart): a manager's file uploaded to Meta → the media id a message refers to. */
  async uploadMedia(phoneNumberId: string, file: { content: Buffer; mimeType: string; fileName: string }): Promise<string> {
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', file.mimeType);
    form.append('file', new Blob([new Uint8Array(file.content)], { type: file.mimeType }), file.fileName);
    const res = await this.call(`${this.base()}/${encodeURIComponent(phoneNumberId)}/media`, { method: 'POST', body: form });
    const body = (await res.json().catch(() => null)) as ({ id?: string } & GraphErrorBody) | null;
    if (!res.ok || typeof body?.id !== 'string' || !body.id) throw graphError('media upload', res.status, body);
    return body.id;
  }

  /** Every template of the WhatsApp Business Account, following Meta's cursor paging. */
  async templates(wabaId: string): Promise<GraphTemplate[]> {
    const out: GraphTemplate[] = [];
    let url: string | null = `${this.base()}/${encodeURIComponent(wabaId)}/message_templates?fields=name,language,status,category,components&limit=100`;
    for (let page = 0; url && page < 20; page++) {
      const res = await this.call(url, {});
      const body = (await res.json().catch(() => null)) as ({ data?: GraphTemplate[]; paging?: { next?: string } } & GraphErrorBody) | null;
      if (!res.ok || !Array.isArray(body?.data)) throw graphError('templates', res.status, body);
      out.push(...body.data);
      // Meta's `next` is an absolute graph.facebook.com URL: keep only its query, on our configured origin.
      url = body.paging?.next ? `${this.base()}/${encodeURIComponent(wabaId)}/message_templates${new URL(body.paging.next).search}` : null;
    }
    return out;
  }

  private base(): string {
    return `${this.options.graphBaseUrl}/${this.options.graphVersion}`;
  }

  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.options.accessToken}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new GraphApiError(`Graph API unreachable: ${(err as Error).message}`, 0, null);
    }
  }

  private async get(url: string): Promise<Response> {
    try {
      return await fetch(url, { headers: { authorization: `Bearer ${this.options.accessToken}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new GraphApiError(`Graph API unreachable: ${(err as Error).message}`, 0, null);
    }
  }
}

function graphError(what: string, status: number, body: GraphErrorBody | null): GraphApiError {
  const e = body?.error;
  return new GraphApiError(`${what}: ${e?.message ?? `HTTP ${status}`}`, status, typeof e?.code === 'number' ? e.code : null, e?.error_data?.details ?? null);
}
