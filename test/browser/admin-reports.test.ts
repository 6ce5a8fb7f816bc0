import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { nextPhone, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { buildAdminUi, collectPageErrors, launchChromium, screenshot } from './browser-support';

jest.setTimeout(120_000);

/** The reports and companies pages in a real Chromium against a real hub (same setup as admin-ui.test.ts). */
describe('admin UI reports and companies in the browser', () => {
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
    expect(href).toBe('/api/reports/funnel?format=csv&lang=en');
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
    expect(await page.getByTestId('report-csv').getAttribute('href')).toBe('/api/reports/sources?format=csv&lang=en');
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
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid="report-csv"]').getAttribute('href').includes('channel=telegram'));
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

  it('shows a company created through the API on its page with its contact, and suggests it by email domain', async () => {
    const admin = await hub.adminToken();
    const company = await hub.request({ method: 'POST', url: '/api/companies', token: admin, body: { name: 'Acme Widgets', domain: 'acme-widgets.test' } });
    expect(company.status).toBe(201);
    const member = await postLead(hub, { name: 'Anna of Acme', phone: nextPhone().typed });
    const linked = await hub.request({ method: 'POST', url: `/api/companies/${company.body.id}/contacts`, token: admin, body: { contactId: member.contactId } });
    expect(linked.status).toBe(200);
    const prospect = await postLead(hub, { name: 'Petr Prospect', email: 'petr@acme-widgets.test' });

    const { context, page, errors } = await loggedIn();
    await page.goto(`${base}/admin/companies/${company.body.id}`);
    expect(await page.getByTestId('company-name').textContent()).toBe('Acme Widgets');
    await page.getByTestId('company-contacts').getByRole('link', { name: 'Anna of Acme' }).waitFor();
    await page.getByTestId('company-deals').waitFor();
    await page.getByTestId('company-timeline').waitFor();
    await screenshot(page, '22-company');

    // The contact page links back to the company.
    await page.getByTestId('company-contacts').getByRole('link', { name: 'Anna of Acme' }).click();
    await page.getByTestId('contact-company').getByRole('link', { name: 'Acme Widgets' }).waitFor();

    // A contact with an email at the company's domain gets the suggestion; accepting links it.
    await page.goto(`${base}/admin/contacts/${prospect.contactId}`);
    await page.getByTestId('company-suggestion').waitFor();
    await page.getByRole('button', { name: 'Accept suggestion' }).click();
    await page.getByTestId('contact-company').getByRole('link', { name: 'Acme Widgets' }).click();
    await page.getByTestId('company-contacts').getByRole('link', { name: 'Petr Prospect' }).waitFor();

    // The list finds it and creates another.
    await page.getByRole('link', { name: 'Companies' }).click();
    await page.getByRole('searchbox').fill('acme');
    await page.getByTestId('companies').getByRole('link', { name: 'Acme Widgets' }).waitFor();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Globex');
    await page.getByRole('button', { name: 'Create company' }).click();
    await page.getByTestId('company-name').filter({ hasText: 'Globex' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('creates and edits a mailbox in Settings, passwords never shown back', async () => {
    const { context, page, errors } = await loggedIn();
    await page.goto(`${base}/admin/settings/channels`);
    await page.getByRole('button', { name: 'Add mailbox' }).click();
    const form = page.getByTestId('mailbox-form');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Sales box');
    await form.getByRole('textbox', { name: 'Address', exact: true }).fill('sales@acme-widgets.test');
    await form.getByLabel('IMAP host').fill('127.0.0.1');
    await form.getByLabel('IMAP port').fill('1');
    await form.getByLabel('IMAP user').fill('sales');
    await form.getByLabel('IMAP password').fill('imap-secret');
    await form.getByLabel('IMAP over TLS').uncheck();
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('mailboxes').getByText('Sales box').waitFor();

    const admin = await hub.adminToken();
    const list = await hub.request({ url: '/api/mailboxes', token: admin });
    const created = list.body.find((m: { name: string }) => m.name === 'Sales box');
    expect(created).toMatchObject({ address: 'sales@acme-widgets.test', imap: { host: '127.0.0.1', port: 1, tls: false, user: 'sales', folder: 'INBOX' }, smtp: null });

    await page.getByRole('button', { name: 'Edit Sales box' }).click();
    const edit = page.getByTestId('mailbox-form');
    expect(await edit.getByLabel('IMAP password').inputValue()).toBe('');
    expect(await edit.getByLabel('IMAP host').inputValue()).toBe('127.0.0.1');
    await edit.getByLabel('SMTP host').fill('127.0.0.1');
    await edit.getByLabel('SMTP port').fill('2');
    await edit.getByLabel('Form senders (addresses whose mail is a web form lead)').fill('forms@tilda.test');
    await edit.getByLabel('Enabled', { exact: true }).uncheck();
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('mailbox-form').waitFor({ state: 'detached' });
    const after = await hub.request({ url: `/api/mailboxes/${created.id}`, token: admin });
    expect(after.body).toMatchObject({ enabled: false, status: 'disabled', formSenders: ['forms@tilda.test'], smtp: { host: '127.0.0.1', port: 2 } });
    expect(JSON.stringify(after.body)).not.toContain('imap-secret');
    await screenshot(page, '23-mailboxes');
    expect(errors).toEqual([]);
    await context.close();
  });
});
