/**
 * The web UI foundation: how the server serves /ui/ (headers, fallback, traversal, redirect), and
 * in Chromium the login-by-token and status pages at phone and desktop widths.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { UI_CSP } from '../../src/api/ui/index.js';
import { startBrowserHarness, uiSkipReason, type BrowserHarness } from '../helpers/browser.js';
import { httpRequest } from '../helpers/server.js';

const skip = uiSkipReason();

describe('web UI foundation', { skip }, () => {
  let ui: BrowserHarness;
  before(async () => {
    ui = await startBrowserHarness();
  });
  after(async () => {
    await ui?.close();
  });
  const get = (path: string, method = 'GET') => httpRequest(ui.server.url, method, path, { token: null });

  it('serves the app with a strict CSP and the anti-framing headers', async () => {
    const res = await get('/ui/');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type']!, /^text\/html/);
    assert.equal(res.headers['content-security-policy'], UI_CSP);
    assert.match(UI_CSP, /script-src 'self';/);
    assert.match(UI_CSP, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['cache-control'], 'no-store');
    // No inline script or style: everything the CSP needs is a same-origin file.
    assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(res.text, /<style|\sstyle=/);

    const asset = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(res.text)?.[1];
    assert.ok(asset, 'index.html loads a hashed script');
    const js = await get(asset);
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type']!, /^text\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['content-security-policy'], UI_CSP);

    const head = await get(asset, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-length'], js.headers['content-length']);
  });

  it('keeps the initial JavaScript within 300 KB gzipped', async () => {
    const html = (await get('/ui/')).text;
    const scripts = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(scripts.length > 0);
    let total = 0;
    for (const src of scripts) total += gzipSync(Buffer.from((await get(src)).text)).length;
    assert.ok(total <= 300 * 1024, `initial JS is ${Math.round(total / 1024)} KB gzipped (budget 300 KB)`);
  });

  it('falls back to the app for client routes, 404s missing assets, and redirects / to /ui/', async () => {
    const route = await get('/ui/secrets/app');
    assert.equal(route.status, 200);
    assert.match(route.text, /<div id="root">/);
    const missing = await get('/ui/assets/nope-123.js');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-security-policy'], UI_CSP);
    for (const path of ['/', '/ui']) {
      const res = await get(path);
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.location, '/ui/');
    }
  });

  it('never serves a file outside dist/ui', async () => {
    for (const path of ['/ui/../../etc/passwd', '/ui/..%2f..%2fetc%2fpasswd', '/ui/%2e%2e/%2e%2e/etc/passwd', '/ui/assets/..%5c..%5cpackage.json', '/ui/..%2fpackage.json', '/ui/%2e%2e%2f%2e%2e%2fpackage.json', '/ui/a%00.js']) {
      const res = await get(path);
      assert.equal(res.status, 404, `${path}: ${res.status}`);
      assert.doesNotMatch(res.text, /root:|"name": "coffer"/, path);
    }
  });

  it('logs in with the root token and shows the status page, at 390 px and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await ui.newPage({ width });
      await page.goto(ui.uiUrl);
      // Not logged in: `/` goes to the login page.
      await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
      await ui.checkA11y(page);
      await ui.screenshot(page, `foundation-login-${width}`);
      await ui.login(page);
      await page.getByRole('heading', { name: 'Server status' }).waitFor();
      const facts = page.locator('dl.facts');
      await facts.waitFor();
      assert.match(await facts.innerText(), /unsealed/);
      assert.equal(await page.locator('.app-header .badge').innerText(), 'Unsealed');
      // The token is in no URL and not in localStorage.
      assert.doesNotMatch(page.url(), new RegExp(ui.server.rootToken));
      assert.equal(await page.evaluate(() => window.localStorage.length), 0);
      await ui.checkA11y(page);
      await ui.screenshot(page, `foundation-status-${width}`);
      ui.assertNoPageErrors(page);
    }
  });

  it('refuses a wrong token with a clear message and keeps nothing', async () => {
    // Chromium logs the refused lookup-self (403) as a console error: expected here.
    const page = await ui.newPage({ width: 390, allowConsoleErrors: [/status of 403/] });
    await page.goto(`${ui.uiUrl}#/login`);
    await page.getByLabel('Token', { exact: true }).fill('hvs.not-a-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /The server refused this token: it is unknown, expired or revoked/);
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0);
    assert.equal(await page.evaluate(() => window.sessionStorage.length + window.localStorage.length), 0);
    await ui.checkA11y(page);
    ui.assertNoPageErrors(page);
  });
});
