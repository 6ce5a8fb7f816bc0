import { RetryLater } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Telegram } from 'telegraf';
import { ChatHolds } from './chat-holds';
import { TELEGRAM_OPTIONS, type TelegramOptions } from './telegram.options';

export type BotRole = 'client' | 'manager';

const floodLog = new Logger('Telegram');

/** One bot: its Bot API client (telegraf's Telegram, pointed at TELEGRAM_API_ROOT) and who it is. */
export class BotHandle {
  readonly id: number;
  readonly api: Telegram;
  private username: string | null = null;
  /** Chats this bot was told (429) to leave alone for a while. */
  readonly holds = new ChatHolds();

  constructor(
    readonly role: BotRole,
    readonly token: string,
    readonly apiRoot: string,
  ) {
    // The bot id is the token's first part; no network round trip needed to key updates by it.
    this.id = Number(token.split(':')[0]);
    // webhookReply false: answers go to the Bot API, never into a webhook response we do not write.
    this.api = new Telegram(token, { apiRoot, webhookReply: false });
    this.honourRetryAfter();
  }

  /**
   * Every call that writes to a chat goes through the chat's hold: a 429 with `retry_after` N holds
   * that chat (of this bot) for N s, and a write to a held chat is not sent. Both surface as
   * RetryLater, which the outbox turns into "due again in exactly that long" without holding up
   * deliveries to other chats or using up an attempt.
   */
  private honourRetryAfter(): void {
    const call = this.api.callApi.bind(this.api);
    const gated = async (method: string, payload: Record<string, unknown>, options?: unknown) => {
      const chat = /^(send|edit|copy|forward|delete)/.test(method) && payload?.chat_id !== undefined ? String(payload.chat_id) : null;
      if (chat === null) return call(method as never, payload as never, options as never);
      const held = this.holds.heldFor(chat);
      if (held > 0) throw new RetryLater(held, `Telegram flood control: chat ${chat} of the ${this.role} bot is held for ${Math.ceil(held / 1000)} s more`);
      try {
        return await call(method as never, payload as never, options as never);
      } catch (err) {
        if (telegramErrorCode(err) !== 429) throw err;
        const seconds = telegramRetryAfter(err) ?? 1;
        this.holds.hold(chat, seconds * 1000);
        floodLog.warn({ msg: 'telegram 429', bot: this.role, method, chatId: chat, retryAfter: seconds });
        throw new RetryLater(seconds * 1000, `Telegram 429 on ${method} to chat ${chat} (${this.role} bot): retry after ${seconds} s`);
      }
    };
    this.api.callApi = gated as Telegram['callApi'];
  }

  /** The bot's @username (for t.me links), asked once. */
  async getUsername(): Promise<string> {
    if (!this.username) {
      const me = await this.api.getMe();
      this.username = me.username;
    }
    return this.username;
  }

  /** Where Telegram keeps a file, e.g. for streaming it through the hub. */
  fileUrl(filePath: string): string {
    return `${this.apiRoot}/file/bot${this.token}/${filePath}`;
  }
}

/** The company bot and the manager bot (the same object when one token serves both). */
@Injectable()
export class TelegramBots {
  readonly client: BotHandle;
  readonly manager: BotHandle;

  constructor(@Inject(TELEGRAM_OPTIONS) readonly options: TelegramOptions) {
    this.client = new BotHandle('client', options.clientToken, options.apiRoot);
    this.manager = options.managerToken && options.managerToken !== options.clientToken ? new BotHandle('manager', options.managerToken, options.apiRoot) : this.client;
  }

  get shared(): boolean {
    return this.client === this.manager;
  }

  /** The distinct bots to receive updates for. */
  all(): BotHandle[] {
    return this.shared ? [this.client] : [this.client, this.manager];
  }

  byRole(role: string): BotHandle | null {
    if (role === 'client') return this.client;
    if (role === 'manager' && !this.shared) return this.manager;
    return null;
  }

  webhookUrl(bot: BotHandle): string {
    return `${this.options.publicUrl}/api/inbound/telegram/${bot.role}`;
  }

  describe(err: unknown): string {
    const e = err as { response?: { error_code?: number; description?: string }; message?: string };
    return e?.response?.description ? `${e.response.error_code}: ${e.response.description}` : (e?.message ?? String(err));
  }
}

/** The Bot API's answer code of a failed call (403 blocked, 429 flood, 400 bad request), if it was one. */
export function telegramErrorCode(err: unknown): number | null {
  const code = (err as { response?: { error_code?: unknown } })?.response?.error_code;
  return typeof code === 'number' ? code : null;
}

export function telegramRetryAfter(err: unknown): number | null {
  const s = (err as { response?: { parameters?: { retry_after?: unknown } } })?.response?.parameters?.retry_after;
  return typeof s === 'number' && s >= 0 ? s : null;
}
