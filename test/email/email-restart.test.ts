import { EmailWatchers } from '@leadline/channels';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/test-database';
import { TestHub } from '../support/test-hub';
import { plainMessage } from './support/corpus';
import { Dovecot } from './support/dovecot';
import { waitFor } from './support/wait';

/** A database two hub lifetimes share: PostgreSQL, or PGlite on disk (in-memory PGlite dies with its hub). */
async function sharedDatabase(): Promise<TestDatabase> {
  if (usingPostgres()) return createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'leadline-pglite-'));
  return { env: { PGLITE_DATA_DIR: dir }, kind: 'pglite', drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

const messages = (prefix: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => plainMessage({ from: `${prefix}${from + i}@load.example`, name: `Client ${from + i}`, messageId: `<${prefix}-${from + i}@load.example>` }));

describe('email across hub restarts and processes', () => {
  let dovecot: Dovecot;
  beforeAll(async () => {
    dovecot = await Dovecot.start();
  });
  afterAll(async () => {
    await dovecot?.destroy();
  });

  const env = () => ({ ...dovecot.imapEnv(), MAIL_FROM: 'crm@test.local', IMAP_POLL_SECONDS: '1', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const counts = async (hub: TestHub, prefix: string) =>
    (
      await hub.query(
        `SELECT (SELECT count(*)::int FROM inbound_receipt WHERE channel = 'email' AND external_id LIKE $1) AS receipts,
                (SELECT count(*)::int FROM activity WHERE channel = 'email' AND kind = 'lead' AND payload->'details'->>'messageId' LIKE $1) AS leads,
                (SELECT last_uid FROM mailbox_state) AS last_uid`,
        [`<${prefix}-%`],
      )
    )[0];

  it('a hub stopped in the middle of a 200-message mailbox and started again ends with exactly 200', async () => {
    const uids = await dovecot.deliver(messages('r', 200));
    const db = await sharedDatabase();
    const first = await TestHub.start(env(), undefined, { existing: db });
    let stoppedAt: number;
    try {
      stoppedAt = await waitFor('some messages taken', async () => {
        const c = await counts(first, 'r');
        return c.receipts >= 20 ? c.receipts : 0;
      });
    } finally {
      await first.stop();
    }
    const second = await TestHub.start(env(), undefined, { existing: db });
    try {
      const before = await counts(second, 'r');
      // It really was stopped in the middle, and the stored position matches what committed. The second
      // hub is already reading: it commits a message's receipt, then moves the position past it, so one
      // snapshot may fall between the two — the position never runs ahead, and trails by that one at most.
      expect(before.receipts).toBeLessThan(200);
      expect(before.receipts).toBeGreaterThanOrEqual(stoppedAt);
      expect([uids[before.receipts - 2], uids[before.receipts - 1]]).toContain(Number(before.last_uid));
      await waitFor('all 200 taken', async () => Number((await counts(second, 'r')).last_uid) === uids[199], 150_000);
      const after = await counts(second, 'r');
      expect(after.receipts).toBe(200);
      expect(after.leads).toBe(200);
      expect((await second.query(`SELECT count(*)::int AS n FROM contact_identity WHERE value LIKE 'r%@load.example'`))[0].n).toBe(200);
    } finally {
      await second.close();
    }
    // Two hub starts and 200 intakes: minutes on embedded PGlite on a busy machine.
  }, 240_000);

  if (usingPostgres()) {
    it('two hub processes on one database: each mailbox is watched by one of them, the other takes over when it stops', async () => {
      // A mailbox of its own (the 200 above would be taken first and counted).
      const server = await Dovecot.start();
      const ownEnv = { ...env(), ...server.imapEnv() };
      const db = await sharedDatabase();
      const a = await TestHub.start(ownEnv, undefined, { existing: db });
      const b = await TestHub.start(ownEnv, undefined, { existing: db });
      try {
        const [mailbox] = await a.query(`SELECT id FROM mailbox`);
        const taken = (hub: TestHub) => hub.app.get(EmailWatchers).watcher(mailbox.id)?.taken ?? 0;
        const uids = await server.deliver(messages('p', 40));
        await waitFor('40 taken', async () => Number((await counts(a, 'p')).last_uid) >= uids[39], 60_000);
        expect((await counts(a, 'p')).receipts).toBe(40);
        // Exactly one process did the work (the other never held the lease).
        expect(taken(a) + taken(b)).toBe(40);
        expect(Math.min(taken(a), taken(b))).toBe(0);
        const [holder, other] = taken(a) > 0 ? [a, b] : [b, a];

        await holder.stop();
        const more = await server.deliver(messages('p', 10, 40));
        await waitFor('the other process takes over', async () => Number((await counts(other, 'p')).last_uid) >= more[9], 30_000);
        const end = await counts(other, 'p');
        expect(end.receipts).toBe(50);
        expect(end.leads).toBe(50);
        expect(taken(other)).toBeGreaterThanOrEqual(10);
      } finally {
        await a.stop().catch(() => undefined);
        await b.stop().catch(() => undefined);
        await db.drop();
        await server.destroy();
      }
    }, 180_000);
  }
});
