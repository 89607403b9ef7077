/**
 * The web UI's logins and session: userpass and AppRole (set up through the HTTP API), the token
 * expiry banner and renewal, logging out with and without revoking the token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBrowserHarness, uiSkipReason, type BrowserHarness } from '../helpers/browser.js';

describe('web UI: login methods and the session', { skip: uiSkipReason() }, () => {
  let ui: BrowserHarness;
  let roleId = '';
  let secretId = '';

  before(async () => {
    ui = await startBrowserHarness();
    const ok = async (method: string, path: string, body?: unknown) => {
      const res = await ui.server.request(method, path, { body });
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
      return res.body as { data: Record<string, string> };
    };
    await ok('POST', '/v1/sys/auth/userpass', { type: 'userpass' });
    await ok('POST', '/v1/auth/userpass/users/alice', { password: 'correct-horse-1', token_policies: 'default' });
    await ok('POST', '/v1/sys/auth/ci-approle', { type: 'approle' });
    await ok('POST', '/v1/auth/ci-approle/role/deployer', { token_policies: 'default' });
    roleId = (await ok('GET', '/v1/auth/ci-approle/role/deployer/role-id')).data.role_id!;
    secretId = (await ok('POST', '/v1/auth/ci-approle/role/deployer/secret-id')).data.secret_id!;
  });
  after(async () => {
    await ui?.close();
  });

  const token = async (body: Record<string, unknown>) => {
    const res = await ui.server.request('POST', '/v1/auth/token/create', { body: { policies: ['default'], ...body } });
    assert.equal(res.status, 200, res.text);
    return res.body.auth.client_token as string;
  };
  const lookup = (t: string) => ui.server.request('GET', '/v1/auth/token/lookup-self', { token: t });
  const loggedIn = (page: Page) => page.locator('.app-header').getByRole('button', { name: 'Log out' }).waitFor();

  it('logs in with userpass (wrong password refused, then right)', async () => {
    const page = await ui.newPage({ allowConsoleErrors: [/status of 400/] });
    await page.goto(`${ui.uiUrl}#/login`);
    await page.getByLabel('Login method').selectOption('userpass');
    assert.equal(await page.getByLabel('Mount path').getAttribute('placeholder'), 'userpass');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /invalid username or password/i);
    await page.getByLabel('Password').fill('correct-horse-1');
    await page.getByRole('button', { name: 'Log in' }).click();
    await loggedIn(page);
    await page.getByRole('heading', { name: 'Server status' }).waitFor();
    assert.equal(await page.locator('.app-header .who').innerText(), 'default');
    assert.equal(await page.evaluate(() => window.localStorage.length + window.sessionStorage.length), 0);
    await page.getByRole('link', { name: 'Session' }).click();
    await page.getByRole('heading', { name: 'Your session' }).waitFor();
    assert.match(await page.locator('dl.facts').innerText(), /auth-userpass-alice|userpass-alice/);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'login-userpass-session');
    ui.assertNoPageErrors(page);
    await page.close();
  });

  it('logs in with AppRole at a chosen mount path, at 390 px', async () => {
    const page = await ui.newPage({ width: 390 });
    await page.goto(`${ui.uiUrl}#/login`);
    await page.getByLabel('Login method').selectOption('approle');
    await page.getByLabel('Mount path').fill('ci-approle');
    await page.getByLabel('Role ID').fill(roleId);
    await page.getByLabel('Secret ID').fill(secretId);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'login-approle-390');
    await page.getByRole('button', { name: 'Log in' }).click();
    await loggedIn(page);
    await page.getByRole('heading', { name: 'Server status' }).waitFor();
    assert.equal(await page.locator('.app-header .who').innerText(), 'default');
    ui.assertNoPageErrors(page);
    await page.close();
  });

  it('shows the expiry of a short-lived token in a banner and renews it', async () => {
    const short = await token({ ttl: '2m' });
    ui.server.clock.advance(90_000); // 30 s left on the server's clock
    const page = await ui.newPage();
    await ui.login(page, short);
    const banner = page.getByRole('region', { name: 'Token expiry' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /Your token expires in \d+ seconds/);
    assert.ok((await lookup(short)).body.data.ttl <= 30);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'login-expiry-banner');
    await banner.getByRole('button', { name: 'Renew token' }).click();
    await banner.getByText(/expires in about 2 minutes/).waitFor();
    assert.equal((await lookup(short)).body.data.ttl, 120, 'renew-self reset the TTL');
    await page.getByRole('link', { name: 'Session' }).click();
    await page.getByTestId('session-expiry').getByText(/^in (2m|1m \d+s)/).waitFor();
    await ui.screenshot(page, 'login-expiry-renewed');
    ui.assertNoPageErrors(page);
    await page.close();
  });

  it('logs out keeping the token valid, or revoking it when asked', async () => {
    for (const revoke of [false, true]) {
      const t = await token({ ttl: '1h' });
      const page = await ui.newPage();
      await ui.login(page, t);
      await page.goto(`${ui.uiUrl}#/session`);
      await page.getByRole('heading', { name: 'Your session' }).waitFor();
      if (revoke) await page.getByLabel(/Also revoke this token/).check();
      await ui.checkA11y(page);
      await page.getByRole('main').getByRole('button', { name: revoke ? 'Revoke and log out' : 'Log out of this tab' }).click();
      await page.getByRole('heading', { name: 'Log in to Coffer' }).waitFor();
      assert.equal(await page.evaluate(() => window.sessionStorage.length), 0);
      assert.equal((await lookup(t)).status, revoke ? 403 : 200, revoke ? 'revoked' : 'still valid');
      await ui.screenshot(page, `login-logout-${revoke ? 'revoked' : 'kept'}`);
      ui.assertNoPageErrors(page);
      await page.close();
    }
  });
});
