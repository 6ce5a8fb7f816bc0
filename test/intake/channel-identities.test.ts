import { IntakeService, isIngestFailure, type InboundEvent, type IngestResult } from '@leadline/core';
import { TestHub } from '../support/test-hub';

/**
 * Identities are generic: a channel core has never heard of ('vk') brings its own kind, value and
 * details, and intake stores and matches them like Telegram's, with no core or schema change.
 */
describe('channel-owned identity kinds', () => {
  let hub: TestHub;
  let intake: IntakeService;
  let seq = 0;

  const vkMessage = (contact: InboundEvent['contact'], text = `message ${seq + 1}`): InboundEvent => ({
    channel: 'vk',
    kind: 'message',
    externalId: `vk-${++seq}`,
    contact,
    message: { text },
  });
  const ingest = async (e: InboundEvent): Promise<IngestResult> => {
    const r = await intake.ingest(e, { test: e.externalId });
    if (isIngestFailure(r)) throw new Error(r.error);
    return r;
  };

  beforeAll(async () => {
    hub = await TestHub.start();
    intake = hub.app.get(IntakeService);
    await hub.createManager({ name: 'Anna' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('stores a kind core does not know with its details, and the next message from it is the same contact', async () => {
    const first = await ingest(vkMessage({ name: 'Ivan VK', identities: [{ kind: 'vk', value: ' 190042 ', details: { screenName: 'ivan_v', city: 'Kazan' } }] }));
    expect(first).toMatchObject({ duplicate: false, repeatLead: false });
    const identities = await hub.query(`SELECT kind, value, details FROM contact_identity WHERE contact_id = $1`, [first.contactId]);
    expect(identities).toEqual([{ kind: 'vk', value: '190042', details: { screenName: 'ivan_v', city: 'Kazan' } }]);

    const second = await ingest(vkMessage({ name: 'Ivan', identities: [{ kind: 'vk', value: '190042' }] }, 'and the price?'));
    expect(second).toMatchObject({ contactId: first.contactId, dealId: first.dealId, repeatLead: true, duplicate: false });
    expect(await hub.query(`SELECT count(*)::int AS n FROM contact_identity WHERE kind = 'vk'`)).toEqual([{ n: 1 }]);
    expect(await hub.query(`SELECT count(*)::int AS n FROM deal WHERE contact_id = $1`, [first.contactId])).toEqual([{ n: 1 }]);
    // The contacts API lists it like any identity.
    const view = await hub.request({ method: 'GET', url: `/api/contacts/${first.contactId}`, token: await hub.adminToken() });
    expect(view.body.identities).toEqual([{ kind: 'vk', value: '190042' }]);
  });

  it('normalises a phone or email given as an identity like the phones and emails lists, and joins those contacts', async () => {
    const byForm = await ingest({ channel: 'web_form', externalId: `form-${++seq}`, contact: { name: 'Dana', phones: ['+7 916 555-44-33'] } });
    const byVk = await ingest(vkMessage({ identities: [{ kind: 'vk', value: '777' }, { kind: 'phone', value: '8 (916) 555-44-33' }, { kind: 'email', value: ' Dana@Example.COM ' }] }));
    expect(byVk.contactId).toBe(byForm.contactId);
    const identities = await hub.query(`SELECT kind, value FROM contact_identity WHERE contact_id = $1 ORDER BY kind`, [byForm.contactId]);
    expect(identities).toEqual([
      { kind: 'email', value: 'dana@example.com' },
      { kind: 'phone', value: '+79165554433' },
      { kind: 'vk', value: '777' },
    ]);
  });

  it('puts a channel account before an email when they point at different people', async () => {
    const byEmail = await ingest({ channel: 'web_form', externalId: `form-${++seq}`, contact: { name: 'Shared inbox', emails: ['office@firm.example'] } });
    const byVk = await ingest(vkMessage({ name: 'Rustam', identities: [{ kind: 'vk', value: '4242' }] }));
    expect(byVk.contactId).not.toBe(byEmail.contactId);
    const both = await ingest(vkMessage({ identities: [{ kind: 'vk', value: '4242' }], emails: ['office@firm.example'] }));
    expect(both.contactId).toBe(byVk.contactId);
  });

  it('keeps an event with a malformed kind as a failed receipt (the channel’s bug), storing no contact', async () => {
    const before = await hub.query(`SELECT count(*)::int AS n FROM contact`);
    const r = await intake.ingest(vkMessage({ identities: [{ kind: 'VK!', value: '1' }] }), { raw: 'bad kind' });
    expect(isIngestFailure(r)).toBe(true);
    expect(await hub.query(`SELECT count(*)::int AS n FROM contact`)).toEqual(before);
    const [receipt] = await hub.query(`SELECT status, error FROM inbound_receipt WHERE channel = 'vk' AND external_id = $1`, [`vk-${seq}`]);
    expect(receipt.status).toBe('failed');
    expect(receipt.error).toContain('not a lowercase token');
  });

  it('holds contact_identity.kind to the token format in the database, not to a list of channels', async () => {
    const [c] = await hub.query(`INSERT INTO contact (name) VALUES ('direct') RETURNING id`);
    await hub.query(`INSERT INTO contact_identity (contact_id, kind, value) VALUES ($1, 'instagram', 'direct_1')`, [c.id]);
    await expect(hub.query(`INSERT INTO contact_identity (contact_id, kind, value) VALUES ($1, 'Instagram', 'direct_2')`, [c.id])).rejects.toThrow(/ck_contact_identity_kind/);
    await expect(hub.query(`INSERT INTO contact_identity (contact_id, kind, value) VALUES ($1, 'a b', 'direct_3')`, [c.id])).rejects.toThrow(/ck_contact_identity_kind/);
  });
});
