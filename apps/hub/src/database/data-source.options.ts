import { CORE_ENTITIES } from '@leadline/core';
import type { DataSourceOptions } from 'typeorm';
import type { HubConfig } from '../config/config.schema';
import { MIGRATIONS } from './migrations';
import { openPglite, pgliteDriverModule } from './pglite-driver';

export type StorageKind = 'postgres' | 'pglite';

/**
 * PostgreSQL when DATABASE_URL is set, otherwise embedded PGlite under PGLITE_DATA_DIR. The same
 * migrations run on both at start; schema sync is never used.
 */
export async function dataSourceOptions(
  config: Pick<HubConfig, 'DATABASE_URL' | 'DB_POOL_SIZE' | 'PGLITE_DATA_DIR' | 'DB_STATEMENT_TIMEOUT_MS' | 'DB_ACQUIRE_TIMEOUT_MS'>,
): Promise<DataSourceOptions> {
  const common = {
    type: 'postgres' as const,
    entities: CORE_ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+ and PGlite: no extension to install.
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    logging: false,
  };
  if (config.DATABASE_URL) {
    return { ...common, url: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE, extra: postgresPoolOptions(config) };
  }
  const { db, release } = await openPglite(config.PGLITE_DATA_DIR);
  return { ...common, driver: pgliteDriverModule(db, release), poolSize: 1 };
}

/**
 * Bounds on every wait (pg pool and client options). connectionTimeoutMillis covers both waiting for a
 * free pool connection and opening a new one. statement_timeout makes the server cancel a slow
 * statement (57014); query_timeout ends the wait on the client when the server does not answer at all
 * (a stopped process, a dead network), a second later so the server's own answer wins when it can.
 */
export function postgresPoolOptions(config: Pick<HubConfig, 'DB_STATEMENT_TIMEOUT_MS' | 'DB_ACQUIRE_TIMEOUT_MS'>): Record<string, number> {
  const statement = config.DB_STATEMENT_TIMEOUT_MS;
  return {
    connectionTimeoutMillis: config.DB_ACQUIRE_TIMEOUT_MS,
    idleTimeoutMillis: 0,
    ...(statement > 0 ? { statement_timeout: statement, query_timeout: statement + 1000 } : {}),
  };
}

export function storageKind(config: Pick<HubConfig, 'DATABASE_URL'>): StorageKind {
  return config.DATABASE_URL ? 'postgres' : 'pglite';
}
