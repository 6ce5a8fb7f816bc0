import fc from 'fast-check';
import { postLead } from '../http/http-helpers';
import { TestHub } from '../support/test-hub';
import { expectNo5xx, FUZZ_TIMEOUT_MS, fuzzParams, hostileJson, hostileString, hostileText } from './fuzz-support';

jest.setTimeout(FUZZ_TIMEOUT_MS);

/**
 * What logged-in people type (or paste) into the main write routes and filters: never a 5xx. A 2xx
 * stored something the database accepts, so reading it back works too.
 */
describe('fuzz: authenticated write routes and filters', () => {
  let hub: TestHub;
  let admin: string;
  let contactId: string;
  let dealId: string;
  let companyId: string;
  let pipelineId: string;
  let seq = 0;

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
    const lead = await postLead(hub, { name: 'Fuzz Target', phone: '+7 912 999-00-01', email: 'target@fuzz.example' });
    contactId = lead.contactId;
    dealId = lead.dealId;
    companyId = (await hub.request({ method: 'POST', url: '/api/companies', token: admin, body: { name: 'Fuzz Co' } })).body.id;
    pipelineId = (await hub.request({ url: '/api/pipelines', token: admin })).body[0]?.id;
  }, FUZZ_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.close();
  });

  /** A body with the route's own keys (hostile values, sometimes the right type) and stray ones. */
  const body = (keys: string[]) =>
    fc
      .tuple(
        fc.dictionary(fc.constantFrom(...keys), fc.oneof({ weight: 3, arbitrary: hostileText() }, { weight: 1, arbitrary: hostileJson(3) }), { maxKeys: keys.length }),
        fc.dictionary(hostileString(12), hostileJson(2), { maxKeys: 2 }),
      )
      .map(([own, stray]) => ({ ...stray, ...own }));

  const routes = () => [
    { method: 'POST' as const, url: `/api/contacts/${contactId}/notes`, keys: ['text'] },
    { method: 'POST' as const, url: `/api/contacts/${contactId}/tasks`, keys: ['title', 'dueAt'] },
    { method: 'POST' as const, url: '/api/companies', keys: ['name', 'domain', 'legalId'] },
    { method: 'PATCH' as const, url: `/api/companies/${companyId}`, keys: ['name', 'domain', 'legalId'] },
    { method: 'PATCH' as const, url: `/api/deals/${dealId}`, keys: ['stage', 'stageId', 'pipelineId', 'lostReason', 'amount', 'title'] },
    { method: 'POST' as const, url: '/api/managers', keys: ['name', 'email', 'password', 'phone', 'shift', 'timezone'] },
    { method: 'POST' as const, url: '/api/forms', keys: ['name', 'allowedOrigins', 'honeypotField'] },
    { method: 'POST' as const, url: '/api/pipelines', keys: ['name'] },
    { method: 'POST' as const, url: `/api/pipelines/${pipelineId}/stages`, keys: ['name', 'key', 'kind'] },
  ];

  it('write routes take arbitrary bodies without a 5xx', async () => {
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(100), fc.context(), async (pick, ctx) => {
        const all = routes();
        const route = all[pick % all.length];
        const sample = fc.sample(body(route.keys), { numRuns: 1, seed: pick + ++seq })[0];
        // Sometimes the right shape with hostile text: the path past validation runs too.
        if (route.keys.includes('name') && seq % 2) sample.name = `n${seq} ${fc.sample(hostileString(30), { numRuns: 1, seed: seq })[0]}`;
        if (route.url.endsWith('/managers') && seq % 2) Object.assign(sample, { email: `fuzz${seq}@fuzz.example`, password: 'fuzz-password-1' });
        if (route.url.endsWith('/notes') && seq % 2) sample.text = `t ${fc.sample(hostileText(), { numRuns: 1, seed: seq })[0]}`;
        ctx.log(`${route.method} ${route.url} ${JSON.stringify(sample).slice(0, 300)}`);
        const res = await hub.request({ method: route.method, url: route.url, token: admin, body: sample });
        expectNo5xx(res, `${route.method} ${route.url}`);
        if (res.status < 300) stored++;
      }),
      { ...fuzzParams(21), numRuns: fuzzParams().numRuns * 3 },
    );
    // Not only refusals: hostile text got past validation and was stored.
    expect(stored).toBeGreaterThan(0);
    // What was stored reads back.
    expect((await hub.request({ url: `/api/contacts/${contactId}/timeline`, token: admin })).status).toBe(200);
    expect((await hub.request({ url: '/api/companies', token: admin })).status).toBe(200);
    expect((await hub.request({ url: '/api/managers', token: admin })).status).toBe(200);
  });

  it('search and report filters take arbitrary query strings without a 5xx', async () => {
    const paths = ['/api/contacts', '/api/companies', '/api/deals', '/api/tasks', '/api/reports/funnel', '/api/reports/sources', '/api/reports/sla/unanswered'];
    const keys = ['search', 'cursor', 'limit', 'channel', 'utmSource', 'utmCampaign', 'from', 'to', 'stage', 'status', 'format'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.dictionary(fc.constantFrom(...keys), hostileString(80), { maxKeys: 4 }), async (path, query) => {
        const qs = new URLSearchParams(Object.entries(query)).toString();
        const res = await hub.request({ url: `${path}?${qs}`, token: admin });
        expectNo5xx(res, `GET ${path}?${qs}`);
      }),
      fuzzParams(22),
    );
  });
});
