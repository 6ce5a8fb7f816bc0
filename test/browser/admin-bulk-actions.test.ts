import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { nextPhone, onlyAvailable, postLead, raiseFormRateLimit, type Lead } from '../http/http-helpers';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { buildAdminUi, collectPageErrors, launchChromium, screenshot } from './browser-support';

jest.setTimeout(180_000);

const DESKTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };

/** Bulk actions over the contacts list and the deals board in a real Chromium: one request, per-row outcomes shown. */
describe('admin UI: bulk actions', () => {
  let hub: TestHub;
  let base: string;
  let browser: Browser;
  let uiDir: string;
  let mira: { id: string; token: string; email: string };
  let boris: { id: string; token: string; email: string };
  const leads: Lead[] = [];
  let borisLead: Lead;

  beforeAll(async () => {
    uiDir = buildAdminUi();
    hub = await TestHub.start({}, undefined, { adminUiDir: uiDir });
    base = await hub.listen();
    await raiseFormRateLimit(hub);
    mira = await hub.createManager({ name: 'Mira Bulk' });
    boris = await hub.createManager({ name: 'Boris Bulk' });
    await onlyAvailable(hub, [mira.id, boris.id], mira.id);
    for (const name of ['Alpha Bulk', 'Beta Bulk', 'Gamma Bulk']) leads.push(await postLead(hub, { name, phone: nextPhone().typed }));
    await onlyAvailable(hub, [mira.id, boris.id], boris.id);
    borisLead = await postLead(hub, { name: 'Delta Bulk', phone: nextPhone().typed });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  async function open(email: string, password: string, path: string, viewport: { width: number; height: number }, lang: 'en' | 'ru'): Promise<{ page: Page; errors: string[]; requests: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport, locale: lang === 'ru' ? 'ru-RU' : 'en-US', hasTouch: viewport.width < 500 });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/bulk')) requests.push(r.url());
    });
    await page.goto(`${base}/admin${path}`);
    await page.locator('input[type=email]').fill(email);
    await page.locator('input[type=password]').fill(password);
    await page.locator('button[type=submit]').click();
    return { page, errors, requests, close: () => context.close() };
  }

  it('an admin tags and assigns selected contacts in one request each (en, desktop)', async () => {
    const { page, errors, requests, close } = await open(ADMIN_EMAIL, ADMIN_PASSWORD, '/contacts?q=Bulk', DESKTOP, 'en');
    const table = page.getByTestId('contacts');
    await table.locator(`tr[data-contact-id="${borisLead.contactId}"]`).waitFor();
    await page.getByTestId('select-all').check();
    const bar = page.getByTestId('bulk-bar');
    await bar.getByText('Selected: 4').waitFor();
    await page.getByTestId('bulk-action').selectOption('tag');
    await page.getByTestId('bulk-tag').fill('fair-2026');
    await bar.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('bulk-result').filter({ hasText: 'Done: 4, refused: 0' }).waitFor();
    expect(await hub.query(`SELECT count(*)::int AS n FROM contact WHERE 'fair-2026' = ANY(tags)`)).toEqual([{ n: 4 }]);

    // Selection is cleared by a successful action; pick two and hand them to Boris.
    await table.locator(`tr[data-contact-id="${leads[0].contactId}"] input[type=checkbox]`).check();
    await table.locator(`tr[data-contact-id="${leads[1].contactId}"] input[type=checkbox]`).check();
    await page.getByTestId('bulk-action').selectOption('assign');
    await page.getByTestId('bulk-manager').selectOption({ label: 'Boris Bulk' });
    await screenshot(page, 'bulk-contacts-desktop-en');
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('bulk-result').filter({ hasText: 'Done: 2, refused: 0' }).waitFor();
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = ANY($1)`, [[leads[0].dealId, leads[1].dealId]])).toEqual([{ owner_id: boris.id }, { owner_id: boris.id }]);
    expect(requests).toHaveLength(2);
    expect(errors).toEqual([]);
    await close();
  });

  it('a manager moves their deals to Lost with a reason from the board; each deal gets its own timeline entry (ru, phone)', async () => {
    // Gamma is Mira's; she does not see the others (now Boris's).
    const { page, errors, requests, close } = await open(mira.email, 'manager-pass-1', '/deals', PHONE, 'ru');
    const card = page.locator(`[data-deal-id="${leads[2].dealId}"]`);
    await card.waitFor();
    expect(await page.locator(`[data-deal-id="${leads[0].dealId}"]`).count()).toBe(0);
    await card.locator('input[type=checkbox]').check();
    const bar = page.getByTestId('bulk-bar');
    await bar.getByText('Выбрано: 1').waitFor();
    // A manager is not offered assigning.
    expect(await page.getByTestId('bulk-action').locator('option').allTextContents()).toEqual(['Сменить этап', 'Добавить тег']);
    await page.getByTestId('bulk-stage').selectOption('lost');
    const apply = bar.getByRole('button', { name: 'Применить' });
    expect(await apply.isDisabled()).toBe(true);
    await page.getByTestId('bulk-lost-reason').fill('Дорого');
    await screenshot(page, 'bulk-deals-phone-ru');
    await apply.click();
    await page.getByTestId('bulk-result').filter({ hasText: 'Выполнено: 1, отказано: 0' }).waitFor();
    await page.getByTestId('column-lost').locator(`[data-deal-id="${leads[2].dealId}"]`).waitFor();
    expect(await hub.query(`SELECT lost_reason FROM deal WHERE id = $1`, [leads[2].dealId])).toEqual([{ lost_reason: 'Дорого' }]);
    expect(await hub.query(`SELECT count(*)::int AS n FROM activity WHERE kind = 'stage_changed' AND deal_id = $1`, [leads[2].dealId])).toEqual([{ n: 1 }]);

    // Back to New without ticking Reopen: refused and said so, the card stays selected.
    await card.locator('input[type=checkbox]').check();
    await page.getByTestId('bulk-stage').selectOption('new');
    await bar.getByRole('button', { name: 'Применить' }).click();
    await page.getByTestId('bulk-refused').filter({ hasText: 'закрыта' }).waitFor();
    expect(await card.locator('input[type=checkbox]').isChecked()).toBe(true);
    expect(requests).toHaveLength(2);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await close();
  });
});
