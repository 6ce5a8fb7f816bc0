import { SlaService } from '@leadline/core';
import type { TestHub } from '../support/test-hub';
import { FakeBotApi } from './fake-bot-api';
import { bind, drainOutbox, HUB_START_MS, MANAGER_TOKEN, startTelegramHub, type TgPerson } from './telegram-helpers';

const aTg: TgPerson = { id: 720100100, first_name: 'Alla' };
const bTg: TgPerson = { id: 720100200, first_name: 'Bogdan' };
const cTg: TgPerson = { id: 720100300, first_name: 'Clara' };

/** Who receives leads, and how the unassigned queue drains (issue 14: assignment sanity). */
describe('assignment sanity (lead recipients, queue draining, cards)', () => {
  let fake: FakeBotApi;
  let hub: TestHub;
  let admin: string;
  let adminId: string;
  // Monday 8 Dec 2026, 08:00 UTC: before the 09:00 shifts below.
  const BEFORE_SHIFT = new Date('2026-12-07T08:00:00Z');

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    hub = await startTelegramHub(fake, { TELEGRAM_MANAGER_BOT_TOKEN: MANAGER_TOKEN });
    admin = await hub.adminToken();
    adminId = (await hub.request({ url: '/api/auth/me', token: admin })).body.id;
  }, HUB_START_MS);
  afterAll(async () => {
    await hub?.close();
    await fake.stop();
  }, HUB_START_MS);

  const managerView = async (id: string) => (await hub.request({ url: `/api/managers/${id}`, token: admin })).body;
  const patch = (id: string, body: Record<string, unknown>) => hub.request({ method: 'PATCH', url: `/api/managers/${id}`, token: admin, body });
  const ownerOf = async (dealId: string) => (await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [dealId]))[0].owner_id as string | null;
  const cardsTo = (tg: TgPerson) => fake.calls.filter((c) => c.token === MANAGER_TOKEN && c.method === 'sendMessage' && String(c.params.chat_id) === String(tg.id) && String(c.params.text).startsWith('New lead:'));

  it('an admin is not a lead recipient, and the API says so truthfully', async () => {
    const view = await managerView(adminId);
    expect(view).toMatchObject({ role: 'admin', receivesLeads: false, receivingLeads: false });
    const lead = await hub.postForm({ name: 'Only Admin Here', phone: '+7 999 100-00-01' });
    expect(await ownerOf(lead.body.dealId)).toBeNull();
  });

  it('an admin marked as a lead recipient gets leads (the queue drains to them) and shows as receiving', async () => {
    const [queued] = await hub.query(`SELECT id FROM deal WHERE owner_id IS NULL`);
    const res = await patch(adminId, { receivesLeads: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ receivesLeads: true, receivingLeads: true });
    expect(await ownerOf(queued.id)).toBe(adminId);
    expect((await patch(adminId, { receivesLeads: false })).body.receivingLeads).toBe(false);
    // Done with: its SLA clock must not reach the managers below.
    await hub.request({ method: 'PATCH', url: `/api/deals/${queued.id}`, token: admin, body: { stage: 'won' } });
  });

  it('when managers come on shift the queue drains round robin across all of them, and every drained lead sends its card', async () => {
    hub.clock.set(BEFORE_SHIFT);
    const shift = { shift: 'Mon-Sun 09:00-18:00', timezone: 'UTC' };
    const alla = await hub.createManager({ name: 'Alla', ...shift });
    const bogdan = await hub.createManager({ name: 'Bogdan', ...shift });
    await bind(hub, alla.id, aTg, 'manager');
    await bind(hub, bogdan.id, bTg, 'manager');
    expect((await managerView(alla.id)).receivingLeads).toBe(false);
    const leads = [];
    for (let i = 1; i <= 4; i++) leads.push((await hub.postForm({ name: `Early Bird ${i}`, phone: `+7 999 100-00-1${i}` })).body);
    for (const l of leads) expect(await ownerOf(l.dealId)).toBeNull();

    hub.clock.set(new Date('2026-12-07T09:01:00Z'));
    const tick = await hub.app.get(SlaService).tick();
    expect(tick.fromQueue).toBe(4);
    const owners = await Promise.all(leads.map((l) => ownerOf(l.dealId)));
    expect(owners.filter((o) => o === alla.id)).toHaveLength(2);
    expect(owners.filter((o) => o === bogdan.id)).toHaveLength(2);
    await drainOutbox(hub);
    expect(cardsTo(aTg)).toHaveLength(2);
    expect(cardsTo(bTg)).toHaveLength(2);
    hub.clock.useRealTime();
    await patch(alla.id, { available: false });
    await patch(bogdan.id, { available: false });
  });

  it('a manager given queued leads before linking Telegram gets their cards when linking', async () => {
    const leads = [];
    for (let i = 1; i <= 2; i++) leads.push((await hub.postForm({ name: `Waiting ${i}`, phone: `+7 999 100-00-2${i}` })).body);
    const clara = await hub.createManager({ name: 'Clara' });
    for (const l of leads) expect(await ownerOf(l.dealId)).toBe(clara.id);
    await drainOutbox(hub);
    expect(cardsTo(cTg)).toHaveLength(0);
    await bind(hub, clara.id, cTg, 'manager');
    await drainOutbox(hub);
    expect(cardsTo(cTg).map((c) => String(c.params.text).split('\n')[0]).sort()).toEqual(['New lead: Waiting 1', 'New lead: Waiting 2']);
    // Linking again (a new code) does not send them twice.
    await bind(hub, clara.id, cTg, 'manager');
    expect(cardsTo(cTg)).toHaveLength(2);
  });
});
