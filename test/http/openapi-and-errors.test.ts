import { TestHub } from '../support/test-hub';
import { expectError, MISSING_ID } from './http-helpers';

describe('OpenAPI document and error bodies (HTTP)', () => {
  let hub: TestHub;
  let admin: string;

  beforeAll(async () => {
    hub = await TestHub.start();
    admin = await hub.adminToken();
  });
  afterAll(async () => {
    await hub?.close();
  });

  describe('OpenAPI', () => {
    it('serves the JSON document with the API paths', async () => {
      const res = await hub.request({ url: '/api/docs/json' });
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(res.body.openapi).toMatch(/^3\.\d+\.\d+$/);
      expect(res.body.info).toMatchObject({ title: 'Leadline hub API', version: '0.1.0' });
      const paths = Object.keys(res.body.paths);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/api/contacts',
          '/api/contacts/{id}',
          '/api/contacts/{id}/timeline',
          '/api/deals',
          '/api/deals/{id}',
          '/api/queue',
          '/api/queue/{dealId}/take',
          '/api/tasks',
          '/api/tasks/{id}/complete',
          '/api/managers',
          '/api/forms',
          '/api/auth/login',
          '/api/inbound/forms/{formKey}',
        ]),
      );
      expect(res.body.paths['/api/inbound/forms/{formKey}']).toHaveProperty('post');
      expect(res.body.paths['/api/contacts']).toHaveProperty('get');
      expect(res.body.paths['/api/deals/{id}']).toHaveProperty('patch');
      expect(Object.keys(res.body.components?.securitySchemes ?? {}).length).toBeGreaterThanOrEqual(2);
    });

    it('serves the HTML viewer', async () => {
      const res = await hub.request({ url: '/api/docs' });
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
      expect(res.text).toMatch(/<html/i);
      expect(res.text).toMatch(/swagger/i);
    });
  });

  describe('error bodies', () => {
    it('a non-uuid id → 400 {error, message}', async () => {
      for (const url of ['/api/contacts/abc', '/api/deals/abc', '/api/contacts/abc/timeline', `/api/managers/${MISSING_ID.slice(0, -1)}`, '/api/forms/1']) {
        const res = await hub.request({ url, token: admin });
        expectError(res, 400, 'invalid');
        expect(res.body.message).toMatch(/uuid/i);
        expect(Object.keys(res.body).sort()).toEqual(['error', 'message']);
      }
      expectError(await hub.request({ method: 'POST', url: '/api/tasks/abc/complete', token: admin }), 400, 'invalid');
      expectError(await hub.request({ method: 'POST', url: '/api/queue/abc/take', token: admin }), 400, 'invalid');
    });

    it('an unknown route → 404 JSON, with or without a session', async () => {
      for (const [method, url, token] of [
        ['GET', '/api/nothing-here', admin],
        ['GET', '/api/nothing-here', undefined],
        ['POST', '/api/deals', admin],
        ['PUT', `/api/deals/${MISSING_ID}`, admin],
        ['DELETE', `/api/contacts/${MISSING_ID}`, admin],
        ['GET', '/no/such/page', undefined],
      ] as const) {
        const res = await hub.request({ method, url, token });
        expectError(res, 404, 'not_found');
        expect(Object.keys(res.body).sort()).toEqual(['error', 'message']);
      }
    });

    it('validation errors → 400 {error: invalid, message, fields}', async () => {
      const res = await hub.request({ method: 'PATCH', url: `/api/deals/${MISSING_ID}`, token: admin, body: { stage: 'nope' } });
      expectError(res, 400, 'invalid', ['stage']);
      expect(Object.keys(res.body).sort()).toEqual(['error', 'fields', 'message']);
      const nested = await hub.request({ method: 'POST', url: '/api/forms', token: admin, body: { name: 'X', allowedOrigins: ['https://ok.example.com', 42] } });
      expectError(nested, 400, 'invalid', ['allowedOrigins.1']);
    });

    it('a malformed JSON body → 400 JSON', async () => {
      const res = await hub.request({ method: 'POST', url: '/api/auth/login', body: '{"email": "admin@test.local", "password": ', headers: { 'content-type': 'application/json' } });
      expectError(res, 400, 'invalid');
      const patch = await hub.request({ method: 'PATCH', url: `/api/deals/${MISSING_ID}`, token: admin, body: 'stage=won', headers: { 'content-type': 'application/json' } });
      expectError(patch, 400, 'invalid');
    });

    it('a JSON array or scalar where an object is expected → 400 JSON', async () => {
      expectError(await hub.request({ method: 'POST', url: '/api/auth/login', body: '[]' }), 400, 'invalid');
      expectError(await hub.request({ method: 'POST', url: '/api/auth/login', body: '"admin"' }), 400, 'invalid');
      expectError(await hub.request({ method: 'PATCH', url: `/api/deals/${MISSING_ID}`, token: admin, body: 'null' }), 400, 'invalid');
    });

    it('a body of an unparsed content type → 415 JSON; plain text is not an object → 400 JSON', async () => {
      const xml = await hub.request({ method: 'POST', url: '/api/auth/login', body: '<login/>', headers: { 'content-type': 'application/xml' } });
      expectError(xml, 415, 'unsupported_media_type');
      const text = await hub.request({ method: 'POST', url: '/api/auth/login', body: 'email=admin@test.local&password=x', headers: { 'content-type': 'text/plain' } });
      expectError(text, 400, 'invalid');
    });

    it('a body over the size limit → 413 JSON', async () => {
      const res = await hub.request({ method: 'POST', url: '/api/auth/login', body: { email: 'admin@test.local', password: 'x'.repeat(1024 * 1024 + 10) } });
      expectError(res, 413, 'payload_too_large');
    });

    it('a not-found entity → 404 {error, message} naming what was not found', async () => {
      const res = await hub.request({ url: `/api/deals/${MISSING_ID}`, token: admin });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', message: 'deal not found' });
      expect((await hub.request({ url: `/api/contacts/${MISSING_ID}`, token: admin })).body).toEqual({ error: 'not_found', message: 'contact not found' });
    });
  });
});
