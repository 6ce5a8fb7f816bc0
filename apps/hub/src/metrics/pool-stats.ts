import type { DataSource } from 'typeorm';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** The counters node-postgres' Pool keeps (and our PGlite pool imitates). */
interface CountingPool {
  totalCount?: unknown;
  idleCount?: unknown;
  waitingCount?: unknown;
}

/**
 * Connection pool figures of TypeORM's postgres driver: `driver.master` is the pg Pool (or the PGlite
 * pool of pglite-driver.ts). Null when the driver exposes none.
 */
export function poolStats(db: DataSource): PoolStats | null {
  const pool = (db.driver as unknown as { master?: CountingPool }).master;
  if (!pool || typeof pool.waitingCount !== 'number') return null;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return { total: num(pool.totalCount), idle: num(pool.idleCount), waiting: pool.waitingCount };
}
