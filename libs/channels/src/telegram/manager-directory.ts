import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ManagerRole, Viewer } from '@leadline/core';
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

/** A manager joined to their binding (telegram_manager_binding, see TelegramManagerBindings). */
interface BoundRow {
  id: string;
  name: string;
  role: ManagerRole;
  locale: string | null;
  timezone: string | null;
  available: boolean;
  chat_id: string;
}

const BOUND = `SELECT m.id, m.name, m.role, m.locale, m.timezone, m.available, b.chat_id
                 FROM telegram_manager_binding b JOIN manager m ON m.id = b.manager_id`;

/** Who is behind a Telegram account, and the bound managers notices go to. */
@Injectable()
export class ManagerDirectory {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TELEGRAM_OPTIONS) private readonly options: TelegramOptions,
  ) {}

  async byTelegramUser(userId: number | string): Promise<BoundManager | null> {
    const [row]: BoundRow[] = await this.db.query(`${BOUND} WHERE b.user_id = $1 AND m.active`, [String(userId)]);
    return row ? this.toBound(row) : null;
  }

  async byId(id: string): Promise<BoundManager | null> {
    const [row]: BoundRow[] = await this.db.query(`${BOUND} WHERE m.id = $1 AND m.active`, [id]);
    return row ? this.toBound(row) : null;
  }

  async admins(): Promise<BoundManager[]> {
    const rows: BoundRow[] = await this.db.query(`${BOUND} WHERE m.role = 'admin' AND m.active ORDER BY m.created_at`);
    return rows.map((r) => this.toBound(r));
  }

  texts(locale?: string | null): BotTexts {
    return TEXTS[botLocale(locale, this.options.defaultLocale)];
  }

  private toBound(row: BoundRow): BoundManager {
    return {
      id: row.id,
      name: row.name,
      role: row.role,
      chatId: row.chat_id,
      // The manager's own setting when they chose one; otherwise the hub's.
      locale: botLocale(row.locale, this.options.defaultLocale),
      timezone: row.timezone ?? 'UTC',
      available: row.available,
    };
  }
}
