import { TestHub } from '../support/test-hub';
import { expectError, MISSING_ID, postLead, raiseFormRateLimit, type Lead } from './http-helpers';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('contacts: search, detail, timeline (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let manager: { id: string; token: string };
  let anna: Lead;
  let boris: Lead;
  let cyrillic: Lead;
  let percent: Lead;

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    manager = await hub.createManager({ name: 'Owner Olga' });
    anna = await postLead(hub, { name: 'Anna Petrova', phone: '8 (999) 123-45-67', email: 'Anna.P@Example.com' });
    boris = await postLead(hub, { name: 'Boris Ivanov', phone: '+7 916 555-00-11' });
    cyrillic = await postLead(hub, { name: 'Анна Сидорова', phone: '+7 903 222-33-44' });
    percent = await postLead(hub, { name: '100% Sure_Thing', email: 'sure@example.org' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const search = async (q: string, token = admin) => {
    const res = await hub.request({ url: `/api/contacts?search=${encodeURIComponent(q)}`, token });
    expect({ q, status: res.status }).toEqual({ q, status: 200 });
    return res.body.items.map((c: any) => c.name);
  };

  describe('search', () => {
    it('finds by name: partial and case-insensitive, Cyrillic included', async () => {
      expect(await search('anna')).toEqual(['Anna Petrova']);
      expect(await search('PETR')).toEqual(['Anna Petrova']);
      expect(await search('  ivan ')).toEqual(['Boris Ivanov']);
      expect(await search('анна')).toEqual(['Анна Сидорова']);
      expect(await search('СИДОР')).toEqual(['Анна Сидорова']);
      expect(await search('nobody-like-this')).toEqual([]);
    });

    it('treats % and _ literally', async () => {
      expect(await search('%')).toEqual(['100% Sure_Thing']);
      expect(await search('0% s')).toEqual(['100% Sure_Thing']);
      expect(await search('_')).toEqual(['100% Sure_Thing']);
      expect(await search('a_p')).toEqual([]);
    });

    it.each(['8 (999) 123-45-67', '+79991234567', '79991234567', '89991234567', '9991234567', '+7 999 123-45-67', '+7(999)1234567'])(
      'finds by the full phone typed as %s',
      async (q) => {
        expect(await search(q)).toEqual(['Anna Petrova']);
      },
    );

    it('finds by partial phone digits', async () => {
      expect(await search('1234567')).toEqual(['Anna Petrova']);
      expect(await search('123-45-67')).toEqual(['Anna Petrova']);
      expect(await search('999 123')).toEqual(['Anna Petrova']);
      expect(await search('555-00-11')).toEqual(['Boris Ivanov']);
      expect(await search('000000')).toEqual([]);
      expect(await search('+7 900 000-00-00')).toEqual([]);
    });

    it('finds by email in any case', async () => {
      expect(await search('anna.p@example.com')).toEqual(['Anna Petrova']);
      expect(await search('ANNA.P@EXAMPLE.COM')).toEqual(['Anna Petrova']);
      expect(await search(' Anna.P@Example.Com ')).toEqual(['Anna Petrova']);
      expect(await search('SURE@example.org')).toEqual(['100% Sure_Thing']);
      expect(await search('other@example.com')).toEqual([]);
    });

    it('lists everything without a search, newest activity first, and pages with a cursor', async () => {
      expect(await search('')).toEqual(['100% Sure_Thing', 'Анна Сидорова', 'Boris Ivanov', 'Anna Petrova']);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const url: string = `/api/contacts?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await hub.request({ url, token: admin });
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(1);
        seen.push(...res.body.items.map((c: any) => c.id));
        cursor = res.body.nextCursor;
        if (!cursor) break;
      }
      expect(cursor).toBeNull();
      expect(seen).toEqual([percent.contactId, cyrillic.contactId, boris.contactId, anna.contactId]);
    });

    it('rejects bad list parameters with 400', async () => {
      expectError(await hub.request({ url: '/api/contacts?limit=0', token: admin }), 400, 'invalid', ['limit']);
      expectError(await hub.request({ url: '/api/contacts?limit=abc', token: admin }), 400, 'invalid', ['limit']);
      expectError(await hub.request({ url: '/api/contacts?cursor=garbage', token: admin }), 400, 'invalid', ['cursor']);
      expectError(await hub.request({ url: `/api/contacts?search=${'x'.repeat(201)}`, token: admin }), 400, 'invalid', ['search']);
    });
  });

  describe('detail', () => {
    it('includes identities and deals', async () => {
      const res = await hub.request({ url: `/api/contacts/${anna.contactId}`, token: admin });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: anna.contactId, name: 'Anna Petrova', ownerId: manager.id });
      expect(res.body.identities).toEqual(
        expect.arrayContaining([
          { kind: 'phone', value: '+79991234567' },
          { kind: 'email', value: 'anna.p@example.com' },
        ]),
      );
      expect(res.body.identities).toHaveLength(2);
      expect(res.body.deals).toHaveLength(1);
      expect(res.body.deals[0]).toMatchObject({ id: anna.dealId, stage: 'new', ownerId: manager.id, sourceChannel: 'web_form', closedAt: null });
      expect(Date.parse(res.body.lastActivityAt)).not.toBeNaN();

      // The owning manager sees the same.
      const mine = await hub.request({ url: `/api/contacts/${anna.contactId}`, token: manager.token });
      expect(mine.status).toBe(200);
      expect(mine.body.identities).toEqual(res.body.identities);
    });

    it('answers 404 for an unknown contact and 400 for a non-uuid id', async () => {
      expectError(await hub.request({ url: `/api/contacts/${MISSING_ID}`, token: admin }), 404, 'not_found');
      expectError(await hub.request({ url: `/api/contacts/${MISSING_ID}/timeline`, token: admin }), 404, 'not_found');
      expectError(await hub.request({ url: '/api/contacts/123', token: admin }), 400, 'invalid');
      expectError(await hub.request({ url: '/api/contacts/123/timeline', token: admin }), 400, 'invalid');
    });
  });

  describe('timeline', () => {
    let all: any[];

    beforeAll(async () => {
      // Grow Anna's timeline: repeat leads, a new identity, a stage change, a completed task.
      for (let i = 1; i <= 3; i++) await postLead(hub, { name: 'Anna Petrova', phone: '+79991234567', message: `repeat ${i}` });
      await postLead(hub, { name: 'Anna Petrova', phone: '+79991234567', email: 'anna.work@example.com', message: 'from work' });
      expect((await hub.request({ method: 'PATCH', url: `/api/deals/${anna.dealId}`, token: manager.token, body: { stage: 'first_contact' } })).status).toBe(200);
      expect((await hub.request({ method: 'POST', url: `/api/tasks/${anna.taskId}/complete`, token: manager.token })).status).toBe(200);
      const res = await hub.request({ url: `/api/contacts/${anna.contactId}/timeline?limit=100`, token: admin });
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      all = res.body.items;
    });

    it('holds every entry of the contact, newest first', async () => {
      const [{ n }] = await hub.query(`SELECT count(*)::int AS n FROM activity WHERE contact_id = $1`, [anna.contactId]);
      expect(all).toHaveLength(n);
      expect(n).toBeGreaterThanOrEqual(9);
      const kinds = all.map((e) => e.kind);
      expect(kinds).toEqual(expect.arrayContaining(['lead', 'task_created', 'assigned', 'repeat_lead', 'identity_added', 'stage_changed', 'task_done']));
      expect(kinds.filter((k) => k === 'repeat_lead')).toHaveLength(4);
      expect(kinds[kinds.length - 1]).not.toBe('task_done');
      for (let i = 1; i < all.length; i++) {
        expect(Date.parse(all[i - 1].occurredAt)).toBeGreaterThanOrEqual(Date.parse(all[i].occurredAt));
      }
      expect(all[0].kind).toBe('task_done');
      expect(all.find((e) => e.kind === 'stage_changed')).toMatchObject({ dealId: anna.dealId, actorId: manager.id, payload: { from: 'new', to: 'first_contact' } });
    });

    it.each([1, 2, 3, 4])('with limit=%i, following nextCursor visits every entry exactly once, in order', async (limit) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/api/contacts/${anna.contactId}/timeline?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await hub.request({ url, token: manager.token });
        expect(res.status).toBe(200);
        pages++;
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        expect(res.body.items.length).toBeGreaterThan(0);
        seen.push(...res.body.items.map((e: any) => e.id));
        cursor = res.body.nextCursor;
        if (cursor !== null) expect(res.body.items).toHaveLength(limit);
      } while (cursor && pages < 100);
      expect(cursor).toBeNull();
      expect(pages).toBe(Math.ceil(all.length / limit));
      expect(seen).toEqual(all.map((e) => e.id));
    });

    it('answers 400 for a garbage or tampered cursor', async () => {
      const url = (cursor: string) => `/api/contacts/${anna.contactId}/timeline?limit=2&cursor=${encodeURIComponent(cursor)}`;
      for (const cursor of [
        'garbage',
        '!!!',
        cursorOf({ at: 'yesterday', id: MISSING_ID }),
        cursorOf({ at: '1', id: MISSING_ID }),
        cursorOf({ at: '+010000-01-01T00:00:00.000Z', id: MISSING_ID }),
        cursorOf({ at: '0000-01-01T00:00:00.000Z', id: MISSING_ID }),
        cursorOf({ at: '2026-01-01T00:00:00.000Z' }),
        cursorOf({ at: '2026-01-01T00:00:00.000Z', id: 'not-a-uuid' }),
        cursorOf({ at: '2026-01-01T00:00:00.000Z', id: 'a'.repeat(36) }),
        cursorOf({ at: '2026-01-01T00:00:00.000Z', id: '-'.repeat(36) }),
        cursorOf(['2026-01-01T00:00:00.000Z', MISSING_ID]),
        'x'.repeat(501),
      ]) {
        const res = await hub.request({ url: url(cursor), token: admin });
        expect({ cursor, status: res.status, error: res.body?.error }).toEqual({ cursor, status: 400, error: 'invalid' });
        expect(res.body.fields).toEqual({ cursor: expect.any(String) });
      }
      // A well-formed cursor from elsewhere is accepted (it is only a position).
      expect((await hub.request({ url: url(cursorOf({ at: '2000-01-01T00:00:00.000Z', id: MISSING_ID })), token: admin })).body).toEqual({ items: [], nextCursor: null });
    });

    it('rejects a bad limit with 400', async () => {
      for (const limit of ['0', '-1', '501', '1.5', 'ten']) {
        expectError(await hub.request({ url: `/api/contacts/${anna.contactId}/timeline?limit=${limit}`, token: admin }), 400, 'invalid', ['limit']);
      }
    });
  });
});
