import Fastify, { type FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_CSP, adminDistDir, registerAdminUi } from '../../apps/hub/src/http/admin-ui';

/** The hub's /admin: built files, index.html for the UI's own routes, a strict CSP. */
describe('admin UI static serving', () => {
  let root: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'leadline-admin-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/admin/assets/app.js"></script>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log("app")');
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(tmpdir(), 'leadline-secret.txt'), 'secret');
    app = Fastify();
    await registerAdminUi(app, root);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers index.html with the CSP for the app’s routes, so a reload of /admin/contacts/… works', async () => {
    for (const url of ['/admin/', '/admin/contacts/6a1f0c7e-1111-4222-8333-944455556666', '/admin/settings/forms?x=1']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('<div id="root">');
      expect(res.headers['content-security-policy']).toBe(ADMIN_CSP);
      expect(res.headers['cache-control']).toMatch(/no-cache|max-age=0/);
    }
    expect(ADMIN_CSP).toContain("script-src 'self'");
    expect(ADMIN_CSP).not.toContain('unsafe-inline');
    expect(ADMIN_CSP).toContain("frame-ancestors 'none'");
  });

  it('serves hashed assets as files, cached for good, and redirects /admin to /admin/', async () => {
    const js = await app.inject({ url: '/admin/assets/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.body).toBe('console.log("app")');
    expect(js.headers['cache-control']).toMatch(/immutable/);
    expect((await app.inject({ url: '/admin/favicon.svg' })).headers['content-type']).toMatch(/svg/);
    const bare = await app.inject({ url: '/admin' });
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe('/admin/');
  });

  it('never serves files outside the build folder', async () => {
    for (const url of ['/admin/../leadline-secret.txt', '/admin/%2e%2e/leadline-secret.txt', '/admin/..%2fleadline-secret.txt']) {
      const res = await app.inject({ url });
      expect(res.body).not.toBe('secret');
    }
  });

  it('says how to build it when the UI is not built (503)', async () => {
    const bare = Fastify();
    await registerAdminUi(bare, join(root, 'missing'));
    const res = await bare.inject({ url: '/admin/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toMatch(/npm run build/);
    await bare.close();
  });

  it('finds dist/admin under the repository root', () => {
    expect(adminDistDir()).toBe(join(__dirname, '..', '..', 'dist', 'admin'));
  });
});
