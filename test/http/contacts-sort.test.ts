import { expectError, nextPhone, postLead, raiseFormRateLimit } from './http-helpers';
import { TestHub } from '../support/test-hub';

jest.setTimeout(60_000);

interface Row {
  id: string;
  name: string;
  created: string;
  activity: string;
  tagged: boolean;
}

/**
 * GET /api/contacts?sort=&order=: every sort pages through the whole list exactly once at any page
 * size, filters still apply, and contacts that share a time or a name do not skip or repeat a row.
 */
describe('contacts list: sorting with cursor paging', () => {
  let hub: TestHub;
  let admin: string;
  const rows: Row[] = [];

  beforeAll(async () => {
    hub = await TestHub.start();
    await raiseFormRateLimit(hub);
    admin = await hub.adminToken();
    // Names with ties (two "Olga"), mixed case and Cyrillic; times that share a millisecond.
    const names = ['olga', 'Olga', 'Boris', 'anna', 'Яна', 'Zed', 'Мария'];
    for (const [i, name] of names.entries()) {
      const lead = await postLead(hub, { name, phone: nextPhone().typed });
      const created = `2026-03-01T10:00:00.${100 + (i % 3)}Z`;
      const activity = `2026-03-0${2 + (i % 4)}T09:00:00.000Z`;
      const tagged = i % 2 === 0;
      await hub.query(`UPDATE contact SET created_at = $2::text::timestamptz, last_activity_at = $3::text::timestamptz, tags = $4 WHERE id = $1`, [lead.contactId, created, activity, tagged ? ['vip'] : []]);
      rows.push({ id: lead.contactId, name, created, activity, tagged });
    }
    // Several contacts share the same instant: the id breaks the tie, so a page boundary between them neither skips nor repeats.
    expect(await hub.query(`SELECT count(DISTINCT last_activity_at)::int AS a, count(DISTINCT created_at)::int AS c FROM contact`)).toEqual([{ a: 4, c: 3 }]);
  });
  afterAll(() => hub?.close());

  async function all(query: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const res = await hub.request({ url: `/api/contacts?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, token: admin });
      expect(res.status).toBe(200);
      ids.push(...res.body.items.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('paging did not end');
  }

  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const expected = (sort: 'name' | 'created' | 'activity', order: 'asc' | 'desc', only = (_: Row) => true) => {
    const key = (r: Row) => (sort === 'name' ? r.name.toLowerCase() : sort === 'created' ? r.created : r.activity);
    const sorted = rows.filter(only).sort((a, b) => cmp(key(a), key(b)) || cmp(a.id, b.id));
    return (order === 'asc' ? sorted : sorted.reverse()).map((r) => r.id);
  };

  for (const sort of ['name', 'created', 'activity'] as const) {
    for (const order of ['asc', 'desc'] as const) {
      it(`sort=${sort}&order=${order} pages through every contact once, in order, at page sizes 1, 2 and 50`, async () => {
        for (const limit of [1, 2, 50]) {
          expect(await all(`sort=${sort}&order=${order}`, limit)).toEqual(expected(sort, order));
        }
        // With a filter (a tag), the sort still holds.
        expect(await all(`sort=${sort}&order=${order}&tag=vip`, 2)).toEqual(expected(sort, order, (r) => r.tagged));
      });
    }
  }

  it('defaults to the latest activity first, and names A→Z when only sort=name is given', async () => {
    expect(await all('x=1', 3)).toEqual(expected('activity', 'desc'));
    expect(await all('sort=name', 3)).toEqual(expected('name', 'asc'));
  });

  it('refuses a cursor made for another sort, a bad sort and a bad order with 400 naming the field', async () => {
    const first = await hub.request({ url: '/api/contacts?sort=name&order=asc&limit=2', token: admin });
    expect(first.body.nextCursor).toBeTruthy();
    const mixed = await hub.request({ url: `/api/contacts?sort=created&order=asc&limit=2&cursor=${first.body.nextCursor}`, token: admin });
    expectError(mixed, 400, 'invalid');
    expect(mixed.body.fields.cursor).toContain('another sort');
    const flipped = await hub.request({ url: `/api/contacts?sort=name&order=desc&limit=2&cursor=${first.body.nextCursor}`, token: admin });
    expectError(flipped, 400, 'invalid');
    const badSort = await hub.request({ url: '/api/contacts?sort=phone', token: admin });
    expectError(badSort, 400, 'invalid');
    expect(Object.keys(badSort.body.fields)).toContain('sort');
    expectError(await hub.request({ url: '/api/contacts?order=up', token: admin }), 400, 'invalid');
    expectError(await hub.request({ url: '/api/contacts?cursor=bm9wZQ', token: admin }), 400, 'invalid');
  });
});
