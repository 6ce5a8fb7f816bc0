import { SlaService } from '@leadline/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { nextPhone, onlyAvailable, postLead, raiseFormRateLimit } from '../http/http-helpers';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestHub } from '../support/test-hub';
import { buildAdminUi, collectPageErrors, launchChromium, screenshot } from './browser-support';

jest.setTimeout(180_000);

const DESKTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };

/**
 * The inbox as a callback cockpit, in a real Chromium against a real hub (outbox worker on, so notices
 * and the inbox ping reach the page over server-sent events), at desktop and phone widths, en and ru.
 */
describe('callback cockpit in the browser', () => {
  let hub: TestHub;
  let base: string;
  let browser: Browser;
  let uiDir: string;
  let mira: { id: string; token: string; email: string };
  let boris: { id: string; token: string; email: string };
  let adminId: string;

  beforeAll(async () => {
    uiDir = buildAdminUi();
    hub = await TestHub.start({ OUTBOX_WORKER: 'true', OUTBOX_POLL_MS: '100' }, undefined, { adminUiDir: uiDir });
    base = await hub.listen();
    await raiseFormRateLimit(hub);
    mira = await hub.createManager({ name: 'Mira Manager' });
    boris = await hub.createManager({ name: 'Boris Manager' });
    await onlyAvailable(hub, [mira.id, boris.id], mira.id);
    [{ id: adminId }] = await hub.query(`SELECT id FROM manager WHERE email = $1`, [ADMIN_EMAIL]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    if (uiDir) rmSync(uiDir, { recursive: true, force: true });
  });

  async function open(email: string, password: string, viewport: { width: number; height: number }, lang: 'en' | 'ru'): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport, locale: lang === 'ru' ? 'ru-RU' : 'en-US', hasTouch: viewport.width < 500 });
    // Counts permission requests: the page must not ask for notifications on load.
    await context.addInitScript(() => {
      const w = globalThis as unknown as { __asked: number; Notification?: { requestPermission: () => Promise<string> } };
      w.__asked = 0;
      if (w.Notification) {
        const original = w.Notification.requestPermission.bind(w.Notification);
        w.Notification.requestPermission = () => {
          w.__asked++;
          return original();
        };
      }
    });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/admin/`);
    await page.locator('input[type=email]').fill(email);
    await page.locator('input[type=password]').fill(password);
    await page.locator('button[type=submit]').click();
    await page.getByTestId('bell').waitFor();
    return { context, page, errors };
  }

  /** Polls `check` until it holds (10 s at most): for effects the page causes through the API. */
  async function until(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not reached within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Nothing sticks out sideways, and every button, select and link-button is at least 44 px tall (phones). */
  async function expectPhoneFriendly(page: Page): Promise<void> {
    const layout = await page.evaluate(() => {
      const d = (globalThis as any).document;
      const small = [...d.querySelectorAll('main button, main select, main a.button-link, header button, header select')]
        .filter((el: any) => el.offsetParent !== null)
        .map((el: any) => ({ text: (el.textContent || el.getAttribute('aria-label') || el.tagName).trim().slice(0, 30), h: el.getBoundingClientRect().height }))
        .filter((x: { h: number }) => x.h < 44);
      return { overflow: d.documentElement.scrollWidth - d.documentElement.clientWidth, small };
    });
    expect(layout.overflow).toBeLessThanOrEqual(0);
    expect(layout.small).toEqual([]);
  }

  it('a manager’s lead row has everything to act on; Done with a result reaches the task, the timeline and the report data (en, desktop)', async () => {
    const { context, page, errors } = await open(mira.email, 'manager-pass-1', DESKTOP, 'en');
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    expect(await page.evaluate(() => (globalThis as any).__asked)).toBe(0);
    const phone = nextPhone();
    const lead = await postLead(hub, {
      name: 'Zarina Formova',
      phone: phone.typed,
      message: 'Need 40 chairs for the new office in Samarkand, delivered before Friday if possible; please call after lunch',
      utm_source: 'google',
      utm_medium: 'cpc',
    });
    const row = page.getByTestId('my-leads').locator(`[data-deal-id="${lead.dealId}"]`);
    await row.waitFor({ timeout: 10_000 });
    // The international format of the number's country (libphonenumber's grouping), not the typed or E.164 form.
    expect(await row.getByTestId('lead-phone').textContent()).toMatch(/^\+7 912 \d{3} \d{2} \d{2}$/);
    expect(await row.textContent()).toContain('Web form · google / cpc');
    expect(await row.getByTestId('lead-excerpt').textContent()).toContain('Need 40 chairs');
    const countdown = row.getByTestId('countdown');
    expect(await countdown.getAttribute('data-overdue')).toBe('false');
    const first = await countdown.textContent();
    expect(first).toMatch(/^call back in 1[45]:\d\d$/);
    await page.waitForFunction((before) => (globalThis as any).document.querySelector('[data-testid=my-leads] [data-testid=countdown]')?.textContent !== before, first);
    expect(await page.title()).toMatch(/^\(\d+\) Leadline$/);

    // Telephony is off on this hub: the call is the phone's own dialler, no request that would 409.
    expect(await row.getByTestId('call-link').getAttribute('href')).toBe(`tel:${phone.e164}`);
    expect(await row.getByTestId('call-button').count()).toBe(0);
    await screenshot(page, 'cockpit-01-manager-desktop-en');

    await row.getByTestId('complete-task').click();
    const dialog = page.getByTestId('result-dialog');
    await dialog.waitFor();
    // The dialog keeps focus: Tab never leaves it.
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!(globalThis as any).document.activeElement?.closest('[role=dialog]'))).toBe(true);
    }
    await screenshot(page, 'cockpit-02-result-dialog');
    await dialog.getByRole('button', { name: 'No answer' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await hub.query(`SELECT status, result, completed_by_id FROM task WHERE id = $1`, [lead.taskId])).toEqual([{ status: 'done', result: 'no_answer', completed_by_id: mira.id }]);
    const [done] = await hub.query(`SELECT payload FROM activity WHERE kind = 'task_done' AND payload->>'taskId' = $1`, [lead.taskId]);
    expect(done.payload.result).toBe('no_answer');
    const tasks = await hub.request({ url: `/api/tasks?status=done&contactId=${lead.contactId}`, token: mira.token });
    expect(tasks.body.map((t: { result: string }) => t.result)).toEqual(['no_answer']);

    await page.goto(`${base}/admin/contacts/${lead.contactId}`);
    await page.locator('[data-kind="task_done"]').getByTestId('task-result').filter({ hasText: 'No answer' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the result dialog keeps focus while the live inbox re-sorts the row that opened it, and takes it back when it drops; callbacks done elsewhere leave the inbox live (en, desktop)', async () => {
    const { context, page, errors } = await open(mira.email, 'manager-pass-1', DESKTOP, 'en');
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    const [first, second, third] = [
      await postLead(hub, { name: 'Focus First', phone: nextPhone().typed, message: 'first' }),
      await postLead(hub, { name: 'Focus Second', phone: nextPhone().typed, message: 'second' }),
      await postLead(hub, { name: 'Focus Third', phone: nextPhone().typed, message: 'third' }),
    ];
    const order = () => page.getByTestId('my-leads').locator('[data-deal-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-deal-id')));
    await until(async () => JSON.stringify(await order()) === JSON.stringify([first.dealId, second.dealId, third.dealId]));

    await page.getByTestId('my-leads').locator(`[data-deal-id="${first.dealId}"]`).getByTestId('complete-task').click();
    await page.getByTestId('result-dialog').waitFor();
    const focusInDialog = () => page.evaluate(() => !!(globalThis as any).document.activeElement?.closest('[role=dialog]'));
    expect(await focusInDialog()).toBe(true);
    // The same callback is put off elsewhere (the bot, another tab) while this dialog is open: the open
    // inbox is pinged and reads the lists again, and the row moves to the end under the dialog.
    const snoozed = await hub.request({ method: 'POST', url: `/api/tasks/${first.taskId}/snooze`, token: mira.token, body: { until: new Date(Date.now() + 30 * 60_000).toISOString() } });
    expect(snoozed.status).toBe(200);
    await until(async () => JSON.stringify(await order()) === JSON.stringify([second.dealId, third.dealId, first.dealId]));
    expect(await focusInDialog()).toBe(true);
    // Focus dropped to the page behind (what a removed or re-created focused node leaves): the next Tab,
    // forwards or back, lands in the dialog again, never on the page behind it.
    for (const key of ['Tab', 'Shift+Tab']) {
      await page.evaluate(() => (globalThis as any).document.activeElement?.blur());
      expect(await page.evaluate(() => (globalThis as any).document.activeElement?.tagName)).toBe('BODY');
      await page.keyboard.press(key);
      expect(await focusInDialog()).toBe(true);
    }
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      expect(await focusInDialog()).toBe(true);
    }
    // The dialog still answers for the row that opened it.
    await page.getByTestId('result-dialog').getByRole('button', { name: 'Reached' }).click();
    await until(async () => (await hub.query(`SELECT status FROM task WHERE id = $1`, [first.taskId]))[0].status === 'done');
    expect(await hub.query(`SELECT result FROM task WHERE id = $1`, [first.taskId])).toEqual([{ result: 'reached' }]);

    // Callbacks done elsewhere leave this inbox live, well inside its 60-second background refresh.
    for (const lead of [second, third]) {
      const done = await hub.request({ method: 'POST', url: `/api/tasks/${lead.taskId}/complete`, token: mira.token, body: { result: 'reached' } });
      expect(done.status).toBe(200);
      await page.getByTestId('my-leads').locator(`[data-deal-id="${lead.dealId}"]`).waitFor({ state: 'detached', timeout: 5_000 });
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the unassigned queue is live for managers, with the count in the tab title; Take moves it to my leads (ru, phone)', async () => {
    const { context, page, errors } = await open(mira.email, 'manager-pass-1', PHONE, 'ru');
    await page.getByRole('heading', { name: 'Входящие' }).waitFor();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=queue], [data-testid=my-leads], main p.muted'));
    const titleBefore = await page.title();
    await onlyAvailable(hub, [mira.id, boris.id], null);
    const posted = Date.now();
    const lead = await postLead(hub, { name: 'Очередной Клиент', phone: nextPhone().typed, message: 'Перезвоните, пожалуйста, по поводу доставки' });
    const row = page.getByTestId('queue').locator(`[data-deal-id="${lead.dealId}"]`);
    // The manager got no notice of it (admins did): the inbox ping carried it.
    await row.waitFor({ timeout: 5_000 });
    expect(Date.now() - posted).toBeLessThan(4_000);
    expect(await hub.query(`SELECT count(*)::int AS n FROM notification WHERE manager_id = $1 AND payload->>'dealId' = $2`, [mira.id, lead.dealId])).toEqual([{ n: 0 }]);
    await page.waitForFunction((before) => (globalThis as any).document.title !== before, titleBefore);
    expect(await page.title()).toMatch(/^\(\d+\) Leadline$/);
    expect(await row.getByTestId('countdown').textContent()).toMatch(/^перезвонить через \d+:\d\d$/);
    expect(await row.textContent()).toContain('Веб-форма');
    await expectPhoneFriendly(page);
    await screenshot(page, 'cockpit-03-queue-phone-ru');

    // The compact menu opens the navigation on a phone.
    await page.getByTestId('menu-button').click();
    await page.getByRole('link', { name: 'Задачи' }).waitFor();
    await page.getByTestId('menu-button').click();

    await row.getByRole('button', { name: 'Взять' }).click();
    await page.getByTestId('my-leads').locator(`[data-deal-id="${lead.dealId}"]`).waitFor();
    expect(await hub.query(`SELECT owner_id FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ owner_id: mira.id }]);
    await onlyAvailable(hub, [mira.id, boris.id], mira.id);
    expect(errors).toEqual([]);
    await context.close();
  });

  describe('an admin', () => {
    let late: { dealId: string; taskId: string; contactId: string };
    let own: { dealId: string; contactId: string };

    beforeAll(async () => {
      await onlyAvailable(hub, [mira.id, boris.id], boris.id);
      late = await postLead(hub, { name: 'Oleg Overdue-Longname Konstantinopolsky', phone: nextPhone().typed, message: 'Still waiting for a call' });
      own = await postLead(hub, { name: 'Anna Adminova', phone: nextPhone().typed, message: 'Wants the owner to call' });
      const admin = await hub.adminToken();
      const res = await hub.request({ method: 'POST', url: `/api/contacts/${own.contactId}/owner`, token: admin, body: { managerId: adminId } });
      expect(res.status).toBe(200);
      // Twenty minutes later Boris has not called: the SLA marks the task overdue and tells the admins.
      hub.clock.advanceMinutes(20);
      await hub.app.get(SlaService).tick();
    });
    afterAll(() => hub.clock.useRealTime());

    for (const [lang, viewport, name] of [
      ['en', DESKTOP, 'desktop-en'],
      ['ru', PHONE, 'phone-ru'],
    ] as const) {
      it(`sees who is late and their own leads (${name})`, async () => {
        const { context, page, errors } = await open(ADMIN_EMAIL, ADMIN_PASSWORD, viewport, lang);
        const overdueRow = page.getByTestId('overdue').locator(`[data-deal-id="${late.dealId}"]`);
        await overdueRow.waitFor();
        expect(await overdueRow.getByTestId('lead-owner').textContent()).toBe(lang === 'en' ? 'Late: Boris Manager' : 'Опаздывает: Boris Manager');
        const countdown = overdueRow.getByTestId('countdown');
        expect(await countdown.getAttribute('data-overdue')).toBe('true');
        expect(await countdown.textContent()).toMatch(lang === 'en' ? /^overdue \d+:\d\d$/ : /^просрочено на \d+:\d\d$/);
        // Red: the danger colour, not the default text colour.
        expect(await countdown.evaluate((el) => (globalThis as any).getComputedStyle(el).color)).toBe('rgb(180, 35, 24)');
        // The name gets room: never squeezed to a few letters per line.
        const nameBox = await overdueRow.locator('.lead-name').boundingBox();
        expect(nameBox!.width).toBeGreaterThan(120);
        // "My leads" is what the admin owns.
        await page.getByTestId('my-leads').locator(`[data-deal-id="${own.dealId}"]`).waitFor();
        if (viewport === PHONE) await expectPhoneFriendly(page);
        await screenshot(page, `cockpit-04-admin-${name}`);

        // Notices in the viewer's language, marked read in one request.
        await page.getByTestId('unread-badge').waitFor();
        await page.getByTestId('bell').click();
        const notices = page.getByTestId('notices');
        await notices.getByTestId('notice').first().waitFor();
        const texts = await notices.getByTestId('notice').allTextContents();
        expect(texts.some((t) => t.includes(lang === 'en' ? 'Boris Manager is late to call back Oleg' : 'Boris Manager опаздывает перезвонить Oleg'))).toBe(true);
        await screenshot(page, `cockpit-05-notices-${name}`);
        const reads: string[] = [];
        page.on('request', (r) => {
          if (r.url().includes('/api/notifications/') && r.method() === 'POST') reads.push(r.url());
        });
        await notices.getByTestId('mark-all-read').click();
        await page.getByTestId('unread-badge').waitFor({ state: 'detached' });
        expect(reads).toEqual([`${base}/api/notifications/read`]);
        expect(await hub.query(`SELECT count(*)::int AS n FROM notification WHERE manager_id = $1 AND read_at IS NULL`, [adminId])).toEqual([{ n: 0 }]);
        expect(await notices.locator('[data-unread=true]').count()).toBe(0);

        // Desktop notices: asked for only from the visible switch (headless Chromium answers "denied" until granted).
        expect(await page.evaluate(() => (globalThis as any).__asked)).toBe(0);
        await notices.getByTestId('desktop-toggle').click();
        await page.waitForFunction(() => (globalThis as any).__asked === 1);
        await context.grantPermissions(['notifications'], { origin: base });
        await notices.getByTestId('desktop-toggle').click();
        await page.waitForFunction(() => (globalThis as any).localStorage.getItem('leadline.desktopNotices') === 'on');
        expect(await notices.getByTestId('desktop-toggle').isChecked()).toBe(true);
        await page.keyboard.press('Escape');
        await notices.waitFor({ state: 'detached' });
        await hub.query(`UPDATE notification SET read_at = NULL WHERE manager_id = $1`, [adminId]);
        expect(errors).toEqual([]);
        await context.close();
      });
    }
  });

  it('shows the focus ring with at least 3:1 contrast against the page', async () => {
    const { context, page } = await open(mira.email, 'manager-pass-1', DESKTOP, 'en');
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const color = await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.activeElement).outlineColor);
    const [r, g, b] = color.match(/\d+/g)!.map(Number);
    const lum = (c: number) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    const l = 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b);
    // Against white (cards, top bar) and the page background (#f5f6f8, a little darker: checked via white - 0.04).
    expect(1.05 / (l + 0.05)).toBeGreaterThanOrEqual(3);
    expect((0.91 + 0.05) / (l + 0.05)).toBeGreaterThanOrEqual(3);
    await context.close();
  });

  it('contact page: tasks, stage with a lost reason from the list, reopen only after a confirmation, amount on the board; only channels that deliver (ru, phone)', async () => {
    const admin = await hub.adminToken();
    expect((await hub.request({ method: 'POST', url: '/api/lost-reasons', token: admin, body: { label: 'Дорого' } })).status).toBe(201);
    await onlyAvailable(hub, [mira.id, boris.id], mira.id);
    const lead = await postLead(hub, { name: 'Карина Контактова', phone: nextPhone().typed, email: 'karina@example.com', message: 'Нужен счёт', city: 'Казань', utm_source: 'yandex', empty_field: '' });
    const { context, page, errors } = await open(mira.email, 'manager-pass-1', PHONE, 'ru');
    await page.goto(`${base}/admin/contacts/${lead.contactId}`);
    await page.getByTestId('contact-name').waitFor();

    // Form fields under labels in the reader's language; the empty one is not shown.
    const fields = await page.getByTestId('lead-fields').textContent();
    expect(fields).toContain('Город');
    expect(fields).toContain('Источник рекламы');
    expect(fields).not.toContain('utm_source');
    expect(fields).not.toContain('empty_field');

    // No mailbox can send here and Telegram is off: email is not offered for this email contact.
    await page.getByTestId('composer').getByRole('tab', { name: 'Ответ' }).click();
    await page.getByTestId('composer').getByText('почтовый ящик с SMTP', { exact: false }).waitFor();
    expect(await page.getByTestId('composer').locator('select').count()).toBe(0);

    // The open callback task, completed from the contact page with a result.
    const task = page.getByTestId('contact-tasks').locator(`[data-task-id="${lead.taskId}"]`);
    await task.waitFor();
    expect(await task.textContent()).toContain('Перезвонить: Карина Контактова');
    await task.getByTestId('complete-task').click();
    await page.getByTestId('result-dialog').getByRole('button', { name: 'Дозвонился' }).click();
    await task.waitFor({ state: 'detached' });
    expect(await hub.query(`SELECT result FROM task WHERE id = $1`, [lead.taskId])).toEqual([{ result: 'reached' }]);

    // Amount and currency.
    await page.getByTestId('deal-amount-input').fill('125000');
    await page.getByTestId('deal-currency').selectOption('RUB');
    await page.getByTestId('deal-amount-input').press('Enter');
    await page.locator('[data-kind="deal_updated"]').waitFor();
    expect(await hub.query(`SELECT amount, currency FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ amount: '125000.00', currency: 'RUB' }]);

    // Lost: the reason from the admin's list plus a comment.
    await page.getByTestId('stage-select').selectOption('lost');
    await page.getByTestId('lost-reason-choice').selectOption('Дорого');
    await page.getByTestId('lost-reason').fill('нашли дешевле');
    await page.getByRole('dialog').getByRole('button', { name: 'Сохранить' }).click();
    await page.locator('[data-kind="stage_changed"]').first().waitFor();
    expect(await hub.query(`SELECT stage, lost_reason FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ stage: 'lost', lost_reason: 'Дорого: нашли дешевле' }]);

    // Back to New: asks first; cancelling changes nothing, confirming reopens with a timeline entry.
    await page.getByTestId('stage-select').selectOption('new');
    await page.getByTestId('reopen-dialog').waitFor();
    await page.getByTestId('reopen-dialog').getByRole('button', { name: 'Отмена' }).click();
    expect(await hub.query(`SELECT stage FROM deal WHERE id = $1`, [lead.dealId])).toEqual([{ stage: 'lost' }]);
    await page.getByTestId('stage-select').selectOption('new');
    await page.getByTestId('reopen-dialog').getByRole('button', { name: 'Открыть снова' }).click();
    await until(async () => (await hub.query(`SELECT closed_at FROM deal WHERE id = $1`, [lead.dealId]))[0].closed_at === null);
    const moves = await hub.query(`SELECT payload, occurred_at FROM activity WHERE deal_id = $1 AND kind = 'stage_changed' ORDER BY occurred_at, created_at`, [lead.dealId]);
    expect(moves.map((m: { payload: Record<string, unknown> }) => m.payload)).toEqual([
      { from: 'new', to: 'lost', lostReason: 'Дорого: нашли дешевле' },
      { from: 'lost', to: 'new', reopened: true },
    ]);

    // Timeline filter: only tasks.
    await page.getByTestId('timeline-filter').getByRole('button', { name: 'Задачи' }).click();
    const kinds = await page.locator('[data-testid=timeline] [data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.every((k) => String(k).startsWith('task_'))).toBe(true);
    await expectPhoneFriendly(page);
    await screenshot(page, 'cockpit-06-contact-phone-ru');

    // The board shows the amount and the stage sum.
    await page.goto(`${base}/admin/deals`);
    const card = page.locator(`[data-deal-id="${lead.dealId}"]`);
    await card.waitFor();
    expect((await card.getByTestId('deal-amount').textContent())!.replace(/\s/g, ' ')).toBe('125 000 ₽');
    expect((await page.getByTestId('column-new').getByTestId('stage-sum').textContent())!.replace(/\s/g, ' ')).toContain('125 000 ₽');
    await page.getByTestId('deal-search').fill('Карина');
    expect(await page.locator('[data-testid=deal-card]').count()).toBe(1);
    await screenshot(page, 'cockpit-07-board-phone-ru');

    // The Tasks page on a phone: titles get a line of their own, never a letter per line.
    await page.goto(`${base}/admin/tasks`);
    const title = page.getByTestId('task').first().locator('.task-title');
    await title.waitFor();
    expect((await title.boundingBox())!.width).toBeGreaterThan(120);
    await expectPhoneFriendly(page);
    await screenshot(page, 'cockpit-11-tasks-phone-ru');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a failed message shows why and is sent again on request (en, desktop)', async () => {
    const lead = await postLead(hub, { name: 'Failed Fiona', phone: nextPhone().typed, email: 'fiona@example.com' });
    const [outbox] = await hub.query(`INSERT INTO outbox (kind, payload, status, attempts, last_error) VALUES ('message.send', '{"channel":"email"}'::jsonb, 'dead', 8, 'SMTP 550 mailbox unavailable') RETURNING id`);
    await hub.query(
      `INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload)
       VALUES ($1, $2, 'message_out', 'email', $3, now(), $4::jsonb)`,
      [lead.contactId, lead.dealId, mira.id, JSON.stringify({ text: 'Your invoice', to: 'fiona@example.com', status: 'failed', outboxId: outbox.id, error: 'SMTP 550 mailbox unavailable' })],
    );
    const { context, page, errors } = await open(mira.email, 'manager-pass-1', DESKTOP, 'en');
    await page.goto(`${base}/admin/contacts/${lead.contactId}`);
    const failed = page.getByTestId('message-failed');
    await failed.waitFor();
    expect(await failed.textContent()).toContain('Not delivered: SMTP 550 mailbox unavailable');
    await failed.getByRole('button', { name: 'Send again' }).click();
    await page.getByTestId('message-status').filter({ hasText: 'queued' }).waitFor();
    // Back in the outbox with a fresh budget (the worker may already be trying it).
    const [row] = await hub.query(`SELECT status, attempts FROM outbox WHERE id = $1`, [outbox.id]);
    expect(row.status).not.toBe('dead');
    expect(row.attempts).toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('settings: every channel with how to turn it on; a manager’s timezone, a readable shift error, reset password ends their sessions (en, desktop)', async () => {
    const { context, page, errors } = await open(ADMIN_EMAIL, ADMIN_PASSWORD, DESKTOP, 'en');
    await page.goto(`${base}/admin/settings/channels`);
    const phone = page.getByTestId('channel-availability').locator('[data-channel=phone]');
    await phone.waitFor();
    expect(await phone.textContent()).toContain('off');
    expect(await phone.getByTestId('how-to-enable').textContent()).toContain('TWILIO_ACCOUNT_SID');
    expect(await page.getByTestId('channel-availability').locator('[data-channel=web_form]').textContent()).toContain('on');
    await screenshot(page, 'cockpit-08-channels');

    await page.goto(`${base}/admin/settings/managers`);
    const card = page.locator(`[data-manager-id="${boris.id}"]`);
    await card.waitFor();
    const tz = card.getByLabel('Timezone').first();
    await tz.fill('Europe/Moscow');
    await tz.press('Enter');
    await until(async () => (await hub.query(`SELECT timezone FROM manager WHERE id = $1`, [boris.id]))[0].timezone === 'Europe/Moscow');
    const shift = card.getByRole('textbox', { name: 'Shift (weekly)' });
    await shift.fill('weekdays 9 to 6');
    await shift.press('Enter');
    expect(await page.getByTestId('manager-error').textContent()).toContain('Shift: use days and hours like');
    await card.getByRole('textbox', { name: 'Email' }).fill(mira.email);
    await card.getByRole('textbox', { name: 'Email' }).press('Enter');
    await page.getByTestId('manager-error').filter({ hasText: 'Another manager already has this email.' }).waitFor();

    expect((await hub.request({ url: '/api/auth/me', token: boris.token })).status).toBe(200);
    await card.getByTestId('reset-password').click();
    await page.getByTestId('password-dialog').getByLabel('New password').fill('brand-new-pass-2');
    await page.getByTestId('password-dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('password-dialog').waitFor({ state: 'detached' });
    expect((await hub.request({ url: '/api/auth/me', token: boris.token })).status).toBe(401);
    boris.token = await hub.login(boris.email, 'brand-new-pass-2');
    await screenshot(page, 'cockpit-09-managers');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('imports a CSV through the wizard: suggested mapping, per-row dry run, import, result (ru, desktop)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadline-import-'));
    const file = join(dir, 'clients.csv');
    writeFileSync(file, 'Имя;Телефон;Email\nИмпорт Первый;+7 913 100-00-01;first@example.com\nИмпорт Второй;not a phone;\n', 'utf8');
    const { context, page, errors } = await open(ADMIN_EMAIL, ADMIN_PASSWORD, DESKTOP, 'ru');
    await page.goto(`${base}/admin/settings/import`);
    await page.getByTestId('import-file').setInputFiles(file);
    const mapping = page.getByTestId('import-mapping');
    await mapping.waitFor();
    expect(await mapping.getByRole('combobox', { name: 'Импортировать как: Телефон' }).inputValue()).toBe('phone');
    await page.getByTestId('import-preview').click();
    const rows = page.getByTestId('import-rows');
    await rows.waitFor();
    expect(await rows.locator('[data-outcome=created]').count()).toBe(1);
    expect(await rows.locator('[data-outcome=skipped]').count()).toBe(1);
    expect(await hub.query(`SELECT count(*)::int AS n FROM contact WHERE name = 'Импорт Первый'`)).toEqual([{ n: 0 }]);
    await screenshot(page, 'cockpit-10-import-preview');
    await page.getByTestId('import-run').click();
    await page.getByTestId('import-result').waitFor();
    expect(await hub.query(`SELECT count(*)::int AS n FROM contact WHERE name = 'Импорт Первый'`)).toEqual([{ n: 1 }]);
    expect(errors).toEqual([]);
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

