import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { buildAdminUi, collectPageErrors, launchChromium, screenshot } from './browser-support';

jest.setTimeout(180_000);

/** Settings → Audit log in a real Chromium: what an admin did, filtered, with before and after. */
describe('admin UI: audit log', () => {
  let hub: TestHub;
  let base: string;
  let browser: Browser;
  let uiDir: string;

  beforeAll(async () => {
    uiDir = buildAdminUi();
    hub = await TestHub.start({}, undefined, { adminUiDir: uiDir });
    base = await hub.listen();
    const admin = await hub.adminToken();
    const created = await hub.createManager({ name: 'Vera Old' });
    expect((await hub.request({ method: 'PATCH', url: `/api/managers/${created.id}`, token: admin, body: { name: 'Vera New' } })).status).toBe(200);
    expect((await hub.request({ method: 'POST', url: '/api/forms', token: admin, body: { name: 'Landing page' } })).status).toBe(201);
    expect((await hub.postForm({ name: 'Erin Erasable', phone: '+7 912 555-44-33' })).status).toBe(201);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  it('lists the admin actions newest first, filters by action and shows the changed fields', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Audit log' }).click();
    const table = page.getByTestId('audit-entries');
    await table.waitFor();
    const actions = await table.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(actions.slice(0, 3)).toEqual(['form.create', 'manager.update', 'manager.create']);

    await page.getByTestId('audit-action').selectOption('manager.update');
    await page.getByRole('button', { name: 'Apply' }).click();
    // A function, not a string: a string predicate that has to poll is eval'ed in the page, which the
    // hub's Content-Security-Policy (no 'unsafe-eval') refuses.
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('[data-testid="audit-entries"] tbody tr').length === 1);
    expect(await table.locator('tbody tr td:nth-child(3)').allTextContents()).toEqual(['manager.update']);
    await table.getByRole('button', { name: 'Details' }).click();
    const changes = page.getByTestId('audit-changes');
    await changes.waitFor();
    const nameRow = changes.locator('tr', { hasText: 'name' }).first();
    expect(await nameRow.locator('td').allTextContents()).toEqual(['name', 'Vera Old', 'Vera New']);
    await screenshot(page, 'audit-log');
    expect(errors).toEqual([]);

    // In Russian too.
    await page.getByTestId('lang').selectOption('ru');
    await page.getByRole('tab', { name: 'Журнал действий' }).waitFor();
    await context.close();
  });

  it('finds a person under Personal data, offers the JSON export and erases them after ERASE is typed', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/admin/settings/privacy`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('tab', { name: 'Personal data' }).click();
    await page.getByTestId('privacy-search').fill('Erin');
    await page.getByRole('button', { name: 'Find' }).click();
    const row = page.getByTestId('privacy-results').locator('tr', { hasText: 'Erin Erasable' });
    await row.waitFor();
    const [{ id }] = await hub.query(`SELECT id FROM contact WHERE name = 'Erin Erasable'`);
    expect(await row.getByRole('link', { name: 'Export (JSON)' }).getAttribute('href')).toBe(`/api/contacts/${id}/personal-data`);
    // The download works with the browser's session cookie.
    const download = await page.request.get(`${base}/api/contacts/${id}/personal-data`);
    expect(download.status()).toBe(200);
    expect((await download.json()).contact.name).toBe('Erin Erasable');

    await row.getByRole('button', { name: 'Erase' }).click();
    const eraseNow = page.getByRole('button', { name: 'Erase for good' });
    expect(await eraseNow.isDisabled()).toBe(true);
    await page.getByTestId('privacy-confirm').fill('ERASE');
    await eraseNow.click();
    await page.getByTestId('privacy-done').waitFor();
    expect(await hub.query(`SELECT id FROM contact WHERE id = $1`, [id])).toEqual([]);
    const audit = await hub.request({ url: '/api/audit?action=contact.erase', token: await hub.adminToken() });
    expect(audit.body.items[0]).toMatchObject({ entityId: id });
    expect(errors).toEqual([]);
    await context.close();
  });
});
