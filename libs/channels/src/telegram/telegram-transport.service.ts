import { AdvisoryLeases, ChannelStatusRegistry, isDatabaseUnavailable, type Lease } from '@leadline/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { TelegramBots, type BotHandle } from './telegram-bots';
import { TelegramUpdatesService } from './telegram-updates.service';
import { TELEGRAM_OPTIONS, type TelegramOptions } from './telegram.options';

const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query'];
const MAX_BACKOFF_MS = 30_000;
/** How often a process that does not poll a bot checks whether the one that does has gone. */
const LEASE_RETRY_MS = 5_000;

/**
 * Receives updates: registers the webhook (https PUBLIC_URL) or long-polls getUpdates with the
 * offset kept in telegram_bot_state, so a restart neither loses nor repeats updates. Start-up never
 * waits for Telegram: an unreachable Bot API shows as the channel's status and is retried. With several
 * hub processes on one database, one of them polls each bot (a lease): Telegram allows one getUpdates at
 * a time per bot and answers a second with 409 Conflict, ending the first.
 */
@Injectable()
export class TelegramTransportService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Telegram');
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly updates: TelegramUpdatesService,
    private readonly status: ChannelStatusRegistry,
    private readonly leases: AdvisoryLeases,
    @Inject(TELEGRAM_OPTIONS) private readonly options: TelegramOptions,
  ) {}

  onApplicationBootstrap(): void {
    for (const bot of this.bots.all()) {
      this.status.report('telegram', this.statusName(bot), 'connecting');
      this.loops.push(this.options.mode === 'webhook' ? this.registerWebhook(bot) : this.poll(bot));
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private statusName(bot: BotHandle): string {
    return `${bot.role} bot ${bot.id}`;
  }

  private async registerWebhook(bot: BotHandle): Promise<void> {
    for (let attempt = 1; !this.abort.signal.aborted; attempt++) {
      try {
        await bot.api.setWebhook(this.bots.webhookUrl(bot), { secret_token: this.options.webhookSecret!, allowed_updates: ALLOWED_UPDATES as never, max_connections: 40 });
        this.status.report('telegram', this.statusName(bot), 'connected');
        this.log.log({ msg: 'telegram webhook set', bot: bot.role, url: this.bots.webhookUrl(bot) });
        return;
      } catch (err) {
        this.status.report('telegram', this.statusName(bot), 'error', this.bots.describe(err));
        this.log.warn({ msg: 'telegram setWebhook failed', bot: bot.role, attempt, error: this.bots.describe(err) });
        await this.pause(attempt);
      }
    }
  }

  private async poll(bot: BotHandle): Promise<void> {
    let waitLogged = false;
    for (let failures = 0; !this.abort.signal.aborted; ) {
      let lease: Lease | null;
      try {
        lease = await this.leases.tryAcquire(`leadline:telegram-poll:${bot.id}`);
      } catch (err) {
        // Nothing could be stored without the database anyway.
        this.status.report('telegram', this.statusName(bot), 'error', 'database unavailable');
        this.log.warn({ msg: 'telegram poll lease unavailable (database)', bot: bot.role, error: (err as Error).message });
        await this.pause(++failures);
        continue;
      }
      failures = 0;
      if (!lease) {
        if (!waitLogged) this.log.log({ msg: 'telegram bot polled by another hub process', bot: bot.role });
        waitLogged = true;
        this.status.report('telegram', this.statusName(bot), 'connecting', 'polled by another hub process');
        await sleep(LEASE_RETRY_MS, undefined, { signal: this.abort.signal }).catch(() => undefined);
        continue;
      }
      waitLogged = false;
      try {
        await this.pollWhileHeld(bot, lease);
      } finally {
        await lease.release();
      }
    }
  }

  /** The getUpdates loop of the process holding the bot's lease, until it stops or loses the lease. */
  private async pollWhileHeld(bot: BotHandle, lease: Lease): Promise<void> {
    let offset: number | null = null;
    let webhookCleared = false;
    // The first getUpdates does not wait: the channel shows "connected" as soon as Telegram answers, not a long poll later.
    let timeout = 0;
    for (let failures = 0; !this.abort.signal.aborted; ) {
      if (!(await lease.alive())) return;
      try {
        // getUpdates answers 409 while a webhook is set (e.g. left by a production deployment).
        if (!webhookCleared) {
          await bot.api.callApi('deleteWebhook', { drop_pending_updates: false }, { signal: this.abort.signal as never });
          webhookCleared = true;
        }
        offset ??= await this.loadOffset(bot);
        const batch = (await bot.api.callApi(
          'getUpdates',
          { offset, timeout, limit: 100, allowed_updates: ALLOWED_UPDATES as never },
          { signal: this.abort.signal as never },
        )) as Array<{ update_id: number }>;
        this.status.report('telegram', this.statusName(bot), 'connected');
        timeout = this.options.pollTimeoutSeconds;
        failures = 0;
        for (const update of batch) {
          if (this.abort.signal.aborted) return;
          await this.updates.process(bot, update as never);
          offset = update.update_id + 1;
          await this.saveOffset(bot, offset);
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        failures++;
        const error = isDatabaseUnavailable(err) ? 'database unavailable' : this.bots.describe(err);
        this.status.report('telegram', this.statusName(bot), 'error', error);
        this.log.warn({ msg: 'telegram polling failed', bot: bot.role, failures, error });
        // Re-read the offset: whatever was stored is what has been handled.
        offset = null;
        await this.pause(failures);
      }
    }
  }

  private async pause(failures: number): Promise<void> {
    await sleep(Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 8)), undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async loadOffset(bot: BotHandle): Promise<number> {
    const [row] = await this.db.query(`SELECT update_offset FROM telegram_bot_state WHERE bot = $1`, [String(bot.id)]);
    return row ? Number(row.update_offset) : 0;
  }

  private async saveOffset(bot: BotHandle, offset: number): Promise<void> {
    await this.db.query(
      `INSERT INTO telegram_bot_state (bot, update_offset, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (bot) DO UPDATE SET update_offset = GREATEST(telegram_bot_state.update_offset, EXCLUDED.update_offset), updated_at = now()`,
      [String(bot.id), offset],
    );
  }
}
