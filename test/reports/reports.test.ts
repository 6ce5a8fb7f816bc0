import { expectError } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';
import { activity, call, seedDeal, seedTask } from './reports-seed';

/**
 * A small data set whose figures are computed by hand below. Business timezone Europe/Moscow (UTC+3),
 * so 2026-03-01T22:30Z is on the local day 2026-03-02 and 2026-03-02T21:00Z is already 2026-03-03.
 */
describe('reports (HTTP)', () => {
  let hub: TestHub;
  let admin: string;
  let anna: { id: string; token: string };
  let boris: { id: string; token: string };
  const ids: Record<string, { dealId: string; contactId: string }> = {};
  const P = 'from=2026-03-01&to=2026-03-02';

  beforeAll(async () => {
    hub = await TestHub.start({ BUSINESS_TIMEZONE: 'Europe/Moscow', CALLBACK_SLA_MINUTES: '15' });
    admin = await hub.adminToken();
    anna = await hub.createManager({ name: 'Anna Reports' });
    boris = await hub.createManager({ name: 'Boris Reports' });
    const fullWay: Array<[string, string]> = [['new', 'first_contact'], ['first_contact', 'qualified'], ['qualified', 'proposal'], ['proposal', 'won']];
    ids.d1 = await seedDeal(hub, { owner: anna.id, channel: 'web_form', utm: { source: 'google', campaign: 'spring' }, createdAt: '2026-03-01T07:00:00Z', respondedAfterMin: 10, stage: 'won', amount: 1000, moves: fullWay, name: 'D1' });
    ids.d2 = await seedDeal(hub, { owner: anna.id, channel: 'web_form', utm: { source: 'google', campaign: 'spring' }, createdAt: '2026-03-01T08:00:00Z', respondedAfterMin: 30, stage: 'lost', amount: 500, moves: [['new', 'first_contact'], ['first_contact', 'qualified'], ['qualified', 'lost']], name: 'D2' });
    ids.d3 = await seedDeal(hub, { owner: anna.id, channel: 'telegram', createdAt: '2026-03-01T22:30:00Z', stage: 'new', name: 'D3' });
    ids.d4 = await seedDeal(hub, { owner: boris.id, channel: 'web_form', utm: { source: 'yandex' }, createdAt: '2026-03-02T09:00:00Z', respondedAfterMin: 5, stage: 'qualified', moves: [['new', 'first_contact'], ['first_contact', 'qualified']], name: 'D4' });
    ids.d5 = await seedDeal(hub, { owner: boris.id, channel: 'email', createdAt: '2026-03-02T10:00:00Z', respondedAfterMin: 15, stage: 'first_contact', moves: [['new', 'proposal'], ['proposal', 'first_contact']], name: 'D5' });
    ids.d6 = await seedDeal(hub, { owner: boris.id, channel: 'phone', createdAt: '2026-03-02T20:59:00Z', stage: 'lost', moves: [['new', 'lost']], name: 'D6' });
    // Outside the period on both sides (local 2026-02-28 23:59 and 2026-03-03 00:00).
    ids.d7 = await seedDeal(hub, { owner: anna.id, channel: 'web_form', createdAt: '2026-02-28T20:59:00Z', respondedAfterMin: 1, stage: 'won', amount: 9999, moves: [['new', 'won']] });
    ids.d8 = await seedDeal(hub, { owner: boris.id, channel: 'web_form', createdAt: '2026-03-02T21:00:00Z', stage: 'new' });

    const on = (d: string, kind: string, actorId: string | null, at: string, payload: Record<string, unknown>) =>
      activity(hub, { ...ids[d], kind, actorId, at, payload });
    await on('d1', 'call_out', anna.id, '2026-03-01T07:10:00Z', call('outbound', true, 120));
    await on('d2', 'call_out', anna.id, '2026-03-01T08:05:00Z', call('outbound', false, 0));
    await on('d2', 'call_out', anna.id, '2026-03-01T08:30:00Z', call('outbound', true, 60));
    await on('d4', 'call_in', boris.id, '2026-03-02T09:05:00Z', call('inbound', true, 30));
    await on('d3', 'call_missed', null, '2026-03-01T22:40:00Z', call('inbound', false, 0)); // nobody picked up: counts for the owner, Anna
    await on('d5', 'call_missed', boris.id, '2026-03-02T10:05:00Z', call('inbound', false, 0));
    await on('d7', 'call_out', anna.id, '2026-03-03T12:00:00Z', call('outbound', true, 500)); // after the period

    await seedTask(hub, { ...ids.d3, assigneeId: anna.id, dueAt: '2026-03-03T11:00:00Z', status: 'open' }); // overdue at 12:00
    await seedTask(hub, { ...ids.d1, assigneeId: anna.id, dueAt: '2026-03-04T11:00:00Z', status: 'open' });
    await seedTask(hub, { ...ids.d4, assigneeId: boris.id, dueAt: '2026-03-02T10:15:00Z', status: 'open' }); // overdue
    await seedTask(hub, { ...ids.d5, assigneeId: boris.id, dueAt: '2026-03-02T10:15:00Z', status: 'done' });
    hub.clock.set(new Date('2026-03-03T12:00:00Z'));
  }, 180_000);
  afterAll(async () => {
    hub.clock.useRealTime();
    await hub?.close();
  });

  const get = async (path: string, token = admin) => {
    const res = await hub.request({ url: path, token });
    expect({ path, status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ path, status: 200, body: 'ok' });
    return res.body;
  };

  it('funnel: deals per stage, how far they got, conversion between stages', async () => {
    const r = await get(`/api/reports/funnel?${P}`);
    expect(r.period).toEqual({ from: '2026-03-01', to: '2026-03-02', timezone: 'Europe/Moscow', fromAt: '2026-02-28T21:00:00.000Z', toAt: '2026-03-02T21:00:00.000Z' });
    expect(r.totals).toEqual({ deals: 6, open: 3, won: 1, lost: 2, wonAmount: 1000, conversion: 0.1667 });
    expect(r.steps).toEqual([
      { stage: 'new', deals: 1, reached: 6, conversionFromPrevious: null, conversionFromFirst: null, lostHere: 1 },
      { stage: 'first_contact', deals: 1, reached: 4, conversionFromPrevious: 0.6667, conversionFromFirst: 0.6667, lostHere: 0 },
      { stage: 'qualified', deals: 1, reached: 4, conversionFromPrevious: 1, conversionFromFirst: 0.6667, lostHere: 1 },
      { stage: 'proposal', deals: 0, reached: 2, conversionFromPrevious: 0.5, conversionFromFirst: 0.3333, lostHere: 0 },
      { stage: 'won', deals: 1, reached: 1, conversionFromPrevious: 0.5, conversionFromFirst: 0.1667, lostHere: 0 },
    ]);
  });

  it('funnel filters by owner and source channel', async () => {
    const boriss = await get(`/api/reports/funnel?${P}&ownerId=${boris.id}`);
    expect(boriss.steps.map((s: any) => s.reached)).toEqual([3, 2, 2, 1, 0]);
    const web = await get(`/api/reports/funnel?${P}&channel=web_form`);
    expect(web.totals).toMatchObject({ deals: 3, won: 1, lost: 1 });
    expect(web.steps.map((s: any) => s.reached)).toEqual([3, 3, 3, 1, 1]);
    const google = await get(`/api/reports/funnel?${P}&utmSource=google&utmCampaign=spring`);
    expect(google.totals).toMatchObject({ deals: 2, won: 1 });
  });

  it('lead sources: per channel and per UTM source/campaign, revenue from won amounts', async () => {
    const r = await get(`/api/reports/sources?${P}`);
    expect(r.totals).toEqual({ leads: 6, won: 1, lost: 2, conversion: 0.1667, revenue: 1000 });
    expect(r.byChannel).toEqual([
      { channel: 'web_form', leads: 3, won: 1, lost: 1, conversion: 0.3333, revenue: 1000 },
      { channel: 'email', leads: 1, won: 0, lost: 0, conversion: 0, revenue: 0 },
      { channel: 'phone', leads: 1, won: 0, lost: 1, conversion: 0, revenue: 0 },
      { channel: 'telegram', leads: 1, won: 0, lost: 0, conversion: 0, revenue: 0 },
    ]);
    expect(r.byUtm).toEqual([
      { utmSource: null, utmCampaign: null, leads: 3, won: 0, lost: 1, conversion: 0, revenue: 0 },
      { utmSource: 'google', utmCampaign: 'spring', leads: 2, won: 1, lost: 1, conversion: 0.5, revenue: 1000 },
      { utmSource: 'yandex', utmCampaign: null, leads: 1, won: 0, lost: 0, conversion: 0, revenue: 0 },
    ]);
  });

  it('managers: leads, calls, first-response avg and p90, SLA share, won/lost, open and overdue tasks', async () => {
    const r = await get(`/api/reports/managers?${P}`);
    expect(r.slaMinutes).toBe(15);
    const byId = Object.fromEntries(r.managers.map((m: any) => [m.managerId, m]));
    expect(byId[anna.id]).toEqual({
      managerId: anna.id,
      name: 'Anna Reports',
      active: true,
      leadsAssigned: 3,
      callsMade: 3,
      callsAnswered: 2,
      callsMissed: 1,
      talkSeconds: 180,
      responded: 2,
      avgFirstResponseSeconds: 1200,
      p90FirstResponseSeconds: 1680,
      calledBackWithinSla: 1,
      calledBackWithinSlaShare: 0.3333,
      won: 1,
      lost: 1,
      openTasks: 2,
      overdueTasks: 1,
    });
    expect(byId[boris.id]).toEqual({
      managerId: boris.id,
      name: 'Boris Reports',
      active: true,
      leadsAssigned: 3,
      callsMade: 0,
      callsAnswered: 1,
      callsMissed: 1,
      talkSeconds: 30,
      responded: 2,
      avgFirstResponseSeconds: 600,
      p90FirstResponseSeconds: 840,
      calledBackWithinSla: 2,
      calledBackWithinSlaShare: 0.6667,
      won: 0,
      lost: 1,
      openTasks: 1,
      overdueTasks: 1,
    });
    // The admin (an active manager row without figures) is listed with zeros.
    expect(r.managers).toHaveLength(3);
  });

  it('SLA over time: daily share answered within 15 min by local day, and the never-answered leads', async () => {
    const r = await get(`/api/reports/sla?${P}`);
    expect(r.days).toEqual([
      { date: '2026-03-01', leads: 2, answered: 2, answeredWithinSla: 1, share: 0.5 },
      { date: '2026-03-02', leads: 4, answered: 2, answeredWithinSla: 2, share: 0.5 },
    ]);
    expect(r.totals).toEqual({ leads: 6, answered: 4, answeredWithinSla: 3, share: 0.5, neverAnswered: 2 });
    expect(r.neverAnswered.map((u: any) => [u.dealId, u.contactName, u.ownerName])).toEqual([
      [ids.d3.dealId, 'D3', 'Anna Reports'],
      [ids.d6.dealId, 'D6', 'Boris Reports'],
    ]);
    // A day without leads is still a point on the chart.
    const wider = await get(`/api/reports/sla?from=2026-02-27&to=2026-03-01`);
    expect(wider.days.map((d: any) => [d.date, d.leads, d.share])).toEqual([
      ['2026-02-27', 0, null],
      ['2026-02-28', 1, 1],
      ['2026-03-01', 2, 0.5],
    ]);
  });

  it('never-answered list pages with a cursor', async () => {
    const first = await get(`/api/reports/sla/unanswered?${P}&limit=1`);
    expect(first.items.map((u: any) => u.dealId)).toEqual([ids.d3.dealId]);
    const second = await get(`/api/reports/sla/unanswered?${P}&limit=1&cursor=${first.nextCursor}`);
    expect(second.items.map((u: any) => u.dealId)).toEqual([ids.d6.dealId]);
    expect(second.nextCursor).toBeNull();
  });

  it('a manager sees only their own figures; asking for another owner is 403', async () => {
    const funnel = await get(`/api/reports/funnel?${P}`, boris.token);
    expect(funnel.filters.ownerId).toBe(boris.id);
    expect(funnel.steps.map((s: any) => s.reached)).toEqual([3, 2, 2, 1, 0]);
    const managers = await get(`/api/reports/managers?${P}`, anna.token);
    expect(managers.managers.map((m: any) => m.managerId)).toEqual([anna.id]);
    const sources = await get(`/api/reports/sources?${P}`, anna.token);
    expect(sources.totals).toEqual({ leads: 3, won: 1, lost: 1, conversion: 0.3333, revenue: 1000 });
    const sla = await get(`/api/reports/sla?${P}`, anna.token);
    expect(sla.neverAnswered.map((u: any) => u.dealId)).toEqual([ids.d3.dealId]);
    expect(await get(`/api/reports/funnel?${P}&ownerId=${anna.id}`, anna.token)).toMatchObject({ totals: { deals: 3 } });
    for (const report of ['funnel', 'sources', 'managers', 'sla', 'sla/unanswered']) {
      expectError(await hub.request({ url: `/api/reports/${report}?${P}&ownerId=${boris.id}`, token: anna.token }), 403, 'forbidden');
    }
    expect((await hub.request({ url: `/api/reports/funnel?${P}` })).status).toBe(401);
  });

  it('CSV of each report', async () => {
    const res = await hub.request({ url: `/api/reports/funnel?${P}&format=csv`, token: admin });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="funnel-2026-03-01-2026-03-02.csv"');
    expect(res.text).toBe(
      '\uFEFF' +
      [
        'stage,deals,reached,conversion_from_previous,conversion_from_first,lost_here',
        'new,1,6,,,1',
        'first_contact,1,4,0.6667,0.6667,0',
        'qualified,1,4,1,0.6667,1',
        'proposal,0,2,0.5,0.3333,0',
        'won,1,1,0.5,0.1667,0',
        '',
      ].join('\r\n'),
    );
    const sla = await hub.request({ url: `/api/reports/sla?${P}&format=csv`, token: admin });
    expect(sla.text).toBe('\uFEFFdate,leads,answered,answered_within_sla,share\r\n2026-03-01,2,2,1,0.5\r\n2026-03-02,4,2,2,0.5\r\n');
    const managers = await hub.request({ url: `/api/reports/managers?${P}&format=csv`, token: anna.token });
    expect(managers.text.split('\r\n')[1]).toBe(`${anna.id},Anna Reports,3,3,2,1,180,1200,1680,1,0.3333,1,1,2,1`);
    const sources = await hub.request({ url: `/api/reports/sources?${P}&format=csv`, token: admin });
    expect(sources.text.split('\r\n')).toContain('channel,web_form,,,3,1,1,0.3333,1000');
    const unanswered = await hub.request({ url: `/api/reports/sla/unanswered?${P}&format=csv`, token: admin });
    expect(unanswered.text.split('\r\n').filter(Boolean)).toHaveLength(3);
    // In Russian: the column titles and coded values a reader sees, from ?lang= or the browser's language.
    const ru = await hub.request({ url: `/api/reports/funnel?${P}&format=csv&lang=ru`, token: admin });
    expect(ru.text.split('\r\n')[0]).toBe('\uFEFFЭтап,Сделки,Дошли,Конверсия от предыдущего,Конверсия от первого,Проиграны здесь');
    expect(ru.text.split('\r\n')[1]).toBe('Новая,1,6,,,1');
    const byHeader = await hub.request({ url: `/api/reports/sla?${P}&format=csv`, token: admin, headers: { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.8' } });
    expect(byHeader.text.startsWith('\uFEFFДата,Лиды,Ответили')).toBe(true);
  });

  it('validates the period and filters (400 naming the field)', async () => {
    const bad = (q: string) => hub.request({ url: `/api/reports/funnel?${q}`, token: admin });
    expectError(await bad('from=2026-02-30&to=2026-03-02'), 400, 'invalid', ['from']);
    expectError(await bad('from=yesterday'), 400, 'invalid', ['from']);
    expectError(await bad('from=2026-03-05&to=2026-03-01'), 400, 'invalid', ['from']);
    expectError(await bad('from=2025-01-01&to=2026-03-01'), 400, 'invalid', ['to']);
    expectError(await bad('ownerId=anna'), 400, 'invalid', ['ownerId']);
    expectError(await bad('format=xml'), 400, 'invalid', ['format']);
    expectError(await hub.request({ url: `/api/reports/sla/unanswered?cursor=nonsense`, token: admin }), 400, 'invalid', ['cursor']);
    // Default period: the 30 local days up to today (the test clock: 2026-03-03).
    const r = await get('/api/reports/sla');
    expect([r.period.from, r.period.to, r.days.length]).toEqual(['2026-02-02', '2026-03-03', 30]);
  });

  it('funnel of another pipeline: its own stages in order, won and lost by stage kind; unknown pipeline 404', async () => {
    const created = await hub.request({
      method: 'POST',
      url: '/api/pipelines',
      token: admin,
      body: { name: 'Wholesale', stages: [{ name: 'Lead', key: 'lead' }, { name: 'Offer', key: 'offer' }, { name: 'Paid', key: 'paid', kind: 'won' }, { name: 'Dropped', key: 'dropped', kind: 'lost' }] },
    });
    expect(created.status).toBe(201);
    const pipelineId: string = created.body.id;
    // April, outside the other tests' period; one deal in the default pipeline that must not count.
    const inPipeline = async (stage: string, moves: Array<[string, string]>, createdAt: string, amount?: number) => {
      const d = await seedDeal(hub, { owner: anna.id, channel: 'web_form', createdAt, stage: 'new', amount });
      await hub.query(`UPDATE deal SET pipeline_id = $2, stage_id = (SELECT id FROM stage WHERE pipeline_id = $2 AND key = $3), stage = $3 WHERE id = $1`, [d.dealId, pipelineId, stage]);
      let i = 0;
      for (const [from, to] of moves) await activity(hub, { ...d, kind: 'stage_changed', actorId: anna.id, at: new Date(new Date(createdAt).getTime() + ++i * 60_000).toISOString(), payload: { from, to } });
    };
    await inPipeline('paid', [['lead', 'offer'], ['offer', 'paid']], '2026-04-01T09:00:00Z', 700);
    await inPipeline('dropped', [['lead', 'offer'], ['offer', 'dropped']], '2026-04-01T10:00:00Z');
    await inPipeline('lead', [], '2026-04-01T11:00:00Z');
    await seedDeal(hub, { owner: anna.id, channel: 'web_form', createdAt: '2026-04-01T12:00:00Z', stage: 'won', amount: 5000 });

    const r = await get(`/api/reports/funnel?from=2026-04-01&to=2026-04-01&pipelineId=${pipelineId}`);
    expect(r.filters.pipelineId).toBe(pipelineId);
    expect(r.totals).toEqual({ deals: 3, open: 1, won: 1, lost: 1, wonAmount: 700, conversion: 0.3333 });
    expect(r.steps).toEqual([
      { stage: 'lead', deals: 1, reached: 3, conversionFromPrevious: null, conversionFromFirst: null, lostHere: 0 },
      { stage: 'offer', deals: 0, reached: 2, conversionFromPrevious: 0.6667, conversionFromFirst: 0.6667, lostHere: 1 },
      { stage: 'paid', deals: 1, reached: 1, conversionFromPrevious: 0.5, conversionFromFirst: 0.3333, lostHere: 0 },
    ]);
    // Without pipelineId: the default pipeline's deals only.
    const byDefault = await get(`/api/reports/funnel?from=2026-04-01&to=2026-04-01`);
    expect(byDefault.totals).toMatchObject({ deals: 1, won: 1, wonAmount: 5000 });
    // The other reports count won and lost by stage kind too: 'paid' is won, 'dropped' lost.
    const april = 'from=2026-04-01&to=2026-04-01';
    expect((await get(`/api/reports/sources?${april}`)).totals).toEqual({ leads: 4, won: 2, lost: 1, conversion: 0.5, revenue: 5700 });
    expect((await get(`/api/reports/sources?${april}&pipelineId=${pipelineId}`)).totals).toEqual({ leads: 3, won: 1, lost: 1, conversion: 0.3333, revenue: 700 });
    const annaApril = (await get(`/api/reports/managers?${april}`)).managers.find((m: any) => m.managerId === anna.id);
    expect([annaApril.leadsAssigned, annaApril.won, annaApril.lost]).toEqual([4, 2, 1]);
    expectError(await hub.request({ url: `/api/reports/funnel?pipelineId=6d1f0c5e-0000-4000-8000-000000000000`, token: admin }), 404, 'not_found');
    expectError(await hub.request({ url: `/api/reports/funnel?pipelineId=nope`, token: admin }), 400, 'invalid', ['pipelineId']);
  });

  it('a missed call nobody took stays with whoever owned the deal when it rang; a recording added later changes nothing', async () => {
    const missedOf = async (id: string) => (await get(`/api/reports/managers?${P}`)).managers.find((m: any) => m.managerId === id).callsMissed;
    await hub.query(`UPDATE deal SET owner_id = $2 WHERE id = $1`, [ids.d3.dealId, boris.id]);
    try {
      await hub.query(`UPDATE activity SET payload = payload || '{"recording": {"url": "/api/calls/x/recording", "durationSeconds": 0}}' WHERE deal_id = $1 AND kind = 'call_missed'`, [
        ids.d3.dealId,
      ]);
      expect([await missedOf(anna.id), await missedOf(boris.id)]).toEqual([1, 1]);
    } finally {
      await hub.query(`UPDATE deal SET owner_id = $2 WHERE id = $1`, [ids.d3.dealId, anna.id]);
    }
  });

  it('call figures follow edits of the call activity; a malformed duration counts as no talk time', async () => {
    // May: a period of its own.
    const may = await seedDeal(hub, { owner: anna.id, channel: 'phone', createdAt: '2026-05-04T09:00:00Z', stage: 'new' });
    await activity(hub, { ...may, kind: 'call_out', actorId: anna.id, at: '2026-05-04T09:01:00Z', payload: { ...call('outbound', true, 0), durationSeconds: '12s' } });
    await activity(hub, { ...may, kind: 'call_in', actorId: anna.id, at: '2026-05-04T09:30:00Z', payload: call('inbound', true, 45.6) });
    const figures = async () =>
      Object.fromEntries(
        (await get(`/api/reports/managers?from=2026-05-04&to=2026-05-04`)).managers
          .filter((m: any) => m.managerId === anna.id || m.managerId === boris.id)
          .map((m: any) => [m.name, [m.callsMade, m.callsAnswered, m.callsMissed, m.talkSeconds]]),
      );
    expect(await figures()).toEqual({ 'Anna Reports': [1, 2, 0, 46], 'Boris Reports': [0, 0, 0, 0] });
    // Boris took the incoming call after all, and it turns out not to have been answered.
    await hub.query(`UPDATE activity SET actor_id = $2 WHERE deal_id = $1 AND kind = 'call_in'`, [may.dealId, boris.id]);
    expect(await figures()).toEqual({ 'Anna Reports': [1, 1, 0, 0], 'Boris Reports': [0, 1, 0, 46] });
    await hub.query(`UPDATE activity SET kind = 'call_missed', actor_id = NULL, payload = $2 WHERE deal_id = $1 AND kind = 'call_in'`, [
      may.dealId,
      JSON.stringify(call('inbound', false, 0)),
    ]);
    expect(await figures()).toEqual({ 'Anna Reports': [1, 1, 1, 0], 'Boris Reports': [0, 0, 0, 0] });
    await hub.query(`UPDATE activity SET kind = 'note' WHERE deal_id = $1 AND kind = 'call_out'`, [may.dealId]);
    expect(await figures()).toEqual({ 'Anna Reports': [0, 0, 1, 0], 'Boris Reports': [0, 0, 0, 0] });
  });

  it('the migration fills call_fact from the call activities already written', async () => {
    const facts = () => hub.query(`SELECT activity_id, occurred_at, manager_id, kind, answered, talk_seconds FROM call_fact ORDER BY activity_id`);
    const before = await facts();
    expect(before.length).toBeGreaterThanOrEqual(8);
    // Later migrations (other branches append theirs) are undone first, down to this one.
    const names = hub.dataSource.migrations.map((m) => m.name);
    expect(names).toContain('ReportCallFacts1763906000000');
    for (const name of names.slice(names.indexOf('ReportCallFacts1763906000000')).reverse()) {
      const [applied] = await hub.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`);
      expect(applied.name).toBe(name);
      await hub.dataSource.undoLastMigration();
    }
    expect(await hub.query(`SELECT to_regclass('call_fact') AS t`)).toEqual([{ t: null }]);
    await hub.dataSource.runMigrations();
    expect(await facts()).toEqual(before);
  });
});
