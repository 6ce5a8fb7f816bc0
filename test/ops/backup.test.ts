import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { backupCommand, restoreCommand } from '../../apps/hub/src/cli/backup';
import { openPglite } from '../../apps/hub/src/database/pglite-driver';
import { planTables, readSequences, tableFingerprint, type Query } from '../../apps/hub/src/database/move/table-plan';
import { raiseFormRateLimit } from '../http/http-helpers';
import { postgresReachable, scratchDatabase } from '../support/postgres-server';
import { TestHub } from '../support/test-hub';

/** Every table's row count and checksum, and every sequence's position. */
async function fingerprint(q: Query): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const t of await planTables(q, [])) out[t.name] = await tableFingerprint(q, t.name);
  out.sequences = await readSequences(q);
  return out;
}

async function seed(hub: TestHub): Promise<void> {
  await raiseFormRateLimit(hub);
  await hub.createManager({ name: 'Anna' });
  for (let i = 0; i < 5; i++) expect((await hub.postForm({ name: `Backup ${i}`, phone: `+7 912 400-00-0${i}`, email: `b${i}@example.com` })).status).toBe(201);
  await hub.query(`INSERT INTO email_message (external_id, html) VALUES ('<b@x>', '<p>hi</p>')`);
  await hub.query(`INSERT INTO email_attachment (email_id, position, filename, content_type, size, content) SELECT id, 0, 'a.bin', 'application/octet-stream', 3, '\\x00ff10'::bytea FROM email_message`);
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: (l: string) => out.push(l), e: (l: string) => err.push(l) };
}

describe('npm run backup / npm run restore', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadline-backup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('embedded database: refuses while the hub runs, then one file that restores into an empty directory with equal checksums', async () => {
    const data = join(dir, 'pglite');
    const hub = await TestHub.start({ PGLITE_DATA_DIR: data, DATABASE_URL: '' });
    const env = { PGLITE_DATA_DIR: data };
    try {
      await seed(hub);
      const busy = capture();
      expect(await backupCommand(['--dir', join(dir, 'out')], env, busy.o, busy.e)).toBe(1);
      expect(busy.err).toHaveLength(1);
      expect(busy.err[0]).toMatch(/^backup: .*(in use|running|held)/i);
    } finally {
      await hub.stop();
    }
    const b = capture();
    expect(await backupCommand(['--dir', join(dir, 'out')], env, b.o, b.e)).toBe(0);
    expect(b.err).toEqual([]);
    const [file] = readdirSync(join(dir, 'out'));
    expect(file).toMatch(/^leadline-pglite-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(b.out[0]).toMatch(/\(pglite, \d+ bytes, sha256 [0-9a-f]{64}\)$/);

    const restored = join(dir, 'restored');
    const r = capture();
    expect(await restoreCommand(['--file', join(dir, 'out', file), '--to-dir', restored], {}, r.o, r.e)).toBe(0);
    expect(r.err).toEqual([]);
    // Into a directory that is not empty: refused.
    const again = capture();
    expect(await restoreCommand(['--file', join(dir, 'out', file), '--to-dir', restored], {}, again.o, again.e)).toBe(1);
    expect(again.err).toEqual([expect.stringMatching(/^restore: .* is not empty; restore only fills an empty or new directory$/)]);

    const prints = [];
    for (const d of [data, restored]) {
      const { db, release } = await openPglite(d);
      try {
        prints.push(await fingerprint(async (sql, params) => (await db.query(sql, params)).rows as never));
      } finally {
        await db.close();
        release();
      }
    }
    expect(Object.keys(prints[0]).length).toBeGreaterThan(20);
    expect(prints[1]).toEqual(prints[0]);
    // The restored directory starts a hub with the same data.
    const back = await TestHub.start({ PGLITE_DATA_DIR: restored, DATABASE_URL: '' });
    try {
      expect((await back.request({ url: '/api/contacts', token: await back.adminToken() })).body.items).toHaveLength(5);
    } finally {
      await back.stop();
    }
  }, 240_000);

  it('PostgreSQL: pg_dump while the hub serves, pg_restore into an empty database with equal checksums; wrong targets refused', async () => {
    if (!(await postgresReachable())) {
      console.warn('PostgreSQL backup test skipped: no PostgreSQL server (set DATABASE_URL or LEADLINE_TEST_POSTGRES)');
      return;
    }
    const source = await scratchDatabase('leadline_bk_src');
    const target = await scratchDatabase('leadline_bk_dst', false);
    try {
      const hub = await TestHub.start({ DATABASE_URL: source.url }, undefined, { existing: { env: { DATABASE_URL: source.url }, kind: 'postgres', drop: async () => undefined } });
      let file: string;
      try {
        await seed(hub);
        const b = capture();
        expect(await backupCommand(['--out', join(dir, 'pg.pgdump')], { DATABASE_URL: source.url }, b.o, b.e)).toBe(0);
        expect(b.err).toEqual([]);
        expect(b.out[0]).toMatch(/pg\.pgdump \(postgres, \d+ bytes, sha256 [0-9a-f]{64}\)$/);
        file = join(dir, 'pg.pgdump');
      } finally {
        await hub.stop();
      }
      const wrongKind = capture();
      expect(await restoreCommand(['--file', file, '--to-dir', join(dir, 'nowhere')], {}, wrongKind.o, wrongKind.e)).toBe(1);
      expect(wrongKind.err[0]).toMatch(/is a PostgreSQL backup/);
      const notBackup = join(dir, 'junk.bin');
      writeFileSync(notBackup, 'hello');
      const junk = capture();
      expect(await restoreCommand(['--file', notBackup, '--to', target.url], {}, junk.o, junk.e)).toBe(1);
      expect(junk.err[0]).toMatch(/is not a Leadline backup/);

      const r = capture();
      expect(await restoreCommand(['--file', file], { DATABASE_URL: target.url }, r.o, r.e)).toBe(0);
      expect(r.err).toEqual([]);
      const again = capture();
      expect(await restoreCommand(['--file', file, '--to', target.url], {}, again.o, again.e)).toBe(1);
      expect(again.err[0]).toMatch(/is not empty/);

      const prints = [];
      for (const url of [source.url, target.url]) {
        const c = new Client({ connectionString: url });
        await c.connect();
        try {
          prints.push(await fingerprint(async (sql, params) => (await c.query(sql, params)).rows));
        } finally {
          await c.end();
        }
      }
      expect(prints[1]).toEqual(prints[0]);
    } finally {
      await source.drop();
      await target.drop();
    }
  }, 180_000);
});
