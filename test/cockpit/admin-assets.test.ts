import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { buildAdminUi } from '../browser/browser-support';
import { TestHub } from '../support/test-hub';

jest.setTimeout(120_000);

/** The admin UI's files: compressed at build time, served as the browser accepts, hashed ones cached for good. */
describe('admin UI assets', () => {
  let hub: TestHub;
  let uiDir: string;
  let script: string;

  beforeAll(async () => {
    uiDir = buildAdminUi();
    script = readdirSync(join(uiDir, 'assets')).find((f) => /^index-.*\.js$/.test(f))!;
    hub = await TestHub.start({}, undefined, { adminUiDir: uiDir });
  });
  afterAll(async () => {
    await hub?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  it('the build writes brotli and gzip copies of the script, styles and page', () => {
    const files = readdirSync(join(uiDir, 'assets'));
    expect(files).toContain(`${script}.br`);
    expect(files).toContain(`${script}.gz`);
    expect(files.some((f) => f.endsWith('.css.br'))).toBe(true);
    const raw = readFileSync(join(uiDir, 'assets', script));
    expect(brotliDecompressSync(readFileSync(join(uiDir, 'assets', `${script}.br`)))).toEqual(raw);
    // The main script shrinks to well under a third of its size.
    expect(readFileSync(join(uiDir, 'assets', `${script}.br`)).length).toBeLessThan(raw.length / 3);
  });

  it('sends brotli to browsers that take it, gzip to those that take only gzip, the plain file otherwise; hashed files immutable', async () => {
    const raw = readFileSync(join(uiDir, 'assets', script));
    const br = await hub.app.inject({ url: `/admin/assets/${script}`, headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(String(br.headers['content-type'])).toMatch(/javascript/);
    expect(String(br.headers['cache-control'])).toMatch(/max-age=31536000.*immutable|immutable.*max-age=31536000/);
    expect(String(br.headers.vary)).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(br.rawPayload)).toEqual(raw);

    const gz = await hub.app.inject({ url: `/admin/assets/${script}`, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload)).toEqual(raw);

    const plain = await hub.app.inject({ url: `/admin/assets/${script}`, headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload).toEqual(raw);
  });

  it('the page itself is revalidated on every load (it names the current hashed files)', async () => {
    const page = await hub.app.inject({ url: '/admin/contacts', headers: { 'accept-encoding': 'br' } });
    expect(page.statusCode).toBe(200);
    expect(String(page.headers['cache-control'])).toBe('no-cache');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
  });
});
