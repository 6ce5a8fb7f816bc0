import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Bot API call the fake received. */
export interface RecordedCall {
  token: string;
  method: string;
  params: Record<string, any>;
  /** Files uploaded with the call (multipart/form-data), by field name. */
  uploads: Record<string, UploadedFile>;
  at: number;
}

export interface UploadedFile {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** Bot API methods that send a file, and the field carrying it (photo, document, …). */
const FILE_METHODS: Record<string, string> = {
  sendPhoto: 'photo',
  sendDocument: 'document',
  sendVoice: 'voice',
  sendAudio: 'audio',
  sendVideo: 'video',
  sendVideoNote: 'video_note',
  sendSticker: 'sticker',
};
/** Fields a multipart request carries as JSON-serialized objects. */
const JSON_FIELDS = new Set(['reply_markup', 'reply_parameters', 'link_preview_options', 'caption_entities', 'entities']);

interface ScriptedError {
  method: string;
  chatId?: string;
  error_code: number;
  description: string;
  parameters?: Record<string, unknown>;
  /** Let this many matching calls succeed first (fail the second part of a long message). */
  skip?: number;
}

interface Waiter {
  offset: number;
  resolve: (updates: unknown[]) => void;
  conflict: () => void;
  timer: NodeJS.Timeout;
}

/**
 * A local Telegram Bot API server speaking the documented wire format (`/bot<token>/<method>`, JSON
 * in, `{ok, result}` / `{ok:false, error_code, description, parameters}` out). The hub's real
 * telegraf client talks to it through TELEGRAM_API_ROOT. It records every call, serves getUpdates
 * as a long poll, files under /file/bot<token>/, and can be told to fail the next calls (429, 403).
 * Like Telegram, a second getUpdates for the same bot ends the one still waiting with 409 Conflict.
 */
export class FakeBotApi {
  readonly calls: RecordedCall[] = [];
  /** getUpdates long polls ended with 409 because another getUpdates for the same bot came in. */
  conflicts = 0;
  private server!: Server;
  private nextMessageId = 1000;
  private readonly bots = new Map<string, { id: number; username: string; first_name: string }>();
  private readonly queues = new Map<string, Array<{ update_id: number }>>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly errors: ScriptedError[] = [];
  /** file_id → file. A file_id belongs to the bot that received or sent it (`token`; null = every bot). */
  private readonly files = new Map<string, { path: string; content: Buffer; token: string | null }>();
  private nextFileId = 1;
  webhook = new Map<string, Record<string, any>>();
  url = '';

