import { DomainError, ErrorCode, ManagersService, type Viewer } from '@leadline/core';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';
import { verifyPassword } from './password';

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** Logins as opaque random tokens; only their hashes are stored. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly managers: ManagersService,
  ) {}

  async login(email: string, password: string): Promise<{ token: string; expiresAt: Date; viewer: Viewer }> {
    const manager = await this.managers.findByEmailWithHash(email);
    const ok = await verifyPassword(password, manager?.passwordHash);
    if (!manager || !ok || !manager.active) throw new DomainError(ErrorCode.Unauthorized, 'wrong email or password');
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.SESSION_TTL_HOURS * 3_600_000);
    await this.db.query(`INSERT INTO auth_session (id, manager_id, expires_at) VALUES ($1, $2, $3)`, [sha256(token), manager.id, expiresAt]);
    await this.db.query(`DELETE FROM auth_session WHERE manager_id = $1 AND expires_at < now()`, [manager.id]);
    return { token, expiresAt, viewer: { id: manager.id, name: manager.name, role: manager.role } };
  }

  async resolve(token: string): Promise<Viewer | null> {
    const [row] = await this.db.query(
      `SELECT m.id, m.name, m.role FROM auth_session s JOIN manager m ON m.id = s.manager_id
        WHERE s.id = $1 AND s.expires_at > now() AND m.active`,
      [sha256(token)],
    );
    return row ? { id: row.id, name: row.name, role: row.role } : null;
  }

  async logout(token: string): Promise<void> {
    await this.db.query(`DELETE FROM auth_session WHERE id = $1`, [sha256(token)]);
  }

  /**
   * Ends every session of a manager (password changed, deactivated), except `keepToken`: the session
   * that changed its own password stays logged in. Returns how many were ended.
   */
  async endAll(managerId: string, keepToken?: string | null): Promise<number> {
    const rows: unknown[] = await this.db.query(`DELETE FROM auth_session WHERE manager_id = $1 AND id <> $2 RETURNING id`, [
      managerId,
      keepToken ? sha256(keepToken) : '',
    ]);
    return rows.length;
  }

  /** Self-service: the current password proves it is the person, not just their open browser. */
  async changeOwnPassword(viewer: Viewer, currentPassword: string, newHash: string, keepToken: string): Promise<void> {
    const [row]: Array<{ password_hash: string | null }> = await this.db.query(`SELECT password_hash FROM manager WHERE id = $1 AND active`, [viewer.id]);
    if (!row || !(await verifyPassword(currentPassword, row.password_hash ?? undefined))) {
      throw DomainError.invalid('the current password is wrong', { currentPassword: 'does not match' });
    }
    await this.managers.update(viewer.id, { passwordHash: newHash });
    await this.endAll(viewer.id, keepToken);
  }
}
