import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { nextPhone } from '../http/http-helpers';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { buildAdminUi, collectPageErrors, launchChromium, screenshot } from './browser-support';

jest.setTimeout(180_000);

const DESKTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };

/** Settings → Forms: rename, disable/enable and delete (refused for a form with leads), in a real Chromium. */
describe('admin UI: managing web forms', () => {
  let hub: TestHub;
  let base: string;
  let browser: Browser;
  let uiDir: string;
  let admin: string;

  beforeAll(async () => {
    uiDir = buildAdminUi();
    hub = await TestHub.start({}, undefined, { adminUiDir: uiDir });
    base = await hub.listen();
    admin = await hub.adminToken();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  async function createForm(name: string): Promise<{ id: string; key: string }> {
    const res = await hub.request({ method: 'POST', url: '/api/forms', token: admin, body: { name } });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function openForms(viewport: { width: number; height: number }, lang: 'en' | 'ru'): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport, locale: lang === 'ru' ? 'ru-RU' : 'en-US', hasTouch: viewport.width < 500 });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/admin/settings/forms`);
    await page.locator('input[type=email]').fill(ADMIN_EMAIL);
    await page.locator('input[type=password]').fill(ADMIN_PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.getByTestId('form-manage').first().waitFor();
    return { page, errors, close: () => context.close() };
  }

  async function until(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not reached within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const formRow = async (id: string) => (await hub.query(`SELECT name, active FROM web_form WHERE id = $1`, [id]))[0] as { name: string; active: boolean } | undefined;

  it('renames, disables (posters get 410), enables and deletes a form without leads (en, desktop)', async () => {
    const form = await createForm('Landing');
    const { page, errors, close } = await openForms(DESKTOP, 'en');
    const card = page.getByTestId(`form-${form.key}`);

    await card.getByLabel('Form name').fill('Landing — spring');
    await card.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('heading', { name: 'Landing — spring' }).waitFor();
    expect((await formRow(form.id))?.name).toBe('Landing — spring');

    await card.getByRole('button', { name: 'Disable' }).click();
    await card.getByTestId('form-state').filter({ hasText: 'Disabled' }).waitFor();
    expect((await formRow(form.id))?.active).toBe(false);
    const refused = await hub.postForm({ name: 'Late', phone: nextPhone().typed }, { formKey: form.key });
    expect(refused.status).toBe(410);
    expect(refused.body.error).toBe('form_disabled');
    await screenshot(page, 'forms-manage-disabled-en');

    await card.getByRole('button', { name: 'Enable' }).click();
    await card.getByTestId('form-state').filter({ hasText: 'Accepting leads' }).waitFor();
    expect((await hub.postForm({ name: 'Back', phone: nextPhone().typed }, { formKey: form.key })).status).toBe(201);

    // That post made a lead, so use a fresh form for the deletion.
    const spare = await createForm('Spare');
    await page.reload();
    const spareCard = page.getByTestId(`form-${spare.key}`);
    await spareCard.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByTestId('form-delete-dialog');
    await dialog.waitFor();
    // Cancel first: nothing happens.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await formRow(spare.id)).toBeDefined();
    await spareCard.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete the form' }).click();
    await spareCard.waitFor({ state: 'detached' });
    expect(await formRow(spare.id)).toBeUndefined();
    // The audit log (an interceptor on authenticated writes) saw the admin's actions.
    await until(async () => (await hub.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'form.delete'`))[0].n === 1);
    expect(errors).toEqual([]);
    await close();
  });

  it('a form with leads is kept: Delete explains why and offers Disable (ru, phone)', async () => {
    const used = await createForm('Квиз');
    expect((await hub.postForm({ name: 'Клиент', phone: nextPhone().typed }, { formKey: used.key })).status).toBe(201);
    const { page, errors, close } = await openForms(PHONE, 'ru');
    const card = page.getByTestId(`form-${used.key}`);
    await card.getByRole('button', { name: 'Удалить' }).click();
    const dialog = page.getByTestId('form-delete-dialog');
    await dialog.getByRole('heading', { name: 'Удалить форму «Квиз»?' }).waitFor();
    await dialog.getByRole('button', { name: 'Удалить форму' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'сохраняется для их истории и отчётов' }).waitFor();
    await screenshot(page, 'forms-manage-kept-ru-phone');
    expect(await formRow(used.id)).toEqual({ name: 'Квиз', active: true });
    await dialog.getByRole('button', { name: 'Отключить' }).click();
    await card.getByTestId('form-state').filter({ hasText: 'Отключена' }).waitFor();
    expect(await formRow(used.id)).toEqual({ name: 'Квиз', active: false });
    expect(await card.textContent()).toContain('Эта форма больше не принимает заявки');
    // Nothing sticks out sideways on a phone.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await close();
  });
});
