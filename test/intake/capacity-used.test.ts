import fc from 'fast-check';
import { Client } from 'pg';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';

jest.setTimeout(120_000);

/**
 * manager.capacity_used is the database's running count of a limited manager's open deals (round robin
 * reads it instead of counting). Whatever writes the deals (intake, the API, a stage rule, a cascade,
 * an admin's SQL) the number must equal the count, or a manager gets one lead too many or one too few.
 */
describe('capacity_used: the open deals a limited manager holds', () => {
  let hub: TestHub;
  let contactId: string;

  beforeAll(async () => {
    hub = await TestHub.start();
    [{ id: contactId }] = await hub.query(`INSERT INTO contact (name) VALUES ('Counted Client') RETURNING id`);
  });
  afterAll(async () => {
    await hub?.close();
  });

  /** Every manager whose kept number differs from a fresh count (expected: none). */
  const drift = () =>
    hub.query(
      `SELECT m.name, m.capacity, m.capacity_used,
              (SELECT count(*)::int FROM deal d WHERE d.owner_id = m.id AND d.closed_at IS NULL) AS counted
         FROM manager m
        WHERE m.capacity_used <> CASE WHEN m.capacity IS NULL THEN 0
                                      ELSE (SELECT count(*) FROM deal d WHERE d.owner_id = m.id AND d.closed_at IS NULL) END`,
    );

  type Op =
    | { op: 'open'; owner: number | null; n: number }
    | { op: 'close'; pick: number; lost: boolean }
    | { op: 'reopen'; pick: number }
    | { op: 'move'; pick: number; to: number | null }
    | { op: 'moveAll'; from: number; to: number | null }
    | { op: 'delete'; pick: number }
    | { op: 'capacity'; who: number; capacity: number | null };

  const MANAGERS = 4;
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('open' as const), owner: fc.option(fc.nat(MANAGERS - 1), { nil: null }), n: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ op: fc.constant('close' as const), pick: fc.nat(), lost: fc.boolean() }),
    fc.record({ op: fc.constant('reopen' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('move' as const), pick: fc.nat(), to: fc.option(fc.nat(MANAGERS - 1), { nil: null }) }),
    fc.record({ op: fc.constant('moveAll' as const), from: fc.nat(MANAGERS - 1), to: fc.option(fc.nat(MANAGERS - 1), { nil: null }) }),
    fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('capacity' as const), who: fc.nat(MANAGERS - 1), capacity: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }) }),
  );

  it('equals a fresh count after any sequence of deal and capacity changes', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }), { minLength: MANAGERS, maxLength: MANAGERS }), fc.array(op, { maxLength: 25 }), async (capacities, ops) => {
        round++;
        const ids: string[] = [];
        for (let i = 0; i < MANAGERS; i++) {
          const [m] = await hub.query(`INSERT INTO manager (role, name, email, capacity) VALUES ('manager', $1, $2, $3) RETURNING id`, [
            `R${round}M${i}`,
            `r${round}m${i}@capacity.test`,
            capacities[i],
          ]);
          ids.push(m.id);
        }
        const deals = async (): Promise<string[]> =>
          (await hub.query(`SELECT id FROM deal WHERE contact_id = $1 ORDER BY created_at, id`, [contactId])).map((r) => r.id as string);
        const pick = async (n: number): Promise<string | null> => {
          const all = await deals();
          return all.length ? all[n % all.length] : null;
        };
        const owner = (i: number | null) => (i === null ? null : ids[i]);
        try {
          for (const o of ops) {
            if (o.op === 'open') {
              await hub.query(`INSERT INTO deal (contact_id, owner_id, title, source_channel) SELECT $1, $2, 'deal ' || g, 'web_form' FROM generate_series(1, $3) g`, [contactId, owner(o.owner), o.n]);
            } else if (o.op === 'close') {
              const id = await pick(o.pick);
              if (id) await hub.query(`UPDATE deal SET stage = $2, closed_at = now() WHERE id = $1 AND closed_at IS NULL`, [id, o.lost ? 'lost' : 'won']);
            } else if (o.op === 'reopen') {
              const id = await pick(o.pick);
              if (id) await hub.query(`UPDATE deal SET stage = 'new', closed_at = NULL WHERE id = $1`, [id]);
            } else if (o.op === 'move') {
              const id = await pick(o.pick);
              if (id) await hub.query(`UPDATE deal SET owner_id = $2 WHERE id = $1`, [id, owner(o.to)]);
            } else if (o.op === 'moveAll') {
              await hub.query(`UPDATE deal SET owner_id = $2 WHERE owner_id = $1`, [ids[o.from], owner(o.to)]);
            } else if (o.op === 'delete') {
              const id = await pick(o.pick);
              if (id) await hub.query(`DELETE FROM deal WHERE id = $1`, [id]);
            } else {
              await hub.query(`UPDATE manager SET capacity = $2 WHERE id = $1`, [ids[o.who], o.capacity]);
            }
          }
          expect(await drift()).toEqual([]);
          // Deleting managers sets their deals' owner to NULL (a cascade through the same triggers).
          await hub.query(`DELETE FROM manager WHERE id = ANY($1::uuid[])`, [ids.slice(0, 2)]);
          expect(await drift()).toEqual([]);
        } finally {
          // A failed run leaves nothing behind for the shrinking runs after it.
          await hub.query(`DELETE FROM deal WHERE contact_id = $1`, [contactId]);
          await hub.query(`DELETE FROM manager WHERE id = ANY($1::uuid[])`, [ids]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('counts the deals of the intake, the API and an erased person', async () => {
    const m = await hub.createManager({ name: 'Limited Lena', capacity: 10 });
    await hub.query(`UPDATE manager SET active = false WHERE role = 'manager' AND id <> $1`, [m.id]);
    const posted: Array<{ dealId: string; contactId: string }> = [];
    for (let i = 0; i < 3; i++) {
      const res = await hub.postForm({ name: `Lead ${i}`, phone: `+7916555000${i}` });
      expect(res.status).toBe(201);
      posted.push(res.body as { dealId: string; contactId: string });
    }
    const used = async () => (await hub.query(`SELECT capacity_used FROM manager WHERE id = $1`, [m.id]))[0].capacity_used;
    expect(await used()).toBe(3);
    const won = await hub.request({ method: 'PATCH', url: `/api/deals/${posted[0].dealId}`, token: m.token, body: { stage: 'won' } });
    expect(won.status).toBe(200);
    expect(await used()).toBe(2);
    const erased = await hub.request({ method: 'DELETE', url: `/api/contacts/${posted[1].contactId}/personal-data`, token: await hub.adminToken() });
    expect(erased.status).toBe(200);
    expect(await used()).toBe(1);
    expect(await drift()).toEqual([]);
  });

  // Two transactions at once need two connections: PostgreSQL (PGlite has one, and runs them one after another).
  (usingPostgres() ? describe : describe.skip)('set while other transactions write the manager’s deals', () => {
    const connect = async () => {
      const c = new Client({ connectionString: hub.db.env.DATABASE_URL });
      await c.connect();
      return c;
    };

    it.each([
      ['a new deal', `INSERT INTO deal (contact_id, owner_id, title, source_channel) VALUES ($2, $1, 'in flight', 'web_form')`],
      ['a deal closing', `UPDATE deal SET stage = 'lost', closed_at = now() WHERE owner_id = $1 AND title = 'open before' AND $2::uuid IS NOT NULL`],
    ])('waits for %s to commit, then counts it', async (_what, write) => {
      const [{ id }] = await hub.query(`INSERT INTO manager (role, name, email) VALUES ('manager', 'Unlimited Uma', $1) RETURNING id`, [`uma.${Date.now()}@capacity.test`]);
      await hub.query(`INSERT INTO deal (contact_id, owner_id, title, source_channel) VALUES ($1, $2, 'open before', 'web_form')`, [contactId, id]);
      const writer = await connect();
      const admin = await connect();
      try {
        await writer.query('BEGIN');
        await writer.query(write, [id, contactId]);
        let settled = false;
        const setting = admin.query(`UPDATE manager SET capacity = 5 WHERE id = $1`, [id]).then(() => (settled = true));
        await new Promise((r) => setTimeout(r, 300));
        expect(settled).toBe(false);
        await writer.query('COMMIT');
        await setting;
        expect(await drift()).toEqual([]);
        // And once limited, the next writes count themselves in.
        await hub.query(`INSERT INTO deal (contact_id, owner_id, title, source_channel) VALUES ($1, $2, 'after', 'web_form')`, [contactId, id]);
        expect(await drift()).toEqual([]);
      } finally {
        await writer.end();
        await admin.end();
      }
    });
  });
});
