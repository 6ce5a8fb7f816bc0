import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = join(__dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');

/**
 * Builds the admin UI as `npm run build` does, into a folder of this test run's own (the start-up
 * test may be rebuilding dist/admin in the other jest worker); returns the folder.
 */
export function buildAdminUi(): string {
  const outDir = mkdtempSync(join(tmpdir(), 'leadline-admin-ui-'));
  const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
  const res = spawnSync(process.execPath, [vite, 'build', '--config', join(ROOT, 'apps/admin/vite.config.mts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  });
  if (res.status !== 0) throw new Error(`admin UI build failed:\n${res.stdout}\n${res.stderr}`);
  return outDir;
}

/** Debian's Chromium, headless, with nothing talking to the network besides the page. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** Writes a screenshot into test-artifacts/browser (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Errors the page reported: uncaught exceptions and console errors (CSP violations show up there).
 * Failed HTTP responses are left out: the UI expects some (401 before login, 404 for a feature this
 * hub does not have) and handles them.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  return errors;
}
