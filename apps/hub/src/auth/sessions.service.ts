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

  /** Ends every login of a manager (a new password set by an admin: old sessions must not outlive it). */
  async endAllOf(managerId: string): Promise<void> {
    await this.db.query(`DELETE FROM auth_session WHERE manager_id = $1`, [managerId]);
  }
}
