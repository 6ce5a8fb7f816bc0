import { returnedRows, type ManagerBinding, type ManagerBindingSource } from '@leadline/core';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

/** The Telegram account a manager is bound to (the manager bot writes to `chatId`). */
export interface TelegramBindingRow {
  manager_id: string;
  user_id: string | null;
  chat_id: string;
  username: string | null;
  linked_at: Date | string;
}

/**
 * telegram_manager_binding, the Telegram channel's own table: which manager a Telegram account is
 * (one account per manager, one manager per account). Every write to it is here; ManagerDirectory and
 * the notice relay read it joined to the manager.
 */
@Injectable()
export class TelegramManagerBindings implements ManagerBindingSource {
  readonly channel = 'telegram';

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Binds the account to an active manager, unbinding it from anyone else (the account now belongs to
   * this manager). Returns false when the manager is gone or deactivated.
   */
  async bind(em: EntityManager, managerId: string, account: { userId: string; chatId: string; username: string | null }, at: Date): Promise<boolean> {
    await em.query(`DELETE FROM telegram_manager_binding WHERE user_id = $1 AND manager_id <> $2`, [account.userId, managerId]);
    const rows = returnedRows<{ manager_id: string }>(await em.query(
      `INSERT INTO telegram_manager_binding (manager_id, user_id, chat_id, username, linked_at)
       SELECT id, $2, $3, $4, $5 FROM manager WHERE id = $1 AND active
       ON CONFLICT (manager_id) DO UPDATE
          SET user_id = EXCLUDED.user_id, chat_id = EXCLUDED.chat_id, username = EXCLUDED.username, linked_at = EXCLUDED.linked_at
       RETURNING manager_id`,
      [managerId, account.userId, account.chatId, account.username, at],
    ));
    return rows.length > 0;
  }

  async bindingsOf(managerIds: string[]): Promise<Map<string, ManagerBinding>> {
    const rows: TelegramBindingRow[] = await this.db.query(`SELECT * FROM telegram_manager_binding WHERE manager_id = ANY($1::uuid[])`, [managerIds]);
    return new Map(rows.map((r) => [r.manager_id, { channel: this.channel, label: r.username ? `@${r.username}` : null, linkedAt: new Date(r.linked_at) }]));
  }
}
