import { ConversationsService, OutboxWorker, type Viewer } from '@leadline/core';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';
import { FakeGraphApi } from './fake-graph-api';
import { ACCESS_TOKEN, delivery, HUB_START_MS, postDelivery, startWhatsAppHub, statusDelivery } from './whatsapp-helpers';

/**
 * Managers' replies to WhatsApp clients through a local Graph API (POST /{phone-number-id}/messages),
 * Meta's status webhooks (signed, from the documented payloads) moving them on the timeline, the
 * 24-hour window on the test clock, templates, error codes and per-number routing.
 */
describe('WhatsApp Cloud API outbound (fake Graph API)', () => {
  let graph: FakeGraphApi;
  let hub: TestHub;
  let admin: string;
  let seq = 0;

  beforeAll(async () => {
    graph = await FakeGraphApi.start(ACCESS_TOKEN);
    hub = await startWhatsAppHub(graph, { WHATSAPP_NUMBER_PIPELINES: '113344556677889=Almaty sales', WHATSAPP_BUSINESS_ACCOUNT_IDS: '102290129340398' });
    await hub.createManager({ name: 'Dana' });
    admin = await hub.adminToken();
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await graph?.stop();
  }, HUB_START_MS);

  /** A client (a fresh wa_id) writes to the first number; returns the contact. */
  async function clientWrites(opts: { number?: string } = {}): Promise<{ contactId: string; waId: string }> {
    const waId = `7701${String(Date.now() % 1_000_000).padStart(6, '0')}${++seq % 10}`;
    let body = delivery('text', { from: waId });
    if (opts.number) body = body.replace(/"phone_number_id": "\d+"/, `"phone_number_id": "${opts.number}"`);
    const res = await postDelivery(hub, body);
    expect(res.body).toMatchObject({ stored: 1 });
    const [c] = await hub.query(`SELECT contact_id FROM contact_identity WHERE kind = 'phone' AND value = $1`, [`+${waId}`]);
    return { contactId: c.contact_id, waId };
  }
  const reply = (contactId: string, text: string, channel?: string) => hub.request({ method: 'POST', url: `/api/contacts/${contactId}/messages`, token: admin, body: { text, ...(channel ? { channel } : {}) } });
  const drain = async () => {
    const worker = hub.app.get(OutboxWorker);
    const totals = { deferred: 0, done: 0 };
    for (let i = 0; i < 10; i++) {
      const r = await worker.runOnce(50);
      totals.deferred += r.deferred;
      totals.done += r.done;
      if (r.claimed === 0) break;
    }
    return totals;
  };
  const entry = async (activityId: string) => (await hub.query(`SELECT payload FROM activity WHERE id = $1`, [activityId]))[0].payload;
  const callback = async (contactId: string) =>
    (await hub.query(`SELECT t.status, d.first_response_at FROM task t JOIN deal d ON d.id = t.deal_id WHERE t.contact_id = $1 AND t.kind = 'callback'`, [contactId]))[0];

  it('sends a reply from the number the client wrote to; only a delivery report makes it the first response; late and repeated statuses change nothing', async () => {
    const { contactId, waId } = await clientWrites();
    const res = await reply(contactId, 'Да, доставляем. Стоимость 2000 тг.');
    expect(res.status).toBe(201);
    // No channel given: the one the client last wrote on.
    expect(res.body.channel).toBe('whatsapp');
    await drain();
    const sent = graph.sent.at(-1)!;
    expect(sent).toMatchObject({ phoneNumberId: '106540352242922', body: { messaging_product: 'whatsapp', to: waId, type: 'text', text: { body: 'Да, доставляем. Стоимость 2000 тг.' } } });
    expect(graph.requests.at(-1)!.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(await entry(res.body.activityId)).toMatchObject({ status: 'sent', providerMessageId: sent.wamid });
    // Meta accepted it; the client's phone has not got it yet: no answer yet.
    expect(await callback(contactId)).toMatchObject({ status: 'open', first_response_at: null });

    // read arrives before delivered (Meta does not order its webhooks).
    const read = await postDelivery(hub, statusDelivery('status-read', sent.wamid));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ statuses: 1, stored: 0 });
    expect(await entry(res.body.activityId)).toMatchObject({ status: 'read' });
    const task = await callback(contactId);
    expect(task.status).toBe('done');
    expect(task.first_response_at).not.toBeNull();

    // delivered and sent after read: their times are kept, the status stays read; a repeat is stale.
    expect((await postDelivery(hub, statusDelivery('status-delivered', sent.wamid))).body).toMatchObject({ statuses: 1 });
    expect((await postDelivery(hub, statusDelivery('status-delivered', sent.wamid))).body).toMatchObject({ statuses: 0, staleStatuses: 1 });
    expect((await postDelivery(hub, statusDelivery('status-sent', sent.wamid))).body).toMatchObject({ statuses: 1 });
    const after = await entry(res.body.activityId);
    expect(after.status).toBe('read');
    expect(Object.keys(after.deliveryTimes).sort()).toEqual(['delivered', 'read', 'sent']);
    // One answer, one task completion, however many reports.
    expect(await hub.query(`SELECT 1 FROM activity WHERE contact_id = $1 AND kind = 'task_done'`, [contactId])).toHaveLength(1);
  });

  it('a delivery that fails (131026 undeliverable) is no first response: the timeline says why and the author is told', async () => {
    const { contactId } = await clientWrites();
    const res = await reply(contactId, 'Здравствуйте!');
    await drain();
    const wamid = graph.sent.at(-1)!.wamid;
    await postDelivery(hub, statusDelivery('status-sent', wamid));
    const failed = await postDelivery(hub, statusDelivery('status-failed-131026', wamid));
    expect(failed.body).toMatchObject({ statuses: 1 });
    const e = await entry(res.body.activityId);
    expect(e).toMatchObject({ status: 'failed', errorState: 'undeliverable', errorCode: '131026' });
    expect(e.error).toMatch(/not on WhatsApp.*\[131026\]/);
    expect(await callback(contactId)).toMatchObject({ status: 'open', first_response_at: null });
    const [notice] = await hub.query(`SELECT payload FROM outbox WHERE kind = 'notify.manager' AND payload->>'event' = 'message_failed' AND payload->>'activityId' = $1`, [res.body.activityId]);
    expect(notice.payload).toMatchObject({ channel: 'whatsapp', reason: 'undeliverable' });
  });

  it('a rate limit (130429) puts the reply back for later without using an attempt; then it goes once', async () => {
    const { contactId } = await clientWrites();
    graph.sendErrors.push({ status: 400, fixture: 'graph-error-130429' });
    const before = graph.sent.length;
    const res = await reply(contactId, 'Секунду, уточняю.');
    expect((await drain()).deferred).toBe(1);
    expect(graph.sent.length).toBe(before);
    expect(await entry(res.body.activityId)).toMatchObject({ status: 'queued' });
    const [row] = await hub.query(`SELECT status, attempts, next_attempt_at > now() + interval '50 seconds' AS later FROM outbox WHERE id = $1`, [res.body.outboxId]);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, later: true });
    // The minute passes.
    await hub.query(`UPDATE outbox SET next_attempt_at = now() WHERE id = $1`, [res.body.outboxId]);
    await drain();
    expect(graph.sent.length).toBe(before + 1);
    expect(await entry(res.body.activityId)).toMatchObject({ status: 'sent' });
  });

  it('a refusal that will never pass (131047 re-engagement) fails the message at once with Meta\'s reason', async () => {
    const { contactId } = await clientWrites();
    graph.sendErrors.push({ status: 400, fixture: 'graph-error-131047' });
    const res = await reply(contactId, 'Добрый день');
    await drain();
    expect(await entry(res.body.activityId)).toMatchObject({ status: 'failed', errorState: 'window_closed' });
    expect((await hub.query(`SELECT status FROM outbox WHERE id = $1`, [res.body.outboxId]))[0].status).toBe('done');
  });

  it('sends a manager\'s files (from the manager bot) uploaded to Meta first, the text as the first file\'s caption; a media error fails the message', async () => {
    const { contactId, waId } = await clientWrites();
    const [row] = await hub.query(`SELECT id, name, role FROM manager WHERE role = 'admin' ORDER BY created_at LIMIT 1`);
    const viewer: Viewer = { id: row.id, name: row.name, role: row.role };
    const conversations = hub.app.get(ConversationsService);
    const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)]);
    const voice = Buffer.from('OggS-voice-note');
    const uploads = graph.uploads.length;
    const sent = await conversations.send(viewer, {
      contactId,
      text: 'Вот фото дивана и голосовое',
      attachments: [
        { kind: 'photo', fileName: 'sofa.jpg', mimeType: 'image/jpeg', content: photo },
        { kind: 'voice', fileName: null, mimeType: 'audio/ogg', content: voice },
      ],
    });
    expect(sent.channel).toBe('whatsapp');
    await drain();
    expect(graph.uploads.slice(uploads).map((u) => u.phoneNumberId)).toEqual(['106540352242922', '106540352242922']);
    expect(graph.uploads.at(-2)!.contentType).toMatch(/^multipart\/form-data/);
    const [image, audio] = graph.sent.slice(-2).map((m) => m.body);
    expect(image).toMatchObject({ to: waId, type: 'image', image: { caption: 'Вот фото дивана и голосовое' } });
    expect(audio).toMatchObject({ to: waId, type: 'audio' });
    expect((audio.audio as { caption?: string }).caption).toBeUndefined();
    const e = await entry(sent.activityId);
    expect(e).toMatchObject({ status: 'sent', details: { parts: 2, sentParts: 2 } });
    expect(e.providerMessageId).toBe(graph.sent.at(-1)!.wamid);

    // Meta refuses a file (131053 media upload error): the message fails for good with the reason.
    graph.sendErrors.push({ status: 400, fixture: 'graph-error-131053' });
    const before = graph.sent.length;
    const second = await conversations.send(viewer, { contactId, text: '', attachments: [{ kind: 'document', fileName: 'price.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', content: Buffer.from('PK-sheet') }] });
    await drain();
    expect(graph.sent.length).toBe(before);
    expect(await entry(second.activityId)).toMatchObject({ status: 'failed', errorState: 'media_failed' });
  });

  it('the 24-hour window on the clock: free text until it closes, then only an approved template, and the client writing again reopens it', async () => {
    const t0 = new Date('2026-12-07T08:00:00Z');
    hub.clock.set(t0);
    try {
      const { contactId, waId } = await clientWrites();
      const window = await hub.request({ url: `/api/whatsapp/contacts/${contactId}/window`, token: admin });
      expect(window.body).toMatchObject({ open: true, closesAt: '2026-12-08T08:00:00.000Z', reason: null });

      hub.clock.set(new Date(t0.getTime() + (24 * 60 - 1) * 60_000));
      expect((await reply(contactId, 'Ещё актуально?')).status).toBe(201);
      await drain();

      hub.clock.set(new Date(t0.getTime() + (24 * 60 + 1) * 60_000));
      const closed = await reply(contactId, 'Ещё актуально?');
      expect(closed.status).toBe(409);
      expect(closed.body.fields).toEqual({ channel: 'window_closed' });
      expect(closed.body.message).toMatch(/whatsapp cannot take a message to this contact now \(window_closed\)/);
      // The composer is told why WhatsApp is not offered for free text.
      const options = await hub.request({ url: `/api/contacts/${contactId}/reply-channels`, token: admin });
      expect(options.body).toContainEqual(expect.objectContaining({ channel: 'whatsapp', ok: false, reason: 'window_closed' }));
      expect((await hub.request({ url: `/api/whatsapp/contacts/${contactId}/window`, token: admin })).body).toMatchObject({ open: false, reason: 'window_closed' });

      // Admins see every template with its status and parameters; the composer gets the approved ones.
      const all = await hub.request({ url: '/api/whatsapp/templates', token: admin });
      expect(all.body.templates.find((t: { name: string; language: string }) => t.name === 'spring_sale')).toMatchObject({ status: 'PENDING', params: 1, examples: ['20%'] });
      const offered = await hub.request({ url: '/api/channels/whatsapp/templates', token: admin });
      expect(offered.body).toContainEqual({ name: 'callback_reminder', language: 'ru', text: 'Здравствуйте, {{1}}! Вы писали нам о {{2}}. Удобно ли сейчас продолжить?', params: 2 });
      expect(offered.body.map((t: { name: string }) => t.name)).not.toContain('spring_sale');
      const preview = 'Здравствуйте, Айгуль! Вы писали нам о доставке. Удобно ли сейчас продолжить?';
      const send = (template: unknown) => hub.request({ method: 'POST', url: `/api/contacts/${contactId}/messages`, token: admin, body: { channel: 'whatsapp', text: preview, template } });
      expect((await send({ name: 'callback_reminder', language: 'ru', params: ['Айгуль'] })).status).toBe(400);
      expect((await send({ name: 'spring_sale', language: 'ru', params: ['20%'] })).body.message).toMatch(/pending, not approved/);
      const ok = await send({ name: 'callback_reminder', language: 'ru', params: ['Айгуль', 'доставке'] });
      expect(ok.status).toBe(201);
      await drain();
      expect(graph.sent.at(-1)!.body).toMatchObject({
        to: waId,
        type: 'template',
        template: { name: 'callback_reminder', language: { code: 'ru' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Айгуль' }, { type: 'text', text: 'доставке' }] }] },
      });
      expect(await entry(ok.body.activityId)).toMatchObject({ status: 'sent', text: preview, details: { template: { name: 'callback_reminder' } } });

      // The client answers the template: the window is open again.
      hub.clock.set(new Date(t0.getTime() + 25 * 60 * 60_000));
      await postDelivery(hub, delivery('text', { from: waId }));
      expect((await reply(contactId, 'Отлично, записываю.')).status).toBe(201);
    } finally {
      hub.clock.useRealTime();
    }
  });

  it('routes each number like a form: new leads to a number with a pipeline open there, others in the default pipeline', async () => {
    const created = await hub.request({ method: 'POST', url: '/api/pipelines', token: admin, body: { name: 'Almaty sales' } });
    expect(created.status).toBe(201);
    const routed = await clientWrites({ number: '113344556677889' });
    const other = await clientWrites();
    const pipelineOf = async (contactId: string) => (await hub.query(`SELECT p.name FROM deal d JOIN pipeline p ON p.id = d.pipeline_id WHERE d.contact_id = $1`, [contactId]))[0].name;
    expect(await pipelineOf(routed.contactId)).toBe('Almaty sales');
    expect(await pipelineOf(other.contactId)).not.toBe('Almaty sales');
    // The reply comes from the number the client wrote to.
    await reply(routed.contactId, 'Здравствуйте');
    await drain();
    expect(graph.sent.at(-1)!.phoneNumberId).toBe('113344556677889');
  });
});

