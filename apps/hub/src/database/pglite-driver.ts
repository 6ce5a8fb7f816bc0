import { PGlite, types } from '@electric-sql/pglite';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { lockDataDir } from './data-dir-lock';

/**
 * A node-postgres-shaped module over one embedded PGlite database, for TypeORM's `driver` option.
 *
 * PGlite is a single session. Handing it to several query runners at once (as a plain shared
 * pool does) interleaves their transactions: one request's ROLLBACK would undo another's work.
 * So every `connect()` takes the session exclusively until TypeORM releases it. Code must not
 * issue a query on the DataSource while it holds a transaction's EntityManager (it would wait
 * for itself); use the EntityManager it was given.
 */
export function pgliteDriverModule(db: PGlite, onEnd: () => void = () => undefined): Record<string, unknown> {
  let tail: Promise<void> = Promise.resolve();
  // Callers queued behind the session holder (the pool-wait figure of /metrics, as pg's waitingCount).
  let waiting = 0;
  let held = false;
  const acquire = (): Promise<() => void> => {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    waiting++;
    const ready = tail.then(() => {
      waiting--;
      held = true;
      return () => {
        held = false;
        release();
      };
    });
    tail = tail.then(() => next);
    return ready;
  };

  class Session extends EventEmitter {
    async query(sql: string, params?: unknown[]) {
      const result = params && params.length ? await db.query(sql, params) : lastOf(await db.exec(sql));
      const rows = (result?.rows ?? []) as unknown[];
      const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
      return { rows, rowCount: result?.affectedRows ?? rows.length, command };
    }
  }
  const session = new Session();

  class Pool extends EventEmitter {
    get waitingCount(): number {
      return waiting;
    }
    get totalCount(): number {
      return 1;
    }
    get idleCount(): number {
      return held ? 0 : 1;
    }

    connect(callback: (err: Error | null, client: Session | null, release: (err?: unknown) => void) => void): void {
      acquire().then(
        (release) => {
          let done = false;
          callback(null, session, () => {
            if (!done) {
              done = true;
              release();
            }
          });
        },
        (err) => callback(err, null, () => undefined),
      );
    }

    async query(sql: string, params?: unknown[]) {
      const release = await acquire();
      try {
        return await session.query(sql, params);
      } finally {
        release();
      }
    }

    /**
     * LISTEN in the embedded database: notifications (NOTIFY, also from triggers) reach `listener`
     * when the notifying transaction commits. Taken through the session lock like any query, so the
     * LISTEN never lands inside another caller's transaction (a rollback there would undo it).
     */
    async listen(channel: string, listener: (payload: string) => void): Promise<() => Promise<void>> {
      const release = await acquire();
      try {
        return await db.listen(channel, listener);
      } finally {
        release();
      }
    }

    end(callback?: (err?: Error) => void): void {
      db.close()
        .finally(onEnd)
        .then(
          () => callback?.(),
          (err: Error) => callback?.(err),
        );
    }
  }
  return { Pool };
}

function lastOf<T>(results: T[]): T | undefined {
  return results[results.length - 1];
}

/**
 * Opens (creating if needed) the embedded database, locked to this hub (see lockDataDir): `release`
 * gives the directory back after closing. `memory://` keeps it in memory (tests) and needs no lock.
 */
export async function openPglite(dataDir: string): Promise<{ db: PGlite; release: () => void }> {
  let release = (): void => undefined;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    release = lockDataDir(dataDir);
  }
  try {
    const db = await PGlite.create({
      dataDir,
      // Send JS booleans as SQL booleans, as node-postgres does.
      serializers: { [types.BOOL]: (v: unknown) => (v === true || v === 'true' || v === 1 ? 'true' : v === false || v === 'false' || v === 0 ? 'false' : String(v)) },
    });
    return { db, release };
  } catch (err) {
    release();
    throw err;
  }
}
