import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { nextPhone, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { buildAdminUi, collectPageErrors, launchChromium, screenshot } from './browser-support';

jest.setTimeout(180_000);

const DESKTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };

/** The contacts list sorted from its headers or its sort menu, with filters, kept in the URL, in a real Chromium. */
describe('admin UI: sorting the contacts list', () => {
  let hub: TestHub;
  let base: string;
  let browser: Browser;
  let uiDir: string;

  beforeAll(async () => {
    uiDir = buildAdminUi();
    hub = await TestHub.start({}, undefined, { adminUiDir: uiDir });
    base = await hub.listen();
    await raiseFormRateLimit(hub);
    // Created in this order a day apart; "Zoe" has the latest activity, "Boris" the oldest.
    const people = [
      { name: 'Boris Early', created: '2026-01-01T10:00:00Z', activity: '2026-01-02T10:00:00Z', tags: ['vip'] },
      { name: 'anna Middle', created: '2026-01-02T10:00:00Z', activity: '2026-01-05T10:00:00Z', tags: ['vip'] },
      { name: 'Zoe Late', created: '2026-01-03T10:00:00Z', activity: '2026-01-09T10:00:00Z', tags: ['vip'] },
      { name: 'Carl Untagged', created: '2026-01-04T10:00:00Z', activity: '2026-01-10T10:00:00Z', tags: [] },
    ];
    for (const p of people) {
      const lead = await postLead(hub, { name: p.name, phone: nextPhone().typed });
      await hub.query(`UPDATE contact SET created_at = $2::text::timestamptz, last_activity_at = $3::text::timestamptz, tags = $4 WHERE id = $1`, [lead.contactId, p.created, p.activity, p.tags]);
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  async function open(path: string, viewport: { width: number; height: number }, lang: 'en' | 'ru'): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport, locale: lang === 'ru' ? 'ru-RU' : 'en-US', hasTouch: viewport.width < 500 });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/admin${path}`);
    await page.locator('input[type=email]').fill(ADMIN_EMAIL);
    await page.locator('input[type=password]').fill(ADMIN_PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.getByTestId('contact-sort').waitFor();
    return { page, errors, close: () => context.close() };
  }

  const names = (page: Page) => page.getByTestId('contacts').locator('tbody tr td:nth-child(2) a').allTextContents();
  async function namesBecome(page: Page, expected: string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (JSON.stringify(await names(page).catch(() => [])) !== JSON.stringify(expected)) {
      if (Date.now() > deadline) throw new Error(`list shows ${JSON.stringify(await names(page))}, expected ${JSON.stringify(expected)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('sorts by a header click (again: reversed) with a filter on, keeps it in the URL across a reload (en, desktop)', async () => {
    const { page, errors, close } = await open('/contacts?tag=vip', DESKTOP, 'en');
    await namesBecome(page, ['Zoe Late', 'anna Middle', 'Boris Early']);
    await page.getByTestId('sort-name').click();
    await namesBecome(page, ['anna Middle', 'Boris Early', 'Zoe Late']);
    expect(await page.getByTestId('contacts').locator('th[aria-sort=ascending]').textContent()).toContain('Name');
    await page.waitForURL((u) => u.searchParams.get('sort') === 'name' && u.searchParams.get('order') === 'asc' && u.searchParams.get('tag') === 'vip');
    await page.getByTestId('sort-name').click();
    await namesBecome(page, ['Zoe Late', 'Boris Early', 'anna Middle']);
    await page.waitForURL((u) => u.searchParams.get('order') === 'desc');
    await screenshot(page, 'contacts-sorted-desktop-en');

    await page.reload();
    await namesBecome(page, ['Zoe Late', 'Boris Early', 'anna Middle']);
    expect(await page.getByTestId('contact-sort').inputValue()).toBe('name:desc');
    expect(await page.getByLabel('Tag').inputValue()).toBe('vip');

    await page.getByTestId('sort-created').click();
    await namesBecome(page, ['Zoe Late', 'anna Middle', 'Boris Early']);
    await page.getByTestId('sort-created').click();
    await namesBecome(page, ['Boris Early', 'anna Middle', 'Zoe Late']);
    expect(errors).toEqual([]);
    await close();
  });

  it('the sort menu on a phone, from a shared link (ru, phone)', async () => {
    const { page, errors, close } = await open('/contacts?sort=activity&order=asc', PHONE, 'ru');
    await namesBecome(page, ['Boris Early', 'anna Middle', 'Zoe Late', 'Carl Untagged']);
    const menu = page.getByTestId('contact-sort');
    expect(await menu.locator('option:checked').textContent()).toBe('Сначала с давней активностью');
    await menu.selectOption({ label: 'Сначала новые' });
    await namesBecome(page, ['Carl Untagged', 'Zoe Late', 'anna Middle', 'Boris Early']);
    await page.waitForURL((u) => u.searchParams.get('sort') === 'created' && u.searchParams.get('order') === 'desc');
    await screenshot(page, 'contacts-sorted-phone-ru');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await close();
  });
});
