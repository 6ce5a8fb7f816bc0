import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL server tests that need one next to PGlite use: DATABASE_URL, else the local default. */
export const POSTGRES_SERVER_URL = process.env.DATABASE_URL ?? process.env.LEADLINE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True when that server answers (on a machine without PostgreSQL the tests that need it say so and skip). */
export async function postgresReachable(): Promise<boolean> {
  const c = new Client({ connectionString: POSTGRES_SERVER_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    await c.end().catch(() => undefined);
    return false;
  }
}

/** A fresh empty database on that server (not created when `create` is false: only its URL); dropped by drop(). */
export async function scratchDatabase(prefix: string, create = true): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_SERVER_URL });
  await admin.connect();
  if (create) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new Client({ connectionString: POSTGRES_SERVER_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
