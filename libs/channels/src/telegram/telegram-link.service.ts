import { Clock, DomainError, ErrorCode, isAdmin, returnedRows, type Viewer } from '@leadline/core';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ManagerDirectory, type BoundManager } from './manager-directory';
import { TelegramBots } from './telegram-bots';
import { TelegramManagerBindings } from './telegram-manager-bindings';

export const LINK_CODE_MINUTES = 15;
const CODE_PREFIX = 'link_';

/** One-time codes that bind a Telegram account to a manager (t.me/<bot>?start=<code>). */
@Injectable()
export class TelegramLinkService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bots: TelegramBots,
    private readonly directory: ManagerDirectory,
    private readonly bindings: TelegramManagerBindings,
    private readonly clock: Clock,
  ) {}

  static looksLikeCode(arg: string): boolean {
    return arg.startsWith(CODE_PREFIX);
  }

  /** An admin for anyone, a manager for themselves. Earlier unused codes of the manager stop working. */
  async create(viewer: Viewer, managerId: string): Promise<{ code: string; url: string; expiresAt: string }> {
    if (!isAdmin(viewer) && viewer.id !== managerId) throw DomainError.notFound('manager');
    const [manager] = await this.db.query(`SELECT id, active FROM manager WHERE id = $1`, [managerId]);
    if (!manager) throw DomainError.notFound('manager');
    if (!manager.active) throw DomainError.conflict('the manager is deactivated');
    let username: string;
    try {
      username = await this.bots.manager.getUsername();
    } catch (err) {
      throw new DomainError(ErrorCode.Unavailable, `Telegram is unreachable, try again: ${this.bots.describe(err)}`);
    }
    // 16 random bytes, base64url: deep-link payloads allow A-Z a-z 0-9 _ - up to 64 characters.
    const code = CODE_PREFIX + randomBytes(16).toString('base64url');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + LINK_CODE_MINUTES * 60_000);
    await this.db.transaction(async (em) => {
      await em.query(`UPDATE telegram_link_code SET expires_at = $2 WHERE manager_id = $1 AND used_at IS NULL AND expires_at > $2`, [managerId, now]);
      await em.query(`INSERT INTO telegram_link_code (code, manager_id, created_by_id, expires_at) VALUES ($1, $2, $3, $4)`, [code, managerId, viewer.id, expiresAt]);
    });
    return { code, url: `https://t.me/${username}?start=${code}`, expiresAt: expiresAt.toISOString() };
  }

  /** Uses a code once: binds the Telegram account to the code's manager (and unbinds it from anyone else). */
  async redeem(code: string, account: { userId: string; chatId: string; username: string | null }): Promise<BoundManager | null> {
    const managerId = await this.db.transaction(async (em) => {
      const now = this.clock.now();
      const [row] = returnedRows<{ manager_id: string }>(await em.query(
        `UPDATE telegram_link_code SET used_at = $2, used_by_telegram_id = $3
          WHERE code = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING manager_id`,
        [code, now, account.userId],
      ));
      if (!row) return null;
      await this.bindings.bind(em, row.manager_id, account, now);
      return row.manager_id;
    });
    return managerId ? this.directory.byId(managerId) : null;
  }
}
