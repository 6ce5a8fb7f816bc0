import { ChannelRegistry, IntakeService, isIngestFailure, OutboxKind, OutboxWorker, type ChannelDelivery, type ChannelPlugin, type DeliveryOutcome, type ReplyPermission } from '@leadline/core';
import { expectError, nextPhone, onlyAvailable, postLead } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';

const MINUTE = 60_000;

/**
 * The channel plug-in contract end to end, with a channel the hub has never heard of ("pigeon",
 * addressed by phone like WhatsApp or SMS): registering it is all it takes for managers' messages to
 * be chosen, queued, delivered, retried, failed and counted as first response through the core.
 */
describe('channel plug-ins', () => {
  let hub: TestHub;
  let anna: { id: string; token: string };
  const T0 = new Date('2026-11-23T10:00:00Z');

  // What the pigeon provider will answer next, and what it was given.
  let answer: (d: ChannelDelivery) => Promise<DeliveryOutcome>;
  const delivered: ChannelDelivery[] = [];
  let permission: ReplyPermission = { ok: true };
  const pigeon: ChannelPlugin = {
    name: 'pigeon',
    iconKey: 'bird',
    label: { en: 'Pigeon post', ru: 'Голубиная почта' },
    order: 90,
    capabilities: { inbound: true, reply: true, media: false, templates: true, calls: false, subject: false },
    identityKinds: [],
    availability: async () => ({ receives: true, sends: true, calls: false, enableWith: [] }),
    outbound: {
      addressKinds: ['phone'],
      // Behind Telegram and email: chosen by default only when the client last wrote by pigeon.
      fallbackRank: 100,
      notifyAuthorOnFailure: true,
      canReply: async () => permission,
      templates: async () => [{ name: 'come_back', language: 'en', text: 'Hello {{1}}, shall we talk?', params: 1 }],
      compose: async (c) => ({ payload: { loft: `loft-${c.address}`, ...(c.template ? { template: c.template } : {}) }, entry: { loft: `loft-${c.address}` }, details: { wings: 2 } }),
      deliver: (d) => {
        delivered.push(d);
        return answer(d);
      },
    },
  };

  beforeAll(async () => {
    hub = await TestHub.start({ OUTBOX_MAX_ATTEMPTS: '2' });
    anna = await hub.createManager({ name: 'Anna Pigeon' });
    await onlyAvailable(hub, [anna.id], anna.id);
    hub.app.get(ChannelRegistry).register(pigeon);
  });
  beforeEach(() => {
    hub.clock.set(T0);
    permission = { ok: true };
    delivered.length = 0;
  });
  afterAll(async () => {
    await hub?.close();
  });

  const send = (contactId: string, body: Record<string, unknown>, token = anna.token) => hub.request({ method: 'POST', url: `/api/contacts/${contactId}/messages`, token, body });
  const activity = async (id: string) => (await hub.query(`SELECT kind, channel, actor_id, payload FROM activity WHERE id = $1`, [id]))[0];
  const outboxRow = async (id: string) => (await hub.query(`SELECT kind, payload, status, attempts FROM outbox WHERE id = $1`, [id]))[0];
  const drain = async () => {
    const worker = hub.app.get(OutboxWorker);
    const later = Date.now() + 24 * 60 * MINUTE;
    for (let i = 0; i < 4; i++) {
      hub.clock.set(new Date(later + i * 60 * MINUTE));
      await worker.runOnce(100);
    }
  };

  it('GET /api/channels lists every registered channel with what the admin UI needs', async () => {
    const res = await hub.request({ url: '/api/channels', token: anna.token });
    expect(res.status).toBe(200);
    expect(res.body.map((c: { key: string }) => c.key)).toEqual(['web_form', 'email', 'telegram', 'phone', 'sms', 'whatsapp', 'pigeon']);
    expect(res.body.find((c: { key: string }) => c.key === 'pigeon')).toEqual({
      key: 'pigeon',
      label: { en: 'Pigeon post', ru: 'Голубиная почта' },
      iconKey: 'bird',
      capabilities: { inbound: true, reply: true, media: false, templates: true, calls: false, subject: false },
      identityKinds: [],
      receives: true,
      sends: true,
      calls: false,
      enableWith: [],
    });
    expect(res.body.find((c: { key: string }) => c.key === 'telegram')).toMatchObject({
      label: { en: 'Telegram', ru: 'Telegram' },
      iconKey: 'telegram',
      capabilities: { reply: true },
      identityKinds: ['telegram'],
      sends: false,
      enableWith: ['TELEGRAM_BOT_TOKEN'],
    });
    expect(res.body.find((c: { key: string }) => c.key === 'phone')).toMatchObject({ identityKinds: ['phone'], capabilities: { reply: false, calls: true } });
    expect((await hub.request({ url: '/api/channels' })).status).toBe(401);
  });

  it('a registered channel gets the message through the generic path: compose, deliver, sent, first response', async () => {
    const phone = nextPhone();
    const lead = await postLead(hub, { name: 'Pavel Pigeon', phone: phone.typed });
    hub.clock.set(new Date(T0.getTime() + 3 * MINUTE));
    const res = await send(lead.contactId, { text: 'Coo!', channel: 'pigeon' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ channel: 'pigeon', dealId: lead.dealId });
    expect(await outboxRow(res.body.outboxId)).toMatchObject({
      kind: OutboxKind.MessageSend,
      status: 'pending',
      payload: { channel: 'pigeon', activityId: res.body.activityId, contactId: lead.contactId, dealId: lead.dealId, to: phone.e164, text: 'Coo!', loft: `loft-${phone.e164}` },
    });
    expect(await activity(res.body.activityId)).toMatchObject({
      kind: 'message_out',
      channel: 'pigeon',
      actor_id: anna.id,
      payload: { text: 'Coo!', to: phone.e164, status: 'queued', loft: `loft-${phone.e164}`, details: { wings: 2 } },
    });

    answer = async () => ({ status: 'sent', providerMessageId: 'feather-1', details: { ring: 'blue' } });
    hub.clock.set(new Date(T0.getTime() + 5 * MINUTE));
    await hub.app.get(OutboxWorker).runOnce(100);
    expect(delivered.map((d) => [d.outboxId, d.attempts, d.payload.to])).toEqual([[res.body.outboxId, 0, phone.e164]]);
    expect((await outboxRow(res.body.outboxId)).status).toBe('done');
    expect((await activity(res.body.activityId)).payload).toMatchObject({ status: 'sent', providerMessageId: 'feather-1', details: { wings: 2, ring: 'blue' } });
    // Delivered is answered: the callback task is done by the author, the first response is the delivery time.
    expect((await hub.query(`SELECT status, completed_by_id FROM task WHERE id = $1`, [lead.taskId]))[0]).toEqual({ status: 'done', completed_by_id: anna.id });
    const [deal] = await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [lead.dealId]);
    expect(new Date(deal.first_response_at).toISOString()).toBe(new Date(T0.getTime() + 5 * MINUTE).toISOString());
    const [done] = await hub.query(`SELECT payload FROM activity WHERE kind = 'task_done' AND payload->>'taskId' = $1`, [lead.taskId]);
    expect(done.payload).toMatchObject({ via: 'pigeon' });
  });

  it('the client’s last channel is the default when it can reply; a refusal, a hold and a failure end where the core says', async () => {
    const phone = nextPhone();
    const intake = hub.app.get(IntakeService);
    const result = await intake.ingest({ channel: 'pigeon', kind: 'message', externalId: `pigeon-${phone.e164}`, contact: { name: 'Polly', phones: [phone.typed] }, message: { text: 'hello by pigeon' } }, { raw: 1 });
    if (isIngestFailure(result)) throw new Error(result.error);

    // The reply window is shut: 409 with the channel's reason, nothing written; the composer is told the same.
    permission = { ok: false, reason: 'window_closed' };
    const refused = await send(result.contactId, { text: 'too late' });
    expectError(refused, 409, 'conflict', ['channel']);
    expect(refused.body.fields.channel).toBe('window_closed');
    const options = await hub.request({ url: `/api/contacts/${result.contactId}/reply-channels`, token: anna.token });
    expect(options.status).toBe(200);
    expect(options.body).toEqual([{ channel: 'pigeon', address: phone.e164, ok: false, reason: 'window_closed' }]);
    expect(await hub.query(`SELECT 1 FROM activity WHERE kind = 'message_out' AND contact_id = $1`, [result.contactId])).toHaveLength(0);

    // Outside the window a pre-approved template may go; a channel without templates refuses one.
    const templates = await hub.request({ url: '/api/channels/pigeon/templates', token: anna.token });
    expect(templates.body).toEqual([{ name: 'come_back', language: 'en', text: 'Hello {{1}}, shall we talk?', params: 1 }]);
    expect((await hub.request({ url: '/api/channels/telegram/templates', token: anna.token })).status).toBe(404);
    const template = { name: 'come_back', language: 'en', params: ['Polly'] };
    const viaTemplate = await send(result.contactId, { text: 'Hello Polly, shall we talk?', template });
    expect(viaTemplate.status).toBe(201);
    expect((await outboxRow(viaTemplate.body.outboxId)).payload).toMatchObject({ channel: 'pigeon', text: 'Hello Polly, shall we talk?', template });
    expectError(await send(result.contactId, { text: 'x', channel: 'email', template }), 400, 'invalid', ['template']);
    answer = async () => ({ status: 'sent', providerMessageId: 'tpl-1' });
    await hub.app.get(OutboxWorker).runOnce(100);
    expect((await activity(viaTemplate.body.activityId)).payload).toMatchObject({ status: 'sent' });
    const firstResponse = (await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [result.dealId]))[0].first_response_at;
    expect(firstResponse).not.toBeNull();

    // Open again: no channel given → the one the client wrote from. The provider says "later", then no for good.
    permission = { ok: true };
    const res = await send(result.contactId, { text: 'Hello Polly' });
    expect(res.status).toBe(201);
    expect(res.body.channel).toBe('pigeon');
    answer = async () => ({ status: 'retry-later', afterMs: 30_000, reason: 'loft full' });
    await hub.app.get(OutboxWorker).runOnce(100);
    expect(await outboxRow(res.body.outboxId)).toMatchObject({ status: 'pending', attempts: 0 });
    answer = async () => ({ status: 'failed', reason: 'undeliverable', error: 'no such loft' });
    await drain();
    expect(await outboxRow(res.body.outboxId)).toMatchObject({ status: 'done' });
    expect((await activity(res.body.activityId)).payload).toMatchObject({ status: 'failed', error: 'no such loft' });
    // A failed message answers nobody: the first response stays the template's delivery.
    expect((await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [result.dealId]))[0].first_response_at).toEqual(firstResponse);
    const notices = await hub.query(`SELECT payload FROM outbox WHERE kind = $1 AND payload->>'event' = 'message_failed' AND payload->>'activityId' = $2`, [OutboxKind.NotifyManager, res.body.activityId]);
    expect(notices.map((n: any) => n.payload)).toEqual([expect.objectContaining({ managerId: anna.id, channel: 'pigeon', reason: 'undeliverable', error: 'no such loft' })]);
  });

  it('a provider error is retried and, given up, fails the entry once', async () => {
    const lead = await postLead(hub, { name: 'Petra Pigeon', phone: nextPhone().typed });
    const res = await send(lead.contactId, { text: 'anyone?', channel: 'pigeon' });
    answer = async () => {
      throw new Error('pigeon API 502');
    };
    await drain();
    expect(delivered.filter((d) => d.outboxId === res.body.outboxId)).toHaveLength(2);
    expect(await outboxRow(res.body.outboxId)).toMatchObject({ status: 'dead' });
    expect((await activity(res.body.activityId)).payload).toMatchObject({ status: 'failed', error: 'pigeon API 502' });
    expect((await hub.query(`SELECT status FROM task WHERE id = $1`, [lead.taskId]))[0].status).toBe('open');
    expect((await hub.query(`SELECT first_response_at FROM deal WHERE id = $1`, [lead.dealId]))[0].first_response_at).toBeNull();
  });

  it('an unknown channel, or one that cannot reply, is refused with 400', async () => {
    const lead = await postLead(hub, { name: 'Ivan Unknown', phone: nextPhone().typed });
    expectError(await send(lead.contactId, { text: 'x', channel: 'sms' }), 400, 'invalid', ['channel']);
    expectError(await send(lead.contactId, { text: 'x', channel: 'phone' }), 400, 'invalid', ['channel']);
    expectError(await send(lead.contactId, { text: 'x', channel: '' }), 400, 'invalid', ['channel']);
    expect(await hub.query(`SELECT 1 FROM activity WHERE kind = 'message_out' AND contact_id = $1`, [lead.contactId])).toHaveLength(0);
  });
});
