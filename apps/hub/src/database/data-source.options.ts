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
export async function dataSourceOptions(config: Pick<HubConfig, 'DATABASE_URL' | 'DB_POOL_SIZE' | 'PGLITE_DATA_DIR'>): Promise<DataSourceOptions> {
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
    return { ...common, url: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE, extra: { connectionTimeoutMillis: 10_000, idleTimeoutMillis: 0 } };
  }
  const { db, release } = await openPglite(config.PGLITE_DATA_DIR);
  return { ...common, driver: pgliteDriverModule(db, release), poolSize: 1 };
}

export function storageKind(config: Pick<HubConfig, 'DATABASE_URL'>): StorageKind {
  return config.DATABASE_URL ? 'postgres' : 'pglite';
}
