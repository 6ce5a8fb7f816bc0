import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { nextPhone, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { buildAdminUi, collectPageErrors, launchChromium, screenshot } from './browser-support';

jest.setTimeout(120_000);

/** The reports pages in a real Chromium against a real hub (same setup as admin-ui.test.ts). */
describe('admin UI reports in the browser', () => {
  let hub: TestHub;
  let base: string;
  let browser: Browser;
  let uiDir: string;

  beforeAll(async () => {
    uiDir = buildAdminUi();
    hub = await TestHub.start({}, undefined, { adminUiDir: uiDir });
    base = await hub.listen();
    await raiseFormRateLimit(hub);
    await postLead(hub, { name: 'Funnel Client', phone: nextPhone().typed });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  async function loggedIn(width = 1280): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 800 }, locale: 'en-US' });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    return { context, page, errors };
  }

  it('shows the funnel for a seeded lead, and its CSV link downloads text/csv over the session cookie', async () => {
    const { context, page, errors } = await loggedIn();
    await page.getByRole('link', { name: 'Reports' }).click();
    const funnel = page.getByTestId('funnel');
    await funnel.waitFor();
    const newRow = funnel.getByRole('row').filter({ hasText: 'New' });
    expect(await newRow.getByRole('cell').nth(1).textContent()).toBe('1');
    await page.getByTestId('funnel-chart').waitFor();
    await screenshot(page, '20-reports-funnel');

    const href = await page.getByTestId('report-csv').getAttribute('href');
    expect(href).toBe('/api/reports/funnel?format=csv');
    const download = page.waitForEvent('download');
    await page.getByTestId('report-csv').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^funnel-.*\.csv$/);
    const res = await context.request.get(`${base}${href}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/csv');
    expect(await res.text()).toContain('new');

    // The other reports render (keyboard-reachable tabs) without errors.
    await page.getByRole('tab', { name: 'Lead sources' }).click();
    await page.getByTestId('sources-channel').getByRole('cell', { name: 'Web form' }).waitFor();
    expect(await page.getByTestId('report-csv').getAttribute('href')).toBe('/api/reports/sources?format=csv');
    await page.getByRole('tab', { name: 'Managers' }).click();
    await page.getByRole('heading', { name: 'Managers' }).waitFor();
    await page.getByRole('tab', { name: 'SLA over time' }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('sla-chart').waitFor();
    await page.getByTestId('never-answered').getByText('Funnel Client').waitFor();
    await screenshot(page, '21-reports-sla');

    // A filter changes the request: a channel with no leads shows an empty funnel.
    await page.getByRole('tab', { name: 'Funnel' }).click();
    await page.getByLabel('Channel').selectOption('telegram');
    await page.waitForFunction(`document.querySelector('[data-testid="report-csv"]').getAttribute('href').includes('channel=telegram')`);
    await page.getByTestId('funnel').getByRole('row').filter({ hasText: 'New' }).getByRole('cell', { name: '0', exact: true }).first().waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits a phone-width screen', async () => {
    const { context, page, errors } = await loggedIn(390);
    await page.goto(`${base}/admin/reports/sla`);
    await page.getByTestId('sla-chart').waitFor();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
