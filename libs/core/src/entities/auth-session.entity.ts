import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A login. The id is the SHA-256 of the token, so a leaked table does not leak sessions. */
@Entity('auth_session')
export class AuthSession {
  @PrimaryColumn({ type: 'text' }) id: string;
  @Column({ name: 'manager_id', type: 'uuid' }) managerId: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
