import { hot } from '@leadline/core';
import { Pool } from 'pg';
import { HotStatementClient } from '../../apps/hub/src/database/prepared-statements';
import { usingPostgres } from '../support/test-database';

/**
 * The intake's statements are kept prepared per connection on PostgreSQL (planned once, not per lead):
 * a statement marked hot is a named statement of the connection after its first run and is reused by
 * the next; an unmarked one is never prepared. Checked in the server's own view of the connection.
 */
(usingPostgres() ? describe : describe.skip)('hot statements on PostgreSQL', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 1, Client: HotStatementClient });
  });
  afterAll(() => pool.end());

  const prepared = async (): Promise<Array<{ name: string; statement: string }>> =>
    (await pool.query(`SELECT name, statement FROM pg_prepared_statements ORDER BY name`)).rows;

  it('prepares a hot statement once per connection and reuses it; leaves the others unnamed', async () => {
    const sql = hot(`SELECT $1::int + 1 AS n`);
    expect((await pool.query(sql, [41])).rows).toEqual([{ n: 42 }]);
    expect((await pool.query(sql, [1])).rows).toEqual([{ n: 2 }]);
    await pool.query(`SELECT $1::int * 2 AS doubled`, [3]);
    const statements = await prepared();
    expect(statements).toHaveLength(1);
    expect(statements[0].name).toMatch(/^ll_[0-9a-f]{20}$/);
    expect(statements[0].statement).toBe(sql);
  });

  it('gives different texts different names (never "prepared statement already exists")', async () => {
    await pool.query(hot(`SELECT $1::text AS a`), ['x']);
    await pool.query(hot(`SELECT $1::text AS b`), ['y']);
    const names = (await prepared()).map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(3);
  });

  it('runs a hot statement inside a transaction like any other (rollback undoes it)', async () => {
    const c = await pool.connect();
    try {
      await c.query(`CREATE TEMP TABLE hot_t (v int)`);
      await c.query('BEGIN');
      await c.query(hot(`INSERT INTO hot_t (v) VALUES ($1)`), [7]);
      await c.query('ROLLBACK');
      expect((await c.query(`SELECT count(*)::int AS n FROM hot_t`)).rows).toEqual([{ n: 0 }]);
    } finally {
      c.release();
    }
  });
});
