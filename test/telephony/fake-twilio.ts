import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', '..', 'libs', 'channels', 'src', 'telephony', 'twilio', '__fixtures__');
export const MESSAGING_FIXTURES = join(__dirname, '..', '..', 'libs', 'channels', 'src', 'twilio-messaging', '__fixtures__');

export function fixture(name: string): Record<string, string> {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  form: Record<string, string | string[]>;
}

/** Fake audio bytes served as a recording. */
export const RECORDING_BYTES = Buffer.concat([Buffer.from('ID3'), randomBytes(2048)]);

/**
 * A local stand-in for Twilio's REST API at the HTTP boundary: records every request and answers
 * with Twilio's documented JSON (Calls.json and Messages.json create, error objects) and recording media, checking
 * Basic auth like Twilio does.
 */
export class FakeTwilio {
  readonly requests: RecordedRequest[] = [];
  /** The next calls.create answers this error (Twilio's error JSON) instead of a call. */
  failNextCreate: { status: number; body: unknown } | null = null;
  /** The next request's connection is dropped without an answer (Twilio unreachable mid-request). */
  dropNextConnection = false;
  /** Answers for the next Messages.json creates (HTTP status and a rest-error-* fixture of twilio-messaging). */
  readonly messageErrors: Array<{ status: number; fixture: string }> = [];
  /** Messages created (SMS and WhatsApp), in order, with the SID given to each. */
  readonly messages: Array<{ sid: string; form: Record<string, string | string[]> }> = [];
  /** Recordings Twilio no longer has (deleted): answered with Twilio's 20404 error JSON. */
  readonly deletedRecordings = new Set<string>();
  private server!: Server;

  constructor(private readonly accounts: Array<{ sid: string; token: string }>) {}

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  recordingUrl(accountSid: string, recordingSid: string): string {
    return `${this.origin}/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (this.dropNextConnection) {
        this.dropNextConnection = false;
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const form: Record<string, string | string[]> = {};
        for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
          const prev = form[k];
          form[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        }
        this.requests.push({ method: req.method ?? 'GET', path: url.pathname, headers: req.headers, form });
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const account = this.authorised(req);
        if (!account) return json(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
        let m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Calls\.json$/.exec(url.pathname);
        if (m && req.method === 'POST') {
          if (m[1] !== account) return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
          if (this.failNextCreate) {
            const f = this.failNextCreate;
            this.failNextCreate = null;
            return json(f.status, f.body);
          }
          const base = JSON.parse(readFileSync(join(FIXTURES, 'calls-create-response.json'), 'utf8'));
          const sid = `CA${randomBytes(16).toString('hex')}`;
          return json(201, { ...base, account_sid: account, sid, to: form.To, from: form.From, uri: `/2010-04-01/Accounts/${account}/Calls/${sid}.json` });
        }
        m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/.exec(url.pathname);
        if (m && req.method === 'POST') {
          if (m[1] !== account) return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
          const error = this.messageErrors.shift();
          if (error) return json(error.status, JSON.parse(readFileSync(join(MESSAGING_FIXTURES, `${error.fixture}.json`), 'utf8')));
          if (!form.To || (!form.From && !form.MessagingServiceSid)) return json(400, { code: 21604, message: "A 'From' phone number is required.", status: 400 });
          const base = JSON.parse(readFileSync(join(MESSAGING_FIXTURES, 'messages-create-response.json'), 'utf8'));
          const sid = `SM${randomBytes(16).toString('hex')}`;
          this.messages.push({ sid, form });
          return json(201, { ...base, account_sid: account, sid, to: form.To, from: form.From ?? null, body: form.Body, messaging_service_sid: form.MessagingServiceSid ?? null, uri: `/2010-04-01/Accounts/${account}/Messages/${sid}.json` });
        }
        m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Recordings\/(RE[0-9a-f]{32})\.mp3$/.exec(url.pathname);
        if (m && req.method === 'GET' && m[1] === account) {
          if (this.deletedRecordings.has(m[2])) return json(404, { code: 20404, message: `The requested resource /2010-04-01/Accounts/${account}/Recordings/${m[2]}.mp3 was not found`, more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 });
          res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(RECORDING_BYTES.length) });
          return res.end(RECORDING_BYTES);
        }
        json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private authorised(req: IncomingMessage): string | null {
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return null;
    const [sid, token] = Buffer.from(m[1], 'base64').toString('utf8').split(':');
    return this.accounts.some((a) => a.sid === sid && a.token === token) ? sid : null;
  }
}
