/**
 * The web UI's secrets engines page: enable (KV v2 with max versions, transit), tune (TTLs,
 * description, KV max versions), disable after typing the mount path; a token that may only
 * list sees the actions disabled with reasons, and one that may not list gets a 403 panel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBrowserHarness, uiSkipReason, type BrowserHarness, waitForTitle } from '../helpers/browser.js';

describe('web UI: secrets engines page', { skip: uiSkipReason() }, () => {
  let ui: BrowserHarness;
  before(async () => {
    ui = await startBrowserHarness();
  });
  after(async () => {
    await ui?.close();
  });
  const mounts = async () => (await ui.server.request('GET', '/v1/sys/mounts')).body.data as Record<string, { type: string; description: string; options: Record<string, string> | null; config: { default_lease_ttl: number; max_lease_ttl: number } }>;

  it('enables, tunes and disables (with the typed confirmation) a KV v2 engine', async () => {
    const page = await ui.newPage();
    await ui.login(page);
    await page.goto(`${ui.uiUrl}#/engines`);
    await page.getByRole('heading', { name: 'Secrets engines' }).waitFor();
    await page.getByRole('cell', { name: 'cubbyhole/', exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Disable cubbyhole\// }).isDisabled(), true);

    await page.getByLabel('Engine type').selectOption('kv-v2');
    await page.getByLabel('Mount path').fill('team-kv');
    await page.getByLabel('Description', { exact: true }).fill('team secrets');
    await page.getByLabel('Default lease TTL').fill('1h');
    await page.getByLabel('Max versions').fill('7');
    await page.getByRole('button', { name: 'Enable engine' }).click();
    await page.getByRole('cell', { name: 'team-kv/', exact: true }).waitFor();
    let m = (await mounts())['team-kv/']!;
    assert.equal(m.type, 'kv');
    assert.equal(m.options?.version, '2');
    assert.equal(m.description, 'team secrets');
    assert.equal(m.config.default_lease_ttl, 3600);
    assert.equal((await ui.server.request('GET', '/v1/team-kv/config')).body.data.max_versions, 7);
    await ui.checkA11y(page);

    await page.getByRole('button', { name: 'Tune team-kv/' }).click();
    const tune = page.getByRole('form', { name: 'Tune team-kv/' });
    await tune.waitFor();
    assert.equal(await tune.getByLabel('Max versions').inputValue(), '7');
    await tune.getByLabel('Description').fill('the team secrets');
    await tune.getByLabel('Max lease TTL').fill('48h');
    await tune.getByLabel('Max versions').fill('3');
    await tune.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved the settings of team-kv/.').waitFor();
    m = (await mounts())['team-kv/']!;
    assert.equal(m.description, 'the team secrets');
    assert.equal(m.config.max_lease_ttl, 48 * 3600);
    assert.equal(m.config.default_lease_ttl, 3600, 'unchanged fields are not sent');
    assert.equal((await ui.server.request('GET', '/v1/team-kv/config')).body.data.max_versions, 3);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'engines-tuned');

    await page.getByRole('button', { name: 'Disable team-kv/' }).click();
    const dialog = page.getByRole('dialog', { name: 'Disable team-kv/' });
    await dialog.waitFor();
    const confirm = dialog.getByRole('button', { name: 'Disable engine' });
    await dialog.getByLabel('Type team-kv to confirm').fill('team');
    assert.equal(await confirm.isDisabled(), true);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'engines-disable-confirm');
    await dialog.getByLabel('Type team-kv to confirm').fill('team-kv');
    await confirm.click();
    await page.getByText('Disabled team-kv/: its data is deleted.').waitFor();
    assert.equal((await mounts())['team-kv/'], undefined);
    assert.equal(await page.getByRole('cell', { name: 'team-kv/', exact: true }).count(), 0);

    // Transit at its default path.
    await page.getByLabel('Engine type').selectOption('transit');
    await page.getByRole('button', { name: 'Enable engine' }).click();
    await page.getByRole('cell', { name: 'transit/', exact: true }).waitFor();
    assert.equal((await mounts())['transit/']?.type, 'transit');
    await ui.screenshot(page, 'engines-list');
    ui.assertNoPageErrors(page);
    await page.close();
  });

  it('a token that can only list sees disabled actions with reasons; one that cannot gets a 403 panel', async () => {
    const policy = await ui.server.request('PUT', '/v1/sys/policies/acl/mount-lister', { body: { policy: 'path "sys/mounts" {\n  capabilities = ["read"]\n}\n' } });
    assert.ok(policy.status < 300, policy.text);
    const lister = (await ui.server.request('POST', '/v1/auth/token/create', { body: { policies: ['mount-lister'], ttl: '1h' } })).body.auth.client_token as string;
    const page = await ui.newPage({ width: 390 });
    await ui.login(page, lister);
    await page.goto(`${ui.uiUrl}#/engines`);
    await page.getByRole('cell', { name: 'secret/', exact: true }).waitFor();
    const disable = page.getByRole('button', { name: 'Disable secret/' });
    await page.waitForFunction(() => document.querySelectorAll('button[title*="lacks"]').length >= 3);
    assert.equal(await disable.isDisabled(), true);
    await waitForTitle(disable, /lacks the "delete" capability on sys\/mounts\/secret/);
    await waitForTitle(page.getByRole('button', { name: 'Tune secret/' }), /lacks the "update" capability on sys\/mounts\/secret\/tune/);
    assert.equal(await page.getByRole('button', { name: 'Enable engine' }).isDisabled(), true);
    // Nothing sticks out sideways at phone width (the table scrolls inside its own box).
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'no horizontal page scroll at 390 px');
    await ui.checkA11y(page);
    await ui.screenshot(page, 'engines-lister-390');
    ui.assertNoPageErrors(page);
    await page.close();

    const nobody = (await ui.server.request('POST', '/v1/auth/token/create', { body: { policies: ['default'], ttl: '1h' } })).body.auth.client_token as string;
    const refused = await ui.newPage({ allowConsoleErrors: [/status of 403/] });
    await ui.login(refused, nobody);
    await refused.goto(`${ui.uiUrl}#/engines`);
    const alert = refused.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /permission denied: read on sys\/mounts was refused — your token's policies are default/);
    await ui.checkA11y(refused);
    await ui.screenshot(refused, 'engines-403');
    ui.assertNoPageErrors(refused);
    await refused.close();
  });
});
