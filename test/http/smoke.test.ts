import { TestHub } from '../support/test-hub';

describe('hub smoke', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await TestHub.start();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers health with the database checked', async () => {
    const res = await hub.request({ url: '/health' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'ok' });
  });

  it('takes a form lead', async () => {
    const res = await hub.postForm({ name: 'Anna', phone: '8 (999) 123-45-67' });
    expect(res.status).toBe(201);
    expect(res.body.leadId).toBeDefined();
  });
});
