import { IntakeService, isIngestFailure, OutboxKind, OutboxWorker, type InboundEvent, type IngestResult } from '@leadline/core';
import { expectError, onlyAvailable } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

const MINUTE = 60_000;

/** Chat messages on an open deal, and a manager's reply to the client through any channel. */
describe('conversations', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let intake: IntakeService;
  const T0 = new Date('2026-11-23T10:00:00Z');

  beforeAll(async () => {
    hub = await TestHub.start({ OUTBOX_MAX_ATTEMPTS: '2' });
    admin = await hub.adminToken();
    anna = await hub.createManager({ name: 'Anna Talk' });
    boris = await hub.createManager({ name: 'Boris Talk' });
    await onlyAvailable(hub, [anna.id, boris.id], anna.id);
    intake = hub.app.get(IntakeService);
  });
  beforeEach(() => hub.clock.set(T0));
  afterAll(async () => {
    await hub?.close();
  });

  let seq = 0;
  const ingest = async (event: Partial<InboundEvent> & Pick<InboundEvent, 'channel' | 'contact'>): Promise<IngestResult> => {
    const result = await intake.ingest({ externalId: `ext-${++seq}`, ...event }, { raw: seq });
    if (isIngestFailure(result)) throw new Error(result.error);
    return result;
  };
  const tg = (userId: string, text: string, extra: Partial<InboundEvent> = {}) =>
    ingest({ channel: 'telegram', kind: 'message', contact: { name: 'Tg Client', telegram: { userId } }, message: { text, details: { chatId: userId, messageId: seq } }, ...extra });
  const activity = async (id: string) => (await hub.query(`SELECT kind, channel, actor_id, payload FROM activity WHERE id = $1`, [id]))[0];
  const outboxRow = async (id: string) => (await hub.query(`SELECT kind, payload, status FROM outbox WHERE id = $1`, [id]))[0];
  const send = (contactId: string, body: Record<string, unknown>, token = anna.token) =>
    hub.request({ method: 'POST', url: `/api/contacts/${contactId}/messages`, token, body });

  it('a first chat message is a lead; follow-ups are timeline messages on the open deal with no new task', async () => {
    const first = await tg('7001', 'Hello, how much is delivery?');
    expect(first.repeatLead).toBe(false);
    expect(first.taskId).not.toBeNull();
    expect(await activity(first.activityId)).toMatchObject({ kind: 'lead', channel: 'telegram', payload: { message: 'Hello, how much is delivery?', details: { chatId: '7001' } } });

    // The callback task gets done; a later message must not open a new one.
    const done = await hub.request({ method: 'POST', url: `/api/tasks/${first.taskId}/complete`, token: anna.token });
    expect(done.status).toBe(200);
    const second = await tg('7001', 'And to Kazan?');
    expect(second).toMatchObject({ dealId: first.dealId, contactId: first.contactId, repeatLead: true, taskId: null, ownerId: anna.id });
    expect(await activity(second.activityId)).toMatchObject({ kind: 'message_in', payload: { message: 'And to Kazan?' } });
    const open = await hub.query(`SELECT count(*)::int AS n FROM task WHERE deal_id = $1 AND status = 'open'`, [first.dealId]);
    expect(open[0].n).toBe(0);
    const notices = await hub.query(`SELECT payload FROM outbox WHERE kind = $1 AND payload->>'activityId' = $2`, [OutboxKind.NotifyManager, second.activityId]);
    expect(notices.map((n: any) => n.payload)).toEqual([expect.objectContaining({ event: 'message_in', managerId: anna.id, text: 'And to Kazan?', channel: 'telegram' })]);

    // A repeat *lead* (a form) on the same deal still gets a callback task.
    const lead = await ingest({ channel: 'telegram', contact: { telegram: { userId: '7001' } }, message: { text: 'please call me' } });
    expect(lead.taskId).not.toBeNull();
    expect((await activity(lead.activityId)).kind).toBe('repeat_lead');
  });

  it('a reply goes out by the channel the client used, completes the callback task and records the first response', async () => {
    const lead = await tg('7002', 'Do you deliver on Sundays?');
    hub.clock.set(new Date(T0.getTime() + 7 * MINUTE));
    const res = await send(lead.contactId, { text: 'Yes, we do.' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ activityId: expect.any(String), channel: 'telegram', outboxId: expect.any(String), dealId: lead.dealId });
    expect(await activity(res.body.activityId)).toMatchObject({ kind: 'message_out', channel: 'telegram', actor_id: anna.id, payload: { text: 'Yes, we do.', to: '7002', status: 'queued' } });
    expect(await outboxRow(res.body.outboxId)).toEqual({
      kind: OutboxKind.MessageSend,
      status: 'pending',
      payload: { channel: 'telegram', activityId: res.body.activityId, contactId: lead.contactId, dealId: lead.dealId, to: '7002', text: 'Yes, we do.' },
    });
    // Queued is not answered: the callback task waits for the delivery.
    expect((await hub.query(`SELECT status FROM task WHERE id = $1`, [lead.taskId]))[0].status).toBe('open');
    const conversations = hub.app.get((await import('@leadline/core')).ConversationsService);
    await conversations.markSent(res.body.activityId, { providerMessageId: '42' });
    const [task] = await hub.query(`SELECT status, completed_by_id FROM task WHERE id = $1`, [lead.taskId]);
    expect(task).toEqual({ status: 'done', completed_by_id: anna.id });
    const [deal] = await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [lead.dealId]);
    expect(new Date(deal.first_response_at).toISOString()).toBe(new Date(T0.getTime() + 7 * MINUTE).toISOString());
    // A second report of the same delivery (a retry after a crash) changes nothing.
    await conversations.markSent(res.body.activityId, { providerMessageId: '42' });
    expect(await hub.query(`SELECT 1 FROM activity WHERE kind = 'task_done' AND payload->>'taskId' = $1`, [lead.taskId])).toHaveLength(1);
    const [doneEntry] = await hub.query(`SELECT payload FROM activity WHERE kind = 'task_done' AND payload->>'taskId' = $1`, [lead.taskId]);
    expect(doneEntry.payload).toMatchObject({ via: 'telegram', afterMinutes: 7, text: 'answered by telegram after 7 min' });
  });

  it('an email reply threads onto the latest email of the conversation', async () => {
    const lead = await ingest({
      channel: 'email',
      contact: { name: 'Mail Client', emails: ['Mail.Client@Example.com'] },
      message: { subject: 'Price list', text: 'Send me prices', details: { messageId: '<a1@client.example>', references: ['<a0@client.example>'], mailboxId: 'mbx-1' } },
    });
    const res = await send(lead.contactId, { text: 'Attached.' });
    expect(res.status).toBe(201);
    expect(res.body.channel).toBe('email');
    expect((await outboxRow(res.body.outboxId)).payload).toEqual({
      channel: 'email',
      activityId: res.body.activityId,
      contactId: lead.contactId,
      dealId: lead.dealId,
      to: 'mail.client@example.com',
      subject: 'Re: Price list',
      text: 'Attached.',
      inReplyTo: '<a1@client.example>',
      references: ['<a0@client.example>', '<a1@client.example>'],
      mailboxId: 'mbx-1',
    });
    // The channel reports the Message-ID it sent: the next reply threads onto ours.
    const conversations = hub.app.get((await import('@leadline/core')).ConversationsService);
    await conversations.markSent(res.body.activityId, { providerMessageId: 'smtp-250', details: { messageId: '<ours-1@leadline>', references: ['<a0@client.example>', '<a1@client.example>'] } });
    expect((await activity(res.body.activityId)).payload).toMatchObject({ status: 'sent', providerMessageId: 'smtp-250', details: { messageId: '<ours-1@leadline>', mailboxId: 'mbx-1' } });
    hub.clock.set(new Date(T0.getTime() + MINUTE));
    const next = await send(lead.contactId, { text: 'Anything else?', subject: 'Re: Price list' });
    expect((await outboxRow(next.body.outboxId)).payload).toMatchObject({
      inReplyTo: '<ours-1@leadline>',
      references: ['<a0@client.example>', '<a1@client.example>', '<ours-1@leadline>'],
      subject: 'Re: Price list',
    });
  });

  it('explicit channel, missing address, empty text and other managers’ contacts are refused clearly', async () => {
    const lead = await tg('7003', 'hi');
    expectError(await send(lead.contactId, { text: 'hello', channel: 'email' }), 400, 'invalid', ['channel']);
    expectError(await send(lead.contactId, { text: '   ' }), 400, 'invalid', ['text']);
    expectError(await send(lead.contactId, { text: 'x', channel: 'sms' }), 400, 'invalid', ['channel']);
    expectError(await send(lead.contactId, { text: 'not mine' }, boris.token), 404, 'not_found');
    const phoneOnly = await ingest({ channel: 'web_form', contact: { phones: ['+7 912 555 00 11'] } });
    expectError(await send(phoneOnly.contactId, { text: 'hello' }, admin), 400, 'invalid', ['channel']);
    // Nothing was written by the refusals.
    const outs = await hub.query(`SELECT count(*)::int AS n FROM activity WHERE kind = 'message_out' AND contact_id = ANY($1::uuid[])`, [[lead.contactId, phoneOnly.contactId]]);
    expect(outs[0].n).toBe(0);
  });

  it('a message whose delivery is given up shows as failed on the timeline (onDead)', async () => {
    // This hub runs no Telegram bot: the channel is registered, its deliveries fail and end dead.
    const lead = await tg('7004', 'are you there?');
    const res = await send(lead.contactId, { text: 'Hello?' });
    const worker = hub.app.get(OutboxWorker);
    // Outbox rows are due in database time (now); the worker's clock walks past every backoff.
    const later = Date.now() + 24 * 60 * MINUTE;
    for (let i = 0; i < 5; i++) {
      hub.clock.set(new Date(later + i * 60 * MINUTE));
      await worker.runOnce(100);
    }
    expect(await outboxRow(res.body.outboxId)).toMatchObject({ status: 'dead' });
    expect((await hub.query(`SELECT attempts FROM outbox WHERE id = $1`, [res.body.outboxId]))[0].attempts).toBe(2);
    expect((await activity(res.body.activityId)).payload).toMatchObject({ status: 'failed', error: 'Telegram is not configured (set TELEGRAM_BOT_TOKEN)' });
    // Telegram tells the author of an undelivered message (the email channel leaves that to its bounces).
    const notices = await hub.query(`SELECT payload FROM outbox WHERE kind = $1 AND payload->>'event' = 'message_failed' AND payload->>'activityId' = $2`, [OutboxKind.NotifyManager, res.body.activityId]);
    expect(notices.map((n: any) => n.payload)).toEqual([expect.objectContaining({ managerId: anna.id, channel: 'telegram', reason: 'failed' })]);
  });
});
