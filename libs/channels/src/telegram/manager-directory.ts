import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Viewer } from '@leadline/core';
import { DataSource } from 'typeorm';
import { TELEGRAM_OPTIONS, type TelegramOptions } from './telegram.options';
import { botLocale, TEXTS, type BotLocale, type BotTexts } from './telegram.texts';

/** A manager bound to a Telegram account. */
export interface BoundManager extends Viewer {
  chatId: string;
  locale: BotLocale;
  timezone: string;
  available: boolean;
}

/** Who is behind a Telegram account, and the bound managers notices go to. */
@Injectable()
export class ManagerDirectory {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TELEGRAM_OPTIONS) private readonly options: TelegramOptions,
  ) {}

  async byTelegramUser(userId: number | string): Promise<BoundManager | null> {
    const [row] = await this.db.query(`SELECT * FROM manager WHERE telegram_user_id = $1 AND active ORDER BY updated_at DESC LIMIT 1`, [String(userId)]);
    return row ? this.toBound(row) : null;
  }

  async byId(id: string): Promise<BoundManager | null> {
    const [row] = await this.db.query(`SELECT * FROM manager WHERE id = $1 AND active AND telegram_chat_id IS NOT NULL`, [id]);
    return row ? this.toBound(row) : null;
  }

  async admins(): Promise<BoundManager[]> {
    const rows = await this.db.query(`SELECT * FROM manager WHERE role = 'admin' AND active AND telegram_chat_id IS NOT NULL ORDER BY created_at`);
    return rows.map((r: Record<string, unknown>) => this.toBound(r));
  }

  texts(locale?: string | null): BotTexts {
    return TEXTS[botLocale(locale, this.options.defaultLocale)];
  }

  private toBound(row: Record<string, any>): BoundManager {
    return {
      id: row.id,
      name: row.name,
      role: row.role,
      chatId: String(row.telegram_chat_id ?? row.telegram_user_id),
      // The manager's own setting when they changed it from the column default; otherwise the hub's.
      locale: botLocale(row.locale, this.options.defaultLocale),
      timezone: row.timezone ?? 'UTC',
      available: row.available,
    };
  }
}
