import { DatabaseNotifications } from '@leadline/core';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { HubConfig } from '../config/config.schema';
import { PgListener } from './pg-listener';
import { PgliteListener, type PgliteListenPort } from './pglite-listener';

/** LISTEN/NOTIFY for the whole hub (outbox wake-ups, live notices): PostgreSQL's or the embedded database's. */
@Global()
@Module({})
export class DatabaseNotificationsModule {
  static forRoot(config: Pick<HubConfig, 'DATABASE_URL'>): DynamicModule {
    return {
      module: DatabaseNotificationsModule,
      providers: [
        {
          provide: DatabaseNotifications,
          inject: [getDataSourceToken()],
          useFactory: (db: DataSource) => {
            if (config.DATABASE_URL) return new PgListener(config.DATABASE_URL);
            // The PGlite driver's pool (pglite-driver.ts) is TypeORM's master "pool".
            const pool = (db.driver as unknown as { master: PgliteListenPort }).master;
            return new PgliteListener(pool);
          },
        },
      ],
      exports: [DatabaseNotifications],
    };
  }
}
