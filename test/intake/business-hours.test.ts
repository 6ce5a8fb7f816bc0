import { TestHub } from '../support/test-hub';

/** Callback due times respect BUSINESS_HOURS in BUSINESS_TIMEZONE, and CALLBACK_SLA_MINUTES. */
describe('callback due time with business hours', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await TestHub.start({
      BUSINESS_HOURS: 'Mon-Fri 09:00-19:00',
      BUSINESS_TIMEZONE: 'Asia/Tashkent',
      BUSINESS_HOLIDAYS: '2026-12-31',
      CALLBACK_SLA_MINUTES: '20',
    });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const dueOf = async (taskId: string) => new Date((await hub.query(`SELECT due_at FROM task WHERE id = $1`, [taskId]))[0].due_at).toISOString();

  it('a lead at 23:00 local is due 20 minutes after the next opening', async () => {
    // Tashkent is UTC+5: Monday 23:00 local = 18:00Z; Tuesday 09:00 local = 04:00Z.
    hub.clock.set('2026-11-23T18:00:00Z');
    const res = await hub.postForm({ phone: '+998 90 111 22 33' });
    expect(res.status).toBe(201);
    expect(await dueOf(res.body.taskId)).toBe('2026-11-24T04:20:00.000Z');
  });

  it('a lead in working hours is due 20 minutes later', async () => {
    hub.clock.set('2026-11-24T06:00:00Z');
    const res = await hub.postForm({ phone: '+998 90 111 22 44' });
    expect(await dueOf(res.body.taskId)).toBe('2026-11-24T06:20:00.000Z');
  });

  it('a lead on the eve of a holiday rolls over the holiday', async () => {
    // Wednesday 2026-12-30 18:50 local → 10 minutes that day, 10 more on Friday 2027-01-01 from 09:00.
    hub.clock.set('2026-12-30T13:50:00Z');
    const res = await hub.postForm({ phone: '+998 90 111 22 55' });
    expect(await dueOf(res.body.taskId)).toBe('2027-01-01T04:10:00.000Z');
  });
});
