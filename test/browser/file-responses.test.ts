import { deflateSync } from 'node:zlib';
import type { Browser, BrowserContext } from 'playwright-core';
import { FakeBotApi } from '../telegram/fake-bot-api';
import { boris, HUB_START_MS, messageUpdate, postUpdate, startTelegramHub } from '../telegram/telegram-helpers';
import type { TestHub } from '../support/test-hub';
import { launchChromium } from './browser-support';

jest.setTimeout(HUB_START_MS);

/** The page's DOM, typed just enough for the checks below (the test compiles without the DOM lib). */
interface PageDom {
  images: ArrayLike<{ naturalWidth: number }>;
  body: { appendChild(node: unknown): void };
  createElement(tag: 'iframe'): { src: string };
}

/** A 2×2 red PNG, made here so the test needs no binary fixture. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rows = Buffer.from([0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}
function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c;
}

// Each payload, if it ran, would call home on the hub's origin with the admin's cookie.
const beacon = (kind: string) => `fetch('/pwned?${kind}',{credentials:'include'});document.title='PWNED'`;
const FILES: Array<{ mime: string; name: string; body: Buffer | string; inline: boolean }> = [
  { mime: 'text/html', name: 'invoice.html', body: `<html><body><h1>Invoice</h1><img src=x onerror="${beacon('html-img')}"><script>${beacon('html')}</script></body></html>`, inline: false },
  { mime: 'image/svg+xml', name: 'logo.svg', body: `<svg xmlns="http://www.w3.org/2000/svg" onload="${beacon('svg-onload')}"><script>${beacon('svg')}</script></svg>`, inline: false },
  { mime: 'application/xhtml+xml', name: 'page.xhtml', body: `<html xmlns="http://www.w3.org/1999/xhtml"><body><script>${beacon('xhtml')}</script></body></html>`, inline: false },
  { mime: 'text/xml', name: 'data.xml', body: `<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">${beacon('xml')}</x:script>`, inline: false },
  // A lie: HTML declared as a PNG must not be sniffed into a page.
  { mime: 'image/png', name: 'fake.png', body: `<html><script>${beacon('sniffed-png')}</script></html>`, inline: true },
  { mime: 'application/pdf', name: 'offer.pdf', body: `%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF`, inline: true },
  { mime: 'image/png', name: 'photo.png', body: png(), inline: true },
];

describe('files from strangers, opened by a logged-in admin in Chromium', () => {
  let fake: FakeBotApi;
  let hub: TestHub;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  const pwned: string[] = [];
  const media = new Map<string, string>();

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    hub = await startTelegramHub(fake);
    base = await hub.listen();
    for (const [i, f] of FILES.entries()) {
      const fileId = `BQACfile${i}`;
      fake.addFile(fileId, `documents/file_${i}`, Buffer.isBuffer(f.body) ? f.body : Buffer.from(f.body));
      const res = await postUpdate(hub, messageUpdate(boris, { document: { file_id: fileId, file_unique_id: `u${i}`, file_name: f.name, mime_type: f.mime } }));
      expect(res.status).toBe(200);
      const [row] = await hub.query(`SELECT id FROM activity WHERE payload->'details'->'media'->>'fileId' = $1`, [fileId]);
      media.set(`${i}`, row.id);
    }
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true });
    const u = new URL(base);
    await context.addCookies([{ name: 'leadline_session', value: await hub.adminToken(), domain: u.hostname, path: '/', httpOnly: true }]);
    context.on('request', (r) => {
      if (r.url().includes('/pwned')) pwned.push(r.url());
    });
  }, HUB_START_MS);
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await fake?.stop();
  }, HUB_START_MS);

  it.each(FILES.map((f, i) => [f.mime, f.name, i] as const))('%s (%s) runs no script on the hub origin', async (mime, name, i) => {
    const f = FILES[i];
    const url = `${base}/api/activities/${media.get(`${i}`)}/media`;
    const page = await context.newPage();
    const download = page.waitForEvent('download', { timeout: 5000 }).catch(() => null);
    // A download aborts the navigation; either way the page must be checked after.
    await page.goto(url).catch(() => null);
    await page.waitForTimeout(500);
    // Headers as served (Chromium reports no response for a navigation that became a download).
    const { headers } = await hub.request({ url: url.slice(base.length), token: await hub.adminToken() });
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toContain('sandbox');
    if (f.inline) {
      expect(headers['content-type']).toBe(mime);
      expect(headers['content-disposition']).toMatch(/^inline;/);
    } else {
      expect(headers['content-type']).toBe('application/octet-stream');
      expect(headers['content-disposition']).toMatch(/^attachment;/);
      expect((await download)?.suggestedFilename()).toBe(name);
    }
    if (name === 'photo.png') {
      // Safe types still preview: the image renders.
      expect(await page.evaluate(() => (globalThis as unknown as { document: PageDom }).document.images[0]?.naturalWidth ?? 0)).toBe(2);
    }
    // What the page could reach, if anything ran: the title and a same-origin request.
    expect(await page.title().catch(() => '')).not.toBe('PWNED');
    await page.close();
    expect(pwned).toEqual([]);
  });

  it('embeds the safe types in the admin UI origin (img/iframe) without running the hostile ones', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/health`);
    await page.evaluate((ids: string[]) => {
      const doc = (globalThis as unknown as { document: PageDom }).document;
      for (const id of ids) {
        const frame = doc.createElement('iframe');
        frame.src = `/api/activities/${id}/media`;
        doc.body.appendChild(frame);
      }
    }, [...media.values()]);
    await page.waitForTimeout(1500);
    expect(pwned).toEqual([]);
    await page.close();
  });

  it('answers a mime_type with CR/LF in it, instead of a 500', async () => {
    fake.addFile('BQACcrlf', 'documents/crlf', Buffer.from('<script>alert(1)</script>'));
    await postUpdate(hub, messageUpdate(boris, { document: { file_id: 'BQACcrlf', file_unique_id: 'ucrlf', file_name: 'a"\r\nSet-Cookie: x=1.html', mime_type: 'text/html\r\nX-Injected: 1' } }));
    const [row] = await hub.query(`SELECT id FROM activity WHERE payload->'details'->'media'->>'fileId' = 'BQACcrlf'`);
    const res = await hub.request({ url: `/api/activities/${row.id}/media`, token: await hub.adminToken() });
    expect(res.status).toBe(200);
    expect(res.headers['x-injected']).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="a_Set-Cookie: x=1.html"/);
  });
});