const twoHubs = 'WhatsApp replies and statuses with two hubs on one PostgreSQL';
if (usingPostgres()) {
  describe(twoHubs, () => {
    let graph: FakeGraphApi;
    let a: TestHub;
    let b: TestHub;

    beforeAll(async () => {
      graph = await FakeGraphApi.start(ACCESS_TOKEN);
      a = await startWhatsAppHub(graph);
      b = await startWhatsAppHub(graph, { DATABASE_URL: a.config.DATABASE_URL! });
      await a.createManager({ name: 'Dana' });
    }, HUB_START_MS);
    afterAll(async () => {
      await b?.stop();
      await a?.close();
      await graph?.stop();
    }, HUB_START_MS);

    it('sends each reply once and records each delivery once, whichever process gets it', async () => {
      const admin = await a.adminToken();
      const replies: string[] = [];
      for (let i = 0; i < 12; i++) {
        const waId = `7702${String(i).padStart(7, '0')}`;
        await postDelivery(i % 2 ? a : b, delivery('text', { from: waId }));
        const [c] = await a.query(`SELECT contact_id FROM contact_identity WHERE kind = 'phone' AND value = $1`, [`+${waId}`]);
        const res = await a.request({ method: 'POST', url: `/api/contacts/${c.contact_id}/messages`, token: admin, body: { text: `Ответ ${i}` } });
        replies.push(res.body.activityId);
      }
      await Promise.all([a, b].map(async (hub) => {
        for (let i = 0; i < 10; i++) if ((await hub.app.get(OutboxWorker).runOnce(5)).claimed === 0) break;
      }));
      expect(graph.sent.map((s) => s.body.text?.body).sort()).toEqual(replies.map((_, i) => `Ответ ${i}`).sort());
      const rows = await a.query(`SELECT payload->>'status' AS status, payload->>'providerMessageId' AS wamid FROM activity WHERE id = ANY($1::uuid[])`, [replies]);
      expect(rows.every((r: { status: string }) => r.status === 'sent')).toBe(true);

      // Meta posts the same delivered status to both processes at once (a redelivery racing the first).
      await Promise.all(rows.flatMap((r: { wamid: string }) => [postDelivery(a, statusDelivery('status-delivered', r.wamid)), postDelivery(b, statusDelivery('status-delivered', r.wamid))]));
      const [counts] = await a.query(
        `SELECT (SELECT count(*) FROM activity WHERE kind = 'task_done' AND payload->>'via' = 'whatsapp')::int AS answered,
                (SELECT count(*) FROM activity WHERE id = ANY($1::uuid[]) AND payload->>'status' = 'delivered')::int AS delivered`,
        [replies],
      );
      expect(counts).toEqual({ answered: 12, delivered: 12 });
    });
  });
} else {
  describe(`${twoHubs} (needs PostgreSQL)`, () => {
    it('is not run on PGlite: it is embedded in one process, so two hubs cannot share it; set DATABASE_URL to run it', () => {
      expect(usingPostgres()).toBe(false);
    });
  });
}
