import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import { CORE_OPTIONS, type CoreOptions } from '../core-options';

/** The right to do one job (watch a mailbox, poll a bot) alone. Held while `alive()`; another process can take it once released or lost. */
export interface Lease {
  alive(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * PostgreSQL advisory locks as leases: one holder per key across all hub processes. The lock is
 * session-level on a connection held for the lease, so it goes away by itself when the process or
 * its connection dies, and another process takes the job over on its next try.
 */
@Injectable()
export class AdvisoryLeases {
  private readonly log = new Logger('Leases');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  /** `key` names the job, e.g. `leadline:mailbox:<id>`; null when another session holds it. */
  async tryAcquire(key: string): Promise<Lease | null> {
    return this.options.leaseMode === 'connection' ? this.onConnection(key) : this.onSession(key);
  }

  private async onConnection(key: string): Promise<Lease | null> {
    const runner: QueryRunner = this.db.createQueryRunner();
    try {
      await runner.connect();
      const [row] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`, [key]);
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
          this.log.warn({ msg: 'lease lost with its database connection', key, error: (err as Error).message });
          return false;
        }
      },
      release: async () => {
        if (!lost) await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]).catch(() => undefined);
        lost = true;
        await runner.release().catch(() => undefined);
      },
    };
  }

  /** Embedded PGlite: one process owns the database, so the lock on its one session is the whole story. */
  private async onSession(key: string): Promise<Lease | null> {
    const [row] = await this.db.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`, [key]);
    if (!row?.ok) return null;
    let released = false;
    return {
      alive: async () => !released,
      release: async () => {
        if (released) return;
        released = true;
        await this.db.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]).catch(() => undefined);
      },
    };
  }
}
