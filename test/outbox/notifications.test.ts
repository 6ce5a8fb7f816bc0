import { OutboxWorker } from '@leadline/core';
import type { AddressInfo } from 'node:net';
import { EventStreams } from '../../apps/hub/src/notifications/event-streams';
import { NotificationBus, PgNotificationBus } from '../../apps/hub/src/notifications/notification-bus';
import { expectError, MISSING_ID, nextPhone, onlyAvailable, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { usingPostgres } from '../support/test-database';
import { ADMIN_EMAIL, TestHub } from '../support/test-hub';
import { SseClient } from './sse-client';

const T0 = new Date(Date.now() + 24 * 3600_000);

describe('in-app notifications', () => {
  let hub: TestHub;
  let worker: OutboxWorker;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  let base: string;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    hub = await TestHub.start();
    worker = hub.app.get(OutboxWorker);
    admin = await hub.adminToken();
    await raiseFormRateLimit(hub);
    anna = await hub.createManager({ name: 'Anna Notice' });
    boris = await hub.createManager({ name: 'Boris Notice' });
    await hub.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(hub.app.getHttpServer().address() as AddressInfo).port}`;
    hub.clock.set(T0);
  });
  afterEach(() => {
    for (const s of streams.splice(0)) s.close();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const drain = async (w = worker) => {
    for (let i = 0; i < 50; i++) if ((await w.runOnce(50)).claimed === 0) return;
    throw new Error('outbox never drained');
  };
  const leadFor = async (managerId: string, name: string) => {
    await onlyAvailable(hub, [anna.id, boris.id], managerId);
    return postLead(hub, { name, phone: nextPhone().typed });
  };
  const mine = async (token: string, query = '') => {
    const res = await hub.request({ url: `/api/notifications${query}`, token });
    expect(res.status).toBe(200);
    return res.body as any[];
  };
  const stream = async (token: string, url = `${base}/api/events`) => {
    const s = await SseClient.open(url, token);
    streams.push(s);
    expect(s.status).toBe(200);
    expect(String(s.res.headers['content-type'])).toMatch(/^text\/event-stream/);
    return s;
  };

  it('stores a notice for the lead owner, listed newest first, once even when the message is delivered again', async () => {
    const first = await leadFor(anna.id, 'Notice One');
    await drain();
    hub.clock.set(new Date(T0.getTime() + 60_000));
    const second = await leadFor(anna.id, 'Notice Two');
    await drain();
    const list = await mine(anna.token);
    expect(list.map((n) => n.payload.dealId)).toEqual([second.dealId, first.dealId]);
    expect(list[0]).toMatchObject({ managerId: anna.id, event: 'lead_assigned', readAt: null, payload: { managerId: anna.id, dealId: second.dealId } });
    expect(await mine(boris.token)).toEqual([]);

    // A crash after the insert but before the row was marked done: the message comes again.
    const [row] = await hub.query(`SELECT id FROM outbox WHERE kind = 'notify.manager' AND payload->>'dealId' = $1`, [second.dealId]);
    await hub.query(`UPDATE outbox SET status = 'pending', attempts = 0 WHERE id = $1`, [row.id]);
    await drain();
    expect((await hub.query(`SELECT status FROM outbox WHERE id = $1`, [row.id]))[0].status).toBe('done');
    expect(await mine(anna.token)).toHaveLength(2);
  });

  it('marks a notice read; unread=true leaves it out; nobody else can mark it', async () => {
    const [latest, older] = await mine(anna.token);
    expectError(await hub.request({ method: 'POST', url: `/api/notifications/${latest.id}/read`, token: boris.token }), 404, 'not_found');
    expectError(await hub.request({ method: 'POST', url: `/api/notifications/${MISSING_ID}/read`, token: anna.token }), 404, 'not_found');
    const read = await hub.request({ method: 'POST', url: `/api/notifications/${latest.id}/read`, token: anna.token });
    expect(read.status).toBe(200);
    expect(new Date(read.body.readAt).getTime()).toBe(hub.clock.now().getTime());
    expect((await mine(anna.token, '?unread=true')).map((n) => n.id)).toEqual([older.id]);
    expect((await mine(anna.token)).map((n) => n.id)).toEqual([latest.id, older.id]);
    expectError(await hub.request({ url: '/api/notifications?unread=maybe', token: anna.token }), 400, 'invalid', ['unread']);
    expectError(await hub.request({ url: '/api/notifications' }), 401, 'unauthorized');
  });

  it('sends notify.admins to every active admin and to nobody else', async () => {
    const second = await hub.createManager({ name: 'Second Admin', role: 'admin' });
    const retired = await hub.createManager({ name: 'Retired Admin', role: 'admin' });
    await hub.request({ method: 'PATCH', url: `/api/managers/${retired.id}`, token: admin, body: { active: false } });
    const [{ id }] = await hub.query(`INSERT INTO outbox (kind, payload) VALUES ('notify.admins', $1) RETURNING id`, [JSON.stringify({ event: 'deal_unassigned', dealId: MISSING_ID })]);
    await drain();
    const got = await hub.query(`SELECT manager_id FROM notification WHERE outbox_id = $1`, [id]);
    const [{ id: adminId }] = await hub.query(`SELECT id FROM manager WHERE email = $1`, [ADMIN_EMAIL]);
    expect(got.map((r: any) => r.manager_id).sort()).toEqual([adminId, second.id].sort());
    expect((await mine(second.token))[0]).toMatchObject({ event: 'deal_unassigned', outboxId: id });
  });

  it('fails notify.manager without a valid manager instead of dropping it', async () => {
    const bad = await hub.query(`INSERT INTO outbox (kind, payload) VALUES ('notify.manager', '{"event":"x"}'), ('notify.manager', $1) RETURNING id`, [
      JSON.stringify({ event: 'x', managerId: MISSING_ID }),
    ]);
    await drain();
    const rows = await hub.query(`SELECT status, last_error FROM outbox WHERE id = ANY($1::uuid[]) ORDER BY last_error`, [bad.map((r: any) => r.id)]);
    expect(rows).toEqual([
      { status: 'failed', last_error: `manager ${MISSING_ID} does not exist` },
      { status: 'failed', last_error: 'payload.managerId must be a manager id (got undefined)' },
    ]);
  });

  describe('event stream (GET /api/events over a real socket)', () => {
    it('needs a login', async () => {
      const s = await SseClient.open(`${base}/api/events`);
      streams.push(s);
      expect(s.status).toBe(401);
    });

    it("pushes each new notice to its recipient's streams only", async () => {
      const annaTab1 = await stream(anna.token);
      const annaTab2 = await stream(anna.token);
      const borisTab = await stream(boris.token);
      const lead = await leadFor(anna.id, 'Stream Anna');
      await drain();
      for (const tab of [annaTab1, annaTab2]) {
        await tab.until(() => tab.events.length === 1);
        expect(tab.events[0]).toMatchObject({ event: 'notification', data: { managerId: anna.id, event: 'lead_assigned', payload: { dealId: lead.dealId } } });
        expect(tab.events[0].id).toBe(tab.events[0].data.id);
      }
      // Boris's first event is his own lead: Anna's notice never reached his stream.
      const borisLead = await leadFor(boris.id, 'Stream Boris');
      await drain();
      await borisTab.until(() => borisTab.events.length >= 1);
      expect(borisTab.events.map((e) => e.data.payload.dealId)).toEqual([borisLead.dealId]);
      expect(annaTab1.events).toHaveLength(1);
    });

    it('pings every ?inbox=1 stream when a task or deal changes, whoever changed it, and not for writes the lists do not show', async () => {
      const lead = await leadFor(anna.id, 'Ping Anna');
      await drain();
      // Boris's cockpit: Anna's changes move the admins' and the queue's lists, so every cockpit is pinged.
      const tab = await stream(boris.token, `${base}/api/events?inbox=1`);
      const plain = await stream(boris.token);
      const pings = () => tab.events.filter((e) => e.event === 'inbox').length;
      const quiet = async () => {
        const before = pings();
        await new Promise((r) => setTimeout(r, 400));
        expect(pings()).toBe(before);
      };
      const pinged = async (change: () => Promise<{ status: number }>, status = 200) => {
        await quiet();
        const before = pings();
        expect((await change()).status).toBe(status);
        await tab.until(() => pings() > before);
      };
      // A note is on the timeline, not on any list: nobody is pinged.
      expect((await hub.request({ method: 'POST', url: `/api/contacts/${lead.contactId}/notes`, token: anna.token, body: { text: 'no ping' } })).status).toBe(201);
      await quiet();
      await pinged(() => hub.request({ method: 'POST', url: `/api/contacts/${lead.contactId}/tasks`, token: anna.token, body: { title: 'Send the offer', dueAt: new Date(T0.getTime() + 7200_000).toISOString() } }), 201);
      await pinged(() => hub.request({ method: 'POST', url: `/api/tasks/${lead.taskId}/snooze`, token: anna.token, body: { until: new Date(T0.getTime() + 3600_000).toISOString() } }));
      await pinged(() => hub.request({ method: 'POST', url: `/api/tasks/${lead.taskId}/complete`, token: anna.token, body: { result: 'no_answer' } }));
      await pinged(() => hub.request({ method: 'PATCH', url: `/api/deals/${lead.dealId}`, token: anna.token, body: { stage: 'lost', lostReason: 'test' } }));
      // A writer that is not the API (the bot, a worker, an import) reaches the cockpits the same way.
      await pinged(async () => {
        await hub.query(`UPDATE contact SET name = 'Ping Anna Renamed' WHERE id = $1`, [lead.contactId]);
        return { status: 200 };
      });
      // A new lead is announced by its assignment notice (the intake transaction itself notifies nothing):
      // quiet until the outbox delivers the notice, then pinged.
      const before = pings();
      await leadFor(anna.id, 'Ping Next');
      await quiet();
      expect(pings()).toBe(before);
      await drain();
      await tab.until(() => pings() > before);
      // Streams that did not ask for inbox pings get none.
      expect(plain.events.filter((e) => e.event === 'inbox')).toEqual([]);
    });

    it('sends keep-alive comments', async () => {
      const streamsService = hub.app.get(EventStreams);
      streamsService.keepAliveMs = 30;
      try {
        const tab = await stream(anna.token);
        await tab.until(() => tab.comments.includes('keep-alive'));
      } finally {
        streamsService.keepAliveMs = 25_000;
      }
    });

    it('forgets a stream when the client disconnects', async () => {
      const streamsService = hub.app.get(EventStreams);
      const settle = async (size: number) => {
        for (let i = 0; i < 200 && streamsService.size !== size; i++) await new Promise((r) => setTimeout(r, 10));
        expect(streamsService.size).toBe(size);
      };
      await settle(0); // the previous tests' streams, closed after each test
      const tab = await stream(boris.token);
      await settle(1);
      tab.close();
      await settle(0);
    });

    (usingPostgres() ? it : it.skip)('reaches a client connected to another hub process (LISTEN/NOTIFY)', async () => {
      const other = await TestHub.start({ DATABASE_URL: hub.config.DATABASE_URL! });
      try {
        await other.app.listen(0, '127.0.0.1');
        const bus = other.app.get(NotificationBus) as PgNotificationBus;
        for (let i = 0; i < 200 && !bus.listening; i++) await new Promise((r) => setTimeout(r, 10));
        expect(bus.listening).toBe(true);
        const tab = await stream(anna.token, `http://127.0.0.1:${(other.app.getHttpServer().address() as AddressInfo).port}/api/events`);
        const lead = await leadFor(anna.id, 'Across Processes');
        await drain(); // the first process delivers
        await tab.until(() => tab.events.some((e) => e.data.payload.dealId === lead.dealId));
        tab.close();
      } finally {
        await other.close();
      }
    });

    (usingPostgres() ? it : it.skip)('keeps pushing after the LISTEN connection is cut (reconnects)', async () => {
      const bus = hub.app.get(NotificationBus) as PgNotificationBus;
      const waitListening = async () => {
        for (let i = 0; i < 500 && !bus.listening; i++) await new Promise((r) => setTimeout(r, 10));
        expect(bus.listening).toBe(true);
      };
      await waitListening();
      const [killed] = await hub.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`,
      );
      expect(killed?.ok).toBe(true);
      for (let i = 0; i < 200 && bus.listening; i++) await new Promise((r) => setTimeout(r, 10));
      await waitListening();
      const tab = await stream(anna.token);
      const lead = await leadFor(anna.id, 'After Reconnect');
      await drain();
      await tab.until(() => tab.events.some((e) => e.data.payload.dealId === lead.dealId));
    });

    it('ends open streams when the app shuts down', async () => {
      const tab = await stream(anna.token);
      const closing = hub.close();
      await tab.until(() => tab.ended);
      await closing;
      hub = undefined as unknown as TestHub;
    });
  });
});
