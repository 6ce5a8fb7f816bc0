import { IntakeService, isIngestFailure, type InboundEvent, type IngestResult } from '@leadline/core';
import { TestHub } from '../support/test-hub';

/** The one intake path, called as every channel calls it. */
describe('IntakeService.ingest', () => {
  let hub: TestHub;
  let intake: IntakeService;
  let seq = 0;

  const event = (contact: InboundEvent['contact'], extra: Partial<InboundEvent> = {}): InboundEvent => ({
    channel: 'web_form',
    externalId: `test-${++seq}`,
    contact,
    message: { text: `message ${seq}` },
    ...extra,
  });
  const ingest = async (e: InboundEvent): Promise<IngestResult> => {
    const r = await intake.ingest(e, { test: e.externalId });
    if (isIngestFailure(r)) throw new Error(r.error);
    return r;
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await hub.query(sql, params))[0].n);

  beforeAll(async () => {
    hub = await TestHub.start();
    intake = hub.app.get(IntakeService);
    await hub.createManager({ name: 'Anna' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('creates contact, deal, owner, callback task due in 15 minutes, timeline and owner notice in one go', async () => {
    hub.clock.set('2026-11-23T10:00:00Z');
    const r = await ingest(event({ name: 'Pavel', phones: ['+7 916 000-00-01'] }, { occurredAt: new Date('2026-11-23T10:00:00Z') }));
    hub.clock.useRealTime();
    expect(r).toMatchObject({ duplicate: false, repeatLead: false });
    const [deal] = await hub.query(`SELECT * FROM deal WHERE id = $1`, [r.dealId]);
    expect(deal).toMatchObject({ contact_id: r.contactId, stage: 'new', source_channel: 'web_form', owner_id: r.ownerId });
    expect(r.ownerId).not.toBeNull();
    const [task] = await hub.query(`SELECT * FROM task WHERE id = $1`, [r.taskId]);
    expect(task).toMatchObject({ kind: 'callback', status: 'open', assignee_id: r.ownerId, deal_id: r.dealId });
    expect(new Date(task.due_at).toISOString()).toBe('2026-11-23T10:15:00.000Z');
    const kinds = (await hub.query(`SELECT kind FROM activity WHERE contact_id = $1 ORDER BY created_at`, [r.contactId])).map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['lead', 'task_created', 'assigned']));
    const [notice] = await hub.query(`SELECT * FROM outbox WHERE kind = 'notify.manager' AND payload->>'dealId' = $1`, [r.dealId]);
    expect(notice.payload).toMatchObject({ event: 'lead_assigned', managerId: r.ownerId, taskId: r.taskId, contactId: r.contactId });
    const [receipt] = await hub.query(`SELECT * FROM inbound_receipt WHERE id = $1`, [r.leadId]);
    expect(receipt).toMatchObject({ status: 'processed', channel: 'web_form' });
  });

  it('is idempotent on channel + external id: a redelivery changes nothing and returns the same ids', async () => {
    const e = event({ name: 'Olga', emails: ['olga@example.com'] });
    const first = await ingest(e);
    const before = await count(`SELECT count(*) AS n FROM activity`);
    const again = await ingest(e);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await count(`SELECT count(*) AS n FROM activity`)).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM deal WHERE contact_id = $1`, [first.contactId])).toBe(1);
  });

  it('treats 8 (999) 123-45-67, +7 999 123 45 67 and 79991234567 as one contact with one deal and one open callback', async () => {
    const a = await ingest(event({ name: 'Ivan', phones: ['8 (999) 123-45-67'] }));
    const b = await ingest(event({ phones: ['+7 999 123 45 67'] }));
    const c = await ingest(event({ phones: ['79991234567'] }));
    expect(new Set([a.contactId, b.contactId, c.contactId]).size).toBe(1);
    expect(new Set([a.dealId, b.dealId, c.dealId]).size).toBe(1);
    expect(b.repeatLead && c.repeatLead).toBe(true);
    expect(b.taskId).toBe(a.taskId);
    expect(await count(`SELECT count(*) AS n FROM task WHERE deal_id = $1 AND status = 'open'`, [a.dealId])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM activity WHERE deal_id = $1 AND kind = 'repeat_lead'`, [a.dealId])).toBe(2);
    const identities = await hub.query(`SELECT kind, value FROM contact_identity WHERE contact_id = $1`, [a.contactId]);
    expect(identities).toEqual([{ kind: 'phone', value: '+79991234567' }]);
    // The owner hears about the repeat lead.
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE payload->>'event' = 'repeat_lead' AND payload->>'dealId' = $1`, [a.dealId])).toBe(2);
  });

  it.each([
    ['Uzbekistan', '+998 90 123 45 67', '+998901234567'],
    ['Azerbaijan', '+994 50 123 45 67', '+994501234567'],
    ['Kazakhstan', '8 701 123 45 67', '+77011234567'],
  ])('stores %s numbers in E.164', async (_country, input, e164) => {
    const r = await ingest(event({ phones: [input] }));
    const [identity] = await hub.query(`SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'phone'`, [r.contactId]);
    expect(identity.value).toBe(e164);
  });

  it('matches emails lowercased and trimmed', async () => {
    const a = await ingest(event({ emails: ['  Mixed.Case@Example.COM '] }));
    const b = await ingest(event({ emails: ['mixed.case@example.com'] }));
    expect(b.contactId).toBe(a.contactId);
  });

  it('adds a new identity of a known person to their contact', async () => {
    const a = await ingest(event({ phones: ['+7 916 111-22-33'] }));
    const b = await ingest(event({ phones: ['+7 916 111-22-33'], emails: ['new.address@example.com'] }));
    expect(b.contactId).toBe(a.contactId);
    const values = (await hub.query(`SELECT value FROM contact_identity WHERE contact_id = $1 ORDER BY kind`, [a.contactId])).map((r) => r.value);
    expect(values).toEqual(['new.address@example.com', '+79161112233']);
  });

  it('attaches a lead matching two contacts to one of them and records the conflict on both', async () => {
    const byPhone = await ingest(event({ name: 'Phone Person', phones: ['+7 916 222-33-44'] }));
    const byEmail = await ingest(event({ name: 'Email Person', emails: ['email.person@example.com'] }));
    expect(byPhone.contactId).not.toBe(byEmail.contactId);
    const both = await ingest(event({ phones: ['89162223344'], emails: ['email.person@example.com'] }));
    // The phone is the stronger signal for a team that calls.
    expect(both.contactId).toBe(byPhone.contactId);
    for (const contactId of [byPhone.contactId, byEmail.contactId]) {
      const [conflict] = await hub.query(`SELECT payload FROM activity WHERE contact_id = $1 AND kind = 'identity_conflict'`, [contactId]);
      expect(conflict.payload).toMatchObject({ attachedToContactId: byPhone.contactId, otherContactId: byEmail.contactId });
      expect(conflict.payload.matchedThere).toEqual([{ kind: 'email', value: 'email.person@example.com' }]);
    }
    // Nothing was dropped: the lead is on the phone contact's deal and each identity stays with its contact.
    expect(await count(`SELECT count(*) AS n FROM activity WHERE deal_id = $1 AND kind IN ('lead', 'repeat_lead')`, [both.dealId])).toBe(2);
    const [email] = await hub.query(`SELECT contact_id FROM contact_identity WHERE value = 'email.person@example.com'`);
    expect(email.contact_id).toBe(byEmail.contactId);
  });

  it('opens a new deal and a new callback task when the earlier deal is closed', async () => {
    const first = await ingest(event({ phones: ['+7 916 333-44-55'] }));
    await hub.query(`UPDATE deal SET stage = 'won', closed_at = now() WHERE id = $1`, [first.dealId]);
    await hub.query(`UPDATE task SET status = 'done' WHERE id = $1`, [first.taskId]);
    const second = await ingest(event({ phones: ['+7 916 333-44-55'] }));
    expect(second.contactId).toBe(first.contactId);
    expect(second.dealId).not.toBe(first.dealId);
    expect(second.taskId).not.toBe(first.taskId);
    expect(second.repeatLead).toBe(false);
  });

  it('creates a new callback task on an open deal whose callback was already done', async () => {
    const first = await ingest(event({ phones: ['+7 916 444-55-66'] }));
    await hub.query(`UPDATE task SET status = 'done' WHERE id = $1`, [first.taskId]);
    const again = await ingest(event({ phones: ['+7 916 444-55-66'] }));
    expect(again.dealId).toBe(first.dealId);
    expect(again.taskId).not.toBe(first.taskId);
    expect(await count(`SELECT count(*) AS n FROM task WHERE deal_id = $1 AND status = 'open'`, [first.dealId])).toBe(1);
  });

  it('keeps a lead our code fails on as a failed receipt with the raw payload, and takes it over on redelivery', async () => {
    // A trigger stands in for a bug in our processing.
    await hub.query(`CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.title LIKE 'POISON%' THEN RAISE EXCEPTION 'poisoned deal'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await hub.query(`CREATE TRIGGER poison BEFORE INSERT ON deal FOR EACH ROW EXECUTE FUNCTION poison()`);
    try {
      const e = event({ name: 'POISON pill', phones: ['+7 916 555-66-77'] });
      const failed = await intake.ingest(e, { original: 'payload' });
      expect(isIngestFailure(failed)).toBe(true);
      const [receipt] = await hub.query(`SELECT * FROM inbound_receipt WHERE channel = 'web_form' AND external_id = $1`, [e.externalId]);
      expect(receipt).toMatchObject({ status: 'failed', attempts: 1 });
      expect(JSON.parse(receipt.raw)).toEqual({ original: 'payload' });
      expect(receipt.error).toMatch(/poisoned deal/);
      // Nothing half-written.
      expect(await count(`SELECT count(*) AS n FROM contact_identity WHERE value = '+79165556677'`)).toBe(0);
      // A second failure counts the attempt.
      await intake.ingest(e, { original: 'payload' });
      expect((await hub.query(`SELECT attempts FROM inbound_receipt WHERE id = $1`, [receipt.id]))[0].attempts).toBe(2);

      await hub.query(`DROP TRIGGER poison ON deal`);
      const ok = await ingest(e);
      expect(ok.leadId).toBe(receipt.id);
      expect((await hub.query(`SELECT status, error FROM inbound_receipt WHERE id = $1`, [receipt.id]))[0]).toEqual({ status: 'processed', error: null });
    } finally {
      await hub.query(`DROP TRIGGER IF EXISTS poison ON deal`);
      await hub.query(`DROP FUNCTION IF EXISTS poison()`);
    }
  });
});