  static async start(): Promise<FakeBotApi> {
    const fake = new FakeBotApi();
    fake.server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    for (const list of this.waiters.values()) for (const w of list) {
      clearTimeout(w.timer);
      w.resolve([]);
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addBot(token: string, username: string): void {
    this.bots.set(token, { id: Number(token.split(':')[0]), username, first_name: username });
  }

  /** A file Telegram holds; `token`: the bot whose file_id this is (file ids are per bot), default every bot. */
  addFile(fileId: string, path: string, content: Buffer, token: string | null = null): void {
    this.files.set(fileId, { path, content, token });
  }

  /** What the bot `token` uploaded with its file-sending calls, in order. */
  uploads(token?: string): Array<RecordedCall & { field: string; file: UploadedFile }> {
    return this.calls
      .filter((c) => FILE_METHODS[c.method] && (token === undefined || c.token === token) && c.uploads[FILE_METHODS[c.method]])
      .map((c) => ({ ...c, field: FILE_METHODS[c.method], file: c.uploads[FILE_METHODS[c.method]] }));
  }

  /** The next `method` call (to `chatId`, if given) fails with this Bot API error. */
  failNext(method: string, error: Omit<ScriptedError, 'method'>): void {
    this.errors.push({ method, ...error });
  }

  /** Queues an update for getUpdates (long polling). */
  pushUpdate(token: string, update: { update_id: number }): void {
    const q = this.queues.get(token) ?? [];
    q.push(update);
    this.queues.set(token, q);
    const waiting = this.waiters.get(token) ?? [];
    this.waiters.set(token, []);
    for (const w of waiting) {
      clearTimeout(w.timer);
      w.resolve(this.pending(token, w.offset));
    }
  }

  pendingCount(token: string): number {
    return (this.queues.get(token) ?? []).length;
  }

  sent(method = 'sendMessage', chatId?: number | string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && (chatId === undefined || String(c.params.chat_id) === String(chatId)));
  }

  lastSent(chatId: number | string): RecordedCall | undefined {
    return this.sent('sendMessage', chatId).at(-1);
  }

  clear(): void {
    this.calls.length = 0;
  }

  private pending(token: string, offset: number): unknown[] {
    // Asking with an offset confirms every earlier update: Telegram forgets them.
    const q = (this.queues.get(token) ?? []).filter((u) => u.update_id >= offset);
    this.queues.set(token, q);
    return q.slice(0, 100);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (file) {
      const found = [...this.files.values()].find((f) => f.path === file[2] && (!f.token || f.token === file[1]));
      if (!this.bots.has(file[1]) || !found) return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': found.content.length });
      res.end(found.content);
      return;
    }
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    const bot = m ? this.bots.get(m[1]) : undefined;
    if (!m || !bot) return this.reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const [, token, method] = m;
    const raw = Buffer.concat(chunks);
    let params: Record<string, any> = Object.fromEntries(url.searchParams);
    const uploads: Record<string, UploadedFile> = {};
    const contentType = String(req.headers['content-type'] ?? '');
    if (contentType.startsWith('multipart/form-data')) {
      // Uploads (sendPhoto & co.) come as multipart/form-data: files as parts, other fields as text (objects JSON-serialized).
      const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
      for (const [key, value] of form.entries()) {
        if (typeof value === 'string') params[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
        else uploads[key] = { filename: value.name, contentType: value.type, content: Buffer.from(await value.arrayBuffer()) };
      }
    } else if (raw.length) params = { ...params, ...JSON.parse(raw.toString('utf8')) };
    this.calls.push({ token, method, params, uploads, at: Date.now() });

    const idx = this.errors.findIndex((e) => e.method === method && (e.chatId === undefined || e.chatId === String(params.chat_id)));
    if (idx >= 0 && this.errors[idx].skip) this.errors[idx].skip!--;
    else if (idx >= 0) {
      const [e] = this.errors.splice(idx, 1);
      return this.reply(res, e.error_code, { ok: false, error_code: e.error_code, description: e.description, ...(e.parameters ? { parameters: e.parameters } : {}) });
    }
    const ok = (result: unknown) => this.reply(res, 200, { ok: true, result });
    const now = Math.floor(Date.now() / 1000);
    const message = (extra: Record<string, unknown> = {}) => ({
      message_id: this.nextMessageId++,
      from: { id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username },
      chat: { id: Number(params.chat_id), type: 'private' },
      date: now,
      ...extra,
    });
    switch (method) {
      case 'getMe':
        return ok({ id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username, can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false });
      case 'setWebhook':
        this.webhook.set(token, params);
        return ok(true);
      case 'deleteWebhook':
        this.webhook.delete(token);
        return ok(true);
      case 'getUpdates': {
        if (this.webhook.has(token)) return this.reply(res, 409, { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
        // "Conflict: terminated by other getUpdates request": only one poller per bot at a time.
        for (const w of this.waiters.get(token) ?? []) {
          clearTimeout(w.timer);
          this.conflicts++;
          w.conflict();
        }
        this.waiters.set(token, []);
        const offset = Number(params.offset ?? 0);
        const ready = this.pending(token, offset);
        if (ready.length || !Number(params.timeout)) return ok(ready);
        const waiter: Waiter = {
          offset,
          resolve: (updates) => ok(updates),
          conflict: () =>
            this.reply(res, 409, {
              ok: false,
              error_code: 409,
              description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
            }),
          timer: setTimeout(() => {
            this.waiters.set(token, (this.waiters.get(token) ?? []).filter((w) => w !== waiter));
            ok([]);
          }, Number(params.timeout) * 1000),
        };
        this.waiters.set(token, [...(this.waiters.get(token) ?? []), waiter]);
        // The client gave up (a hub stopping): no longer waiting, so no conflict with the next poller.
        res.on('close', () => {
          clearTimeout(waiter.timer);
          this.waiters.set(token, (this.waiters.get(token) ?? []).filter((w) => w !== waiter));
        });
        return;
      }
      case 'sendMessage':
        if (String(params.text ?? '').length > 4096) return this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
        if (!String(params.text ?? '').trim()) return this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
        return ok(message({ text: params.text, ...(params.reply_markup ? { reply_markup: params.reply_markup } : {}) }));
      case 'editMessageText':
        return ok(message({ message_id: Number(params.message_id), text: params.text, edit_date: now }));
      case 'editMessageReplyMarkup':
        return ok(message({ message_id: Number(params.message_id), reply_markup: params.reply_markup }));
      case 'answerCallbackQuery':
        return ok(true);
      case 'sendPhoto':
      case 'sendDocument':
      case 'sendVoice':
      case 'sendAudio':
      case 'sendVideo':
      case 'sendVideoNote':
      case 'sendSticker': {
        const field = FILE_METHODS[method];
        const upload = uploads[field];
        if (String(params.caption ?? '').length > 1024) return this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message caption is too long' });
        let content: Buffer;
        if (upload) content = upload.content;
        else {
          // A file_id string: only one this bot knows (file ids are per bot).
          const known = this.files.get(String(params[field]));
          if (!known || (known.token && known.token !== token)) return this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: wrong file identifier/HTTP URL specified' });
          content = known.content;
        }
        const fileId = `F${this.nextFileId++}-${field}`;
        this.files.set(fileId, { path: `${field}s/file_${this.nextFileId}`, content, token });
        const meta = { file_id: fileId, file_unique_id: `u${fileId}`, file_size: content.length };
        const media =
          field === 'photo'
            ? { photo: [{ ...meta, width: 800, height: 600 }] }
            : { [field]: { ...meta, ...(upload ? { file_name: upload.filename, mime_type: upload.contentType } : {}), ...(field === 'voice' || field === 'video' || field === 'audio' || field === 'video_note' ? { duration: 1 } : {}) } };
        return ok(message({ ...media, ...(params.caption ? { caption: params.caption } : {}) }));
      }
      case 'getFile': {
        const f = this.files.get(String(params.file_id));
        if (!f || (f.token && f.token !== token)) return this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
        return ok({ file_id: params.file_id, file_unique_id: `u${params.file_id}`, file_size: f.content.length, file_path: f.path });
      }
      default:
        return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
