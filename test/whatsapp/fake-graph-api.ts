import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredMedia {
  bytes: Buffer;
  mimeType: string;
}

/**
 * A local Graph API at its HTTP boundary, answering the media two-step as Meta documents it:
 * GET /{version}/{media-id} (bearer) → {messaging_product, url, mime_type, sha256, file_size, id};
 * GET that url (bearer again) → the bytes. Unknown ids and a wrong token get Meta's error shapes.
 */
export class FakeGraphApi {
  readonly requests: Array<{ path: string; authorization: string | undefined }> = [];
  private readonly media = new Map<string, StoredMedia>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** The token Meta accepts; a test changes it to play a revoked token. */
    public token: string,
  ) {}

  static async start(token: string): Promise<FakeGraphApi> {
    let self: FakeGraphApi | null = null;
    const server = createServer((req, res) => self!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FakeGraphApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token);
    return self;
  }

  addMedia(id: string, bytes: Buffer, mimeType: string): void {
    this.media.set(id, { bytes, mimeType });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ path: url.pathname + url.search, authorization: req.headers.authorization });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...(status === 401 ? { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token"' } : {}) });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return json(401, { error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190, fbtrace_id: 'AbCdEfGhIjK' } });
    }
    const download = /^\/whatsapp_business\/attachments\/$/.test(url.pathname);
    if (download) {
      const media = this.media.get(url.searchParams.get('mid') ?? '');
      if (!media) return json(404, { error: { message: 'media not found', code: 100 } });
      res.writeHead(200, { 'content-type': media.mimeType, 'content-length': String(media.bytes.length) });
      res.end(media.bytes);
      return;
    }
    const info = /^\/v\d+\.\d+\/(\d+)$/.exec(url.pathname);
    const media = info ? this.media.get(info[1]) : undefined;
    if (!info || !media) {
      return json(400, {
        error: {
          message: `Unsupported get request. Object with ID '${info?.[1] ?? url.pathname}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          type: 'GraphMethodException',
          code: 100,
          error_subcode: 33,
          fbtrace_id: 'AbCdEfGhIjK',
        },
      });
    }
    json(200, {
      messaging_product: 'whatsapp',
      url: `${this.url}/whatsapp_business/attachments/?mid=${info[1]}&ext=1765050000&hash=ATtest`,
      mime_type: media.mimeType,
      sha256: 'test-sha256',
      file_size: media.bytes.length,
      id: info[1],
    });
  }
}
