import { TcpProxy } from '../support/tcp-proxy';
import { usingPostgres } from '../support/test-database';
import { TestHub } from '../support/test-hub';
import { FakeGraphApi } from './fake-graph-api';
import { ACCESS_TOKEN, APP_SECRET, delivery, HUB_START_MS, PHONE_NUMBER_IDS, postDelivery, VERIFY_TOKEN } from './whatsapp-helpers';

// Cutting the database off needs a network hop to cut: PostgreSQL only (PGlite lives in-process).
const describeWithServer = usingPostgres() ? describe : describe.skip;

describeWithServer('WhatsApp delivery while the database is unreachable', () => {
  let hub: TestHub;
  let proxy: TcpProxy;
  let graph: FakeGraphApi;

  beforeAll(async () => {
    graph = await FakeGraphApi.start(ACCESS_TOKEN);
    const target = new URL(process.env.DATABASE_URL!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    hub = await TestHub.start(
      {
        DB_POOL_SIZE: '2',
        WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
        WHATSAPP_APP_SECRET: APP_SECRET,
        WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
        WHATSAPP_GRAPH_BASE_URL: graph.url,
        WHATSAPP_PHONE_NUMBER_IDS: PHONE_NUMBER_IDS.join(','),
      },
      (url) => {
        const u = new URL(url);
        u.hostname = '127.0.0.1';
        u.port = String(proxy.port);
        return u.toString();
      },
    );
  }, HUB_START_MS);
  afterAll(async () => {
    await proxy?.restore();
    await hub?.close();
    await proxy?.cut();
    await graph?.stop();
  }, HUB_START_MS);

  it('answers 503 so Meta redelivers, and the redelivered batch is stored whole, once', async () => {
    const batch = delivery('batched');
    await proxy.cut();
    const down = await postDelivery(hub, batch);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();

    await proxy.restore();
    const again = await postDelivery(hub, batch);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ stored: 4, failed: 0 });
    expect((await postDelivery(hub, batch)).body).toMatchObject({ stored: 0, duplicates: 4 });
    const receipts = await hub.query(`SELECT status FROM inbound_receipt WHERE channel = 'whatsapp'`);
    expect(receipts.map((r: { status: string }) => r.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
  });
});
