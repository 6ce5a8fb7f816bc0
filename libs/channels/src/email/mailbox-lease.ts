import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import { EMAIL_OPTIONS, type EmailOptions } from './email-options';

/** The right to watch one mailbox. Held while `alive()`; another process can take it once released or lost. */
export interface MailboxLease {
  alive(): Promise<boolean>;
  release(): Promise<void>;
}

const lockKey = (mailboxId: string) => `leadline:mailbox:${mailboxId}`;

/**
 * PostgreSQL advisory locks as leases: one watcher per mailbox across all hub processes. The lock is
 * session-level on a connection held for the lease, so it goes away by itself when the process or
 * its connection dies, and another process takes the mailbox over on its next try.
 */
@Injectable()
export class MailboxLeases {
  private readonly log = new Logger('Email');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(EMAIL_OPTIONS) private readonly options: EmailOptions,
  ) {}

  async tryAcquire(mailboxId: string): Promise<MailboxLease | null> {
    return this.options.leaseMode === 'connection' ? this.onConnection(mailboxId) : this.onSession(mailboxId);
  }

  private async onConnection(mailboxId: string): Promise<MailboxLease | null> {
    const runner: QueryRunner = this.db.createQueryRunner();
    try {
      await runner.connect();
      const [row] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`, [lockKey(mailboxId)]);
      if (!row?.ok) {
        await runner.release();
        return null;
      }
    } catch (err) {
      await runner.release().catch(() => undefined);
      throw err;
    }
    let lost = false;
    return {
      alive: async () => {
        if (lost) return false;
        try {
          await runner.query(`SELECT 1`);
          return true;
        } catch (err) {
          lost = true;
          this.log.warn({ msg: 'mailbox lease lost with its database connection', mailboxId, error: (err as Error).message });
          return false;
        }
      },
      release: async () => {
        if (!lost) await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [lockKey(mailboxId)]).catch(() => undefined);
        lost = true;
        await runner.release().catch(() => undefined);
      },
    };
  }

  /** Embedded PGlite: one process owns the database, so the lock on its one session is the whole story. */
  private async onSession(mailboxId: string): Promise<MailboxLease | null> {
    const [row] = await this.db.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`, [lockKey(mailboxId)]);
    if (!row?.ok) return null;
    let released = false;
    return {
      alive: async () => !released,
      release: async () => {
        if (released) return;
        released = true;
        await this.db.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [lockKey(mailboxId)]).catch(() => undefined);
      },
    };
  }
}
