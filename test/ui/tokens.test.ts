/**
 * The web UI's tokens page: create (shown once), look up and revoke by accessor (children
 * revoked), revoke-orphan (children kept); an unprivileged token sees every action disabled with
 * the reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBrowserHarness, uiSkipReason, type BrowserHarness, waitForTitle } from '../helpers/browser.js';

describe('web UI: tokens page', { skip: uiSkipReason() }, () => {
  let ui: BrowserHarness;
  before(async () => {
    ui = await startBrowserHarness();
  });
  after(async () => {
    await ui?.close();
  });

  /** A token created over HTTP (by `as`, default root); its id and accessor. */
  const create = async (body: Record<string, unknown>, as?: string) => {
    const res = await ui.server.request('POST', '/v1/auth/token/create', { body, token: as });
    assert.equal(res.status, 200, res.text);
    return { id: res.body.auth.client_token as string, accessor: res.body.auth.accessor as string };
  };
  const status = async (t: string) => (await ui.server.request('GET', '/v1/auth/token/lookup-self', { token: t })).status;

  it('creates a token with every option, shown once, and looks it up by accessor', async () => {
    const page = await ui.newPage();
    await ui.login(page);
    await page.goto(`${ui.uiUrl}#/tokens`);
    await page.getByRole('heading', { name: 'Tokens', exact: true }).waitFor();

    await page.getByLabel('TTL', { exact: true }).fill('soon');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('TTL must be a duration such as 30m, 12h or 3600 (seconds).').waitFor();

    await page.getByLabel('Policies').fill('reader, writer');
    await page.getByLabel('TTL', { exact: true }).fill('1h');
    await page.getByLabel('Explicit max TTL').fill('2h');
    await page.getByLabel('Number of uses').fill('5');
    await page.getByLabel('Display name').fill('ci-bot');
    await page.getByLabel('Without the default policy').check();
    await page.getByLabel(/^Orphan/).check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const created = page.locator('.token-created');
    await created.waitFor();
    assert.match(await created.innerText(), /not shown again/);
    await created.getByRole('button', { name: 'Reveal new token' }).click();
    const id = await created.locator('code').first().innerText();
    const accessor = await page.getByTestId('created-accessor').innerText();
    // Without the default policy it cannot look itself up: root looks it up.
    const info = (await ui.server.request('POST', '/v1/auth/token/lookup', { body: { token: id } })).body.data;
    assert.deepEqual(info.policies, ['reader', 'writer']);
    assert.equal(info.num_uses, 5);
    assert.equal(info.display_name, 'token-ci-bot');
    assert.equal(info.explicit_max_ttl, 7200);
    assert.equal(info.accessor, accessor);
    assert.equal(info.orphan, true, 'created through create-orphan');
    await ui.checkA11y(page);
    await ui.screenshot(page, 'tokens-created');

    await page.getByRole('button', { name: 'Done, hide it' }).click();
    assert.doesNotMatch(await page.content(), new RegExp(id));
    await page.getByLabel('Accessor', { exact: true }).fill(accessor);
    await page.getByRole('button', { name: 'Look up' }).click();
    const found = page.getByRole('definition').filter({ hasText: 'token-ci-bot' });
    await found.waitFor();
    assert.match(await page.locator('dl[aria-label="Token found"]').innerText(), /reader, writer/);
    await ui.screenshot(page, 'tokens-lookup');
    ui.assertNoPageErrors(page);
    await page.close();
  });

  it('revokes by accessor with the children, or keeps the children with revoke-orphan', async () => {
    const page = await ui.newPage();
    await ui.login(page);
    await page.goto(`${ui.uiUrl}#/tokens`);

    const parent = await create({ ttl: '1h' });
    const child = await create({ ttl: '1h' }, parent.id);
    await page.getByLabel('Accessor', { exact: true }).fill(parent.accessor);
    await page.getByRole('button', { name: 'Revoke token and its children' }).click();
    await page.getByText('Revoked: the token and every token created from it no longer work.').waitFor();
    assert.equal(await status(parent.id), 403);
    assert.equal(await status(child.id), 403, 'the child went with its parent');

    const parent2 = await create({ ttl: '1h' });
    const child2 = await create({ ttl: '1h' }, parent2.id);
    await page.getByLabel('Token to revoke').fill(parent2.id);
    await page.getByRole('button', { name: 'Revoke, orphan its children' }).click();
    await page.getByText('Revoked; its child tokens still work, as orphans.').waitFor();
    assert.equal(await status(parent2.id), 403);
    assert.equal(await status(child2.id), 200, 'the child survived');
    const orphan = (await ui.server.request('GET', '/v1/auth/token/lookup-self', { token: child2.id })).body.data;
    assert.equal(orphan.orphan, true);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'tokens-revoked');
    ui.assertNoPageErrors(page);
    await page.close();
  });

  it('an unprivileged token sees the actions disabled with the reason, at 390 px', async () => {
    const weak = await create({ policies: ['default'], ttl: '1h' });
    const page = await ui.newPage({ width: 390 });
    await ui.login(page, weak.id);
    await page.goto(`${ui.uiUrl}#/tokens`);
    const createButton = page.getByRole('button', { name: 'Create token' });
    await page.waitForFunction(() => document.querySelectorAll('button[title*="lacks"]').length >= 4);
    assert.equal(await createButton.isDisabled(), true);
    await waitForTitle(createButton, /lacks the "update" capability on auth\/token\/create/);
    assert.equal(await page.getByRole('button', { name: 'Look up' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Revoke token and its children' }).isDisabled(), true);
    const orphan = page.getByRole('button', { name: 'Revoke, orphan its children' });
    assert.equal(await orphan.isDisabled(), true);
    await waitForTitle(orphan, /"update" and "sudo" capability on auth\/token\/revoke-orphan/);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'tokens-unprivileged-390');
    ui.assertNoPageErrors(page);
    await page.close();
  });
});
