/**
 * The web UI on a non-dev server (SQLite in a temp dir, started uninitialised from a config
 * file): initialise in the browser, save the shares, unseal with the threshold of them (progress
 * visible, a bad share refused), log in with the root token. Also at 390 px.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { runServer, type RunningServer } from '../../src/server/run.js';
import { startBrowserHarness, uiSkipReason, type BrowserHarness } from '../helpers/browser.js';
import { httpRequest } from '../helpers/server.js';

describe('web UI: init, unseal and first login on a new server', { skip: uiSkipReason() }, () => {
  let ui: BrowserHarness;
  let server: RunningServer;
  let dir: string;
  let uiUrl: string;

  before(async () => {
    ui = await startBrowserHarness();
    dir = mkdtempSync(join(tmpdir(), 'coffer-ui-init-'));
    const config = join(dir, 'coffer.hcl');
    writeFileSync(config, `storage "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
    server = await runServer({ config, quiet: true, logLevel: 'silent' });
    uiUrl = `${server.url}/ui/`;
  });
  after(async () => {
    // The browser first: its pages poll the server, and a poll refused by a stopped server is a page error.
    await ui?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const status = async () => (await httpRequest(server.url, 'GET', '/v1/sys/seal-status', { token: null })).body as { initialized: boolean; sealed: boolean; progress: number; storage_type: string };
  const progressText = (page: Page) => page.locator('.unseal-progress').innerText();

  let keys: string[] = [];
  let rootToken = '';

  it('sends a new server to the init page, validates the numbers, and shows the shares once with a download', async () => {
    // A phone-width look first, while the server is still new.
    const phone = await ui.newPage({ width: 390 });
    await phone.goto(`${uiUrl}#/engines`);
    await phone.getByRole('heading', { name: 'Initialise the server' }).waitFor();
    await ui.checkA11y(phone);
    await ui.screenshot(phone, 'init-form-390');
    ui.assertNoPageErrors(phone);

    const page = await ui.newPage();
    await page.goto(uiUrl);
    await page.getByRole('heading', { name: 'Initialise the server' }).waitFor();
    await page.getByLabel('Key shares').fill('3');
    await page.getByLabel('Key threshold').fill('4');
    await page.getByText('Key threshold cannot be more than the number of shares (3).').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Initialise' }).isDisabled(), true);
    await page.getByLabel('Key threshold').fill('2');
    await ui.checkA11y(page);
    await page.getByRole('button', { name: 'Initialise' }).click();

    await page.getByRole('heading', { name: 'Server initialised' }).waitFor();
    assert.match(await page.getByRole('alert').innerText(), /not shown again/);
    keys = await page.locator('code[aria-label^="Unseal key share"]').allInnerTexts();
    rootToken = await page.locator('code[aria-label="Initial root token"]').innerText();
    assert.equal(keys.length, 3);
    assert.match(rootToken, /\S{20,}/);
    assert.deepEqual(await status().then((s) => [s.initialized, s.sealed]), [true, true]);

    // The download is made in the page (a Blob), with the same shares and token.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download as JSON' }).click()]);
    assert.equal(download.suggestedFilename(), 'coffer-init.json');
    const saved = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { unseal_keys_b64: string[]; root_token: string; unseal_threshold: number };
    assert.deepEqual(saved.unseal_keys_b64, keys);
    assert.equal(saved.root_token, rootToken);
    assert.equal(saved.unseal_threshold, 2);
    const [text] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download as text' }).click()]);
    assert.match(readFileSync((await text.path())!, 'utf8'), new RegExp(`Unseal Key 3: ${keys[2]!.replace(/[+/=]/g, '\\$&')}`));

    // Copy buttons put the value on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.getByRole('button', { name: 'Copy key share 2' }).click();
    await page.getByText('Copied').first().waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), keys[1]);

    await ui.checkA11y(page);
    await ui.screenshot(page, 'init-done');
    const next = page.getByRole('button', { name: 'Continue to unseal' });
    assert.equal(await next.isDisabled(), true, 'moving on needs the "saved" box ticked');
    await page.getByLabel('I have saved the key shares and the root token somewhere safe').check();
    await next.click();
    await page.getByRole('heading', { name: 'Unseal the server' }).waitFor();
    // The shares are gone from the page once it moved on.
    assert.doesNotMatch(await page.content(), new RegExp(keys[0]!.replace(/[+/=]/g, '\\$&')));
    ui.assertNoPageErrors(page);
    await page.close();
  });

  it('unseals with the threshold of shares, showing progress, refusing a bad share, resetting', async () => {
    assert.ok(keys.length === 3, 'the init test ran');
    // A malformed share is answered 400, which Chromium logs.
    const page = await ui.newPage({ allowConsoleErrors: [/status of 400/] });
    await page.goto(`${uiUrl}#/login`);
    await page.getByRole('heading', { name: 'Unseal the server' }).waitFor();
    assert.match(await progressText(page), /0 of 2/);
    const input = page.getByLabel('Unseal key share');
    assert.equal(await input.getAttribute('type'), 'password', 'the share is masked');

    await input.fill('this-is-not-a-key');
    await page.getByRole('button', { name: 'Submit key share' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /must be a valid hex or base64 string/);

    await input.fill(keys[0]!);
    await page.getByRole('button', { name: 'Submit key share' }).click();
    await page.getByText('1 of 2').waitFor();
    assert.equal((await status()).progress, 1);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'unseal-progress');
    await page.getByRole('button', { name: 'Reset progress' }).click();
    await page.getByText('0 of 2').waitFor();
    assert.equal((await status()).progress, 0);

    await input.fill(keys[2]!);
    await page.getByRole('button', { name: 'Submit key share' }).click();
    await page.getByText('1 of 2').waitFor();
    await input.fill(keys[1]!);
    await page.getByRole('button', { name: 'Submit key share' }).click();
    await page.getByText('The server is unsealed.').waitFor();
    assert.equal((await status()).sealed, false);

    // On to the login page, then in with the root token.
    await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor({ timeout: 10_000 });
    await page.getByLabel('Token', { exact: true }).fill(rootToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Server status' }).waitFor();
    const facts = await page.locator('dl.facts').innerText();
    assert.match(facts, /unsealed/);
    assert.match(facts, /sqlite/);
    assert.equal(await page.locator('.app-header .badge').innerText(), 'Unsealed');
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
    await ui.checkA11y(page);
    await ui.screenshot(page, 'init-status-after-login');
    ui.assertNoPageErrors(page);
    await page.close();
  });

  it('at 390 px: a sealed server goes to the unseal page, then to login', async () => {
    assert.ok(rootToken, 'the init test ran');
    const sealed = await httpRequest(server.url, 'POST', '/v1/sys/seal', { token: rootToken });
    assert.equal(sealed.status, 204, sealed.text);
    const page = await ui.newPage({ width: 390 });
    await page.goto(`${uiUrl}#/tokens`);
    await page.getByRole('heading', { name: 'Unseal the server' }).waitFor();
    assert.equal(await page.locator('.app-header .badge').innerText(), 'Sealed');
    await ui.checkA11y(page);
    await ui.screenshot(page, 'unseal-390');
    for (const k of keys.slice(0, 2)) {
      await page.getByLabel('Unseal key share').fill(k);
      await page.getByRole('button', { name: 'Submit key share' }).click();
      await page.getByText(k === keys[0] ? '1 of 2' : 'The server is unsealed.').waitFor();
    }
    await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor({ timeout: 10_000 });
    await page.locator('.app-header .badge', { hasText: 'Unsealed' }).waitFor();
    await ui.checkA11y(page);
    await ui.screenshot(page, 'login-390');
    ui.assertNoPageErrors(page);
  });
});
