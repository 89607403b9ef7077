/**
 * End-to-end harness for the web UI: a real Coffer dev server (in-process, serving the built
 * `dist/ui` at /ui/) and Debian's Chromium driven by playwright-core.
 *
 *   const ui = await startBrowserHarness();           // in before()
 *   const page = await ui.newPage({ width: 390 });
 *   await ui.login(page);                              // root token through the login page
 *   await ui.checkA11y(page);                          // axe-core: no serious/critical violations
 *   await ui.screenshot(page, 'status-390');           // test-results/ui/status-390.png
 *   ui.assertNoPageErrors(page);                       // console errors / uncaught exceptions fail
 *   await ui.close();                                  // in after(); also fails on recorded errors
 *
 * Skips (describe(..., { skip: uiSkipReason() })) when /usr/bin/chromium or dist/ui is missing,
 * except under CI, where the harness fails instead. dist/ui older than ui/ sources is an error
 * telling to run `npm run build:ui` (the harness does not rebuild: parallel test files would race).
 *
 * axe-core is injected with page.evaluate(axe.source): DevTools-protocol evaluation is not
 * subject to the page's CSP, so the strict CSP stays on (no bypassCSP) for everything the test sees.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { createTestServer, type TestServer } from './server.js';

/** The repository root. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const UI_DIST = join(REPO_ROOT, 'dist', 'ui');
const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'ui');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the UI e2e tests cannot run here (a skip reason), or undefined. Under CI never skips. */
export function uiSkipReason(): string | undefined {
  if (process.env.CI) return undefined;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium) — UI browser tests skipped`;
  if (!existsSync(join(UI_DIST, 'index.html'))) return 'dist/ui is not built (run `npm run build`) — UI browser tests skipped';
  return undefined;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    // Component tests and tool caches are not part of the build.
    if (/\.test\.tsx?$/.test(name) || name === 'node_modules') continue;
    const full = join(dir, name);
    const st = statSync(full);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(full) : st.mtimeMs);
  }
  return newest;
}

/** Options of newPage. */
export interface PageOptions {
  /** Viewport width in CSS px (default 1280). */
  width?: number;
  height?: number;
  /** Console errors matching one of these are expected (e.g. /status of 403/ for a refused call the test makes on purpose). */
  allowConsoleErrors?: RegExp[];
}

/** A running server + browser. */
export interface BrowserHarness {
  server: TestServer;
  /** `http://127.0.0.1:<port>/ui/`. */
  uiUrl: string;
  browser: Browser;
  /** A fresh page (own context: no shared sessionStorage) that records console errors and page errors. */
  newPage(opts?: PageOptions): Promise<Page>;
  /** Opens `#<hashPath>` (default the login page) and logs in with `token` (default the root token). */
  login(page: Page, token?: string): Promise<void>;
  /** Runs axe-core on the page: fails on serious or critical violations. */
  checkA11y(page: Page): Promise<void>;
  /** Saves a full-page PNG to test-results/ui/<name>.png and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  /** Fails when the page logged a console error or threw. */
  assertNoPageErrors(page: Page): void;
  /** Closes everything; fails when any page recorded errors not yet asserted. */
  close(): Promise<void>;
}

/** Starts a dev server and Chromium. */
export async function startBrowserHarness(): Promise<BrowserHarness> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
  assert.ok(existsSync(join(UI_DIST, 'index.html')), 'dist/ui is missing: run `npm run build`');
  const built = statSync(join(UI_DIST, 'index.html')).mtimeMs;
  assert.ok(newestMtime(join(REPO_ROOT, 'ui')) <= built + 1000, 'dist/ui is older than the ui/ sources: run `npm run build:ui`');

  const server = await createTestServer();
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
  } catch (err) {
    await server.close();
    throw err;
  }
  const contexts: BrowserContext[] = [];
  const errors = new Map<Page, string[]>();
  const uiUrl = `${server.url}/ui/`;

  const harness: BrowserHarness = {
    server,
    uiUrl,
    browser,
    async newPage(opts = {}) {
      const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const list: string[] = [];
      errors.set(page, list);
      const allowed = opts.allowConsoleErrors ?? [];
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const text = `console error: ${msg.text()} (${msg.location().url})`;
        if (!allowed.some((re) => re.test(text))) list.push(text);
      });
      page.on('pageerror', (err) => list.push(`page error: ${err.message}`));
      return page;
    },
    async login(page, token = server.rootToken) {
      await page.goto(`${uiUrl}#/login`);
      await page.getByLabel('Token', { exact: true }).fill(token);
      await page.getByRole('button', { name: 'Log in' }).click();
      // The header's button: the login page may briefly show its own "Log out" too.
      await page.getByRole('banner').getByRole('button', { name: 'Log out' }).waitFor();
    },
    async checkA11y(page) {
      await page.evaluate(axe.source);
      const result = (await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }))) as axe.AxeResults;
      const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(
        bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        [],
        `axe-core found serious/critical accessibility violations on ${page.url()}`,
      );
    },
    async screenshot(page, name) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    assertNoPageErrors(page) {
      const list = errors.get(page) ?? [];
      const copy = [...list];
      list.length = 0;
      assert.deepEqual(copy, [], `errors in the page ${page.url()}`);
    },
    async close() {
      const left = [...errors.values()].flat();
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.close();
      assert.deepEqual(left, [], 'pages recorded console/page errors that no test asserted');
    },
  };
  return harness;
}

/** Waits (up to 10 s) for a control's title to match: it says "checking permissions…" until the capabilities answer arrives. */
export async function waitForTitle(control: Locator, expected: RegExp, what?: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let title = '';
  while (Date.now() < deadline) {
    title = (await control.getAttribute('title')) ?? '';
    if (expected.test(title)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(title, expected, what);
}
