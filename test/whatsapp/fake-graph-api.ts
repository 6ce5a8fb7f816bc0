import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '../../libs/channels/src/whatsapp/__fixtures__');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

/** A message the hub sent: the number it went from and the JSON body of POST /{phone-number-id}/messages. */
export interface SentMessage {
  phoneNumberId: string;
  wamid: string;
  body: { messaging_product: string; to: string; type: string; text?: { body: string }; template?: { name: string; language: { code: string }; components?: unknown[] }; [k: string]: unknown };
}

interface StoredMedia {
  bytes: Buffer;
  mimeType: string;
}

/**
 * A local Graph API at its HTTP boundary, answering as Meta documents it: the media two-step
 * (GET /{version}/{media-id} → {url, mime_type, …}; GET that url → the bytes), sending messages
 * (POST /{version}/{phone-number-id}/messages → {messages: [{id: wamid}]}), uploading media
 * (POST /{version}/{phone-number-id}/media → {id}) and listing templates
 * (GET /{version}/{waba-id}/message_templates). Unknown ids and a wrong token get Meta's error shapes;
 * a test queues error answers (a fixture) for the next sends.
 */
export class FakeGraphApi {
  readonly requests: Array<{ method: string; path: string; authorization: string | undefined }> = [];
  /** Messages accepted, in order. */
  readonly sent: SentMessage[] = [];
  /** Files uploaded: their type and size. */
  readonly uploads: Array<{ phoneNumberId: string; bytes: number; contentType: string }> = [];
  /** Answers for the next POST …/messages, instead of accepting (HTTP status and a graph-error-* fixture). */
  readonly sendErrors: Array<{ status: number; fixture: string }> = [];
  private readonly media = new Map<string, StoredMedia>();
  private seq = 0;

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
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.answer(req, Buffer.concat(chunks), res));
  }

  private answer(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...(status === 401 ? { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token"' } : {}) });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return json(401, { error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190, fbtrace_id: 'AbCdEfGhIjK' } });
    }
    const send = /^\/v\d+\.\d+\/(\d+)\/messages$/.exec(url.pathname);
    if (send && req.method === 'POST') {
      const error = this.sendErrors.shift();
      if (error) return json(error.status, fixture(error.fixture));
      const body = JSON.parse(raw.toString('utf8')) as SentMessage['body'];
      if (body.messaging_product !== 'whatsapp' || !/^\d{6,15}$/.test(body.to)) {
        return json(400, { error: { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100, fbtrace_id: 'AbCdEfGhIjK' } });
      }
      const wamid = `wamid.HBgLOUT${String(++this.seq).padStart(6, '0')}${Date.now().toString(36)}`;
      this.sent.push({ phoneNumberId: send[1], wamid, body });
      const answer = fixture(body.type === 'template' ? 'graph-send-template-response' : 'graph-send-response') as { contacts: Array<{ input: string; wa_id: string }>; messages: Array<{ id: string }> };
      return json(200, { ...answer, contacts: [{ input: body.to, wa_id: body.to }], messages: [{ ...answer.messages[0], id: wamid }] });
    }
    const upload = /^\/v\d+\.\d+\/(\d+)\/media$/.exec(url.pathname);
    if (upload && req.method === 'POST') {
      this.uploads.push({ phoneNumberId: upload[1], bytes: raw.length, contentType: String(req.headers['content-type']) });
      return json(200, { id: `${1037543291543636 + ++this.seq}` });
    }
    const templates = /^\/v\d+\.\d+\/(\d+)\/message_templates$/.exec(url.pathname);
    if (templates && req.method === 'GET') return json(200, fixture('graph-templates'));
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
