import { raiseFormRateLimit } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

/** Phones as people in the seed countries type them; one that cannot be read is kept, never dropped. */
describe('phones on the way in', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await TestHub.start();
    await raiseFormRateLimit(hub);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const phonesOf = async (contactId: string) =>
    (await hub.query(`SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'phone' ORDER BY value`, [contactId])).map((r: { value: string }) => r.value);

  it('reads 00, 810 and 8~10 prefixes as "+" and finds the same person again', async () => {
    const first = await hub.postForm({ name: 'Aysel', phone: '+994 50 123 45 67' });
    expect(first.status).toBe(201);
    for (const typed of ['00994501234567', '810 994 50 123 45 67', '8~10 994 (50) 123-45-67']) {
      const again = await hub.postForm({ name: 'Aysel', phone: typed, email: `aysel.${typed.length}@example.az`, message: typed });
      expect(again.status).toBe(201);
      expect(again.body.contactId).toBe(first.body.contactId);
    }
    expect(await phonesOf(first.body.contactId)).toEqual(['+994501234567']);
    expect((await hub.query(`SELECT count(*)::int AS n FROM contact`))[0].n).toBe(1);
  });

  it('keeps a phone it cannot read on the lead as typed, next to a valid email, without a phone identity', async () => {
    const res = await hub.postForm({ name: 'Vlad', phone: 'call me: 12-34', email: 'vlad@example.by' });
    expect(res.status).toBe(201);
    expect(await phonesOf(res.body.contactId)).toEqual([]);
    const [lead] = await hub.query(`SELECT payload FROM activity WHERE contact_id = $1 AND kind = 'lead'`, [res.body.contactId]);
    expect(lead.payload.fields['phone (unreadable)']).toBe('call me: 12-34');
    expect(lead.payload.unreadablePhones).toEqual(['call me: 12-34']);
    // The manager sees it on the timeline (the lead's fields).
    const timeline = await hub.request({ url: `/api/contacts/${res.body.contactId}/timeline`, token: await hub.adminToken() });
    expect(JSON.stringify(timeline.body)).toContain('call me: 12-34');
    // The same person with a readable phone later is the same contact (found by email).
    const later = await hub.postForm({ name: 'Vlad', phone: '8 10 375 29 123 45 67', email: 'vlad@example.by' });
    expect(later.body.contactId).toBe(res.body.contactId);
    expect(await phonesOf(res.body.contactId)).toEqual(['+375291234567']);
  });

  it('still refuses a form whose only contact is a phone it cannot read, saying which field', async () => {
    const res = await hub.postForm({ name: 'Nobody', phone: '12-34' });
    expect(res.status).toBe(400);
    expect(res.body.fields.phone).toBe('not a valid phone number');
  });
});
