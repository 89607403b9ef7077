/**
 * The Key Vault view in Chromium against a real server: vaults (create, delete with the typed
 * name), secrets (set with every property, masked value + copy, versions, set attributes, delete,
 * deleted list, recover, purge, purge protection, backup download + restore upload), the
 * access-policy grid and role assignments, service principals (secret shown once) and managed
 * identities, and a limited token (disabled actions with reasons, a 403 as an ErrorPanel).
 * Every test checks axe-core and saves a screenshot under test-results/ui/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBrowserHarness, uiSkipReason, waitForTitle, type BrowserHarness } from '../helpers/browser.js';


const skip = uiSkipReason();

describe('web UI: Key Vault', { skip }, () => {
  let ui: BrowserHarness;
  before(async () => {
    ui = await startBrowserHarness();
  });
  after(async () => {
    await ui?.close();
  });

  const api = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await ui.server.request(method, `/v1/${path}`, { body, token });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const go = async (page: Page, hash: string) => {
    await page.goto(`${ui.uiUrl}#${hash}`);
  };
  const finish = async (page: Page, name: string) => {
    await ui.checkA11y(page);
    await ui.screenshot(page, name);
    ui.assertNoPageErrors(page);
  };
  // Logs in through the login page; waits for the header's Log out (the login page has one too, briefly).
  const login = async (page: Page, token = ui.server.rootToken) => {
    await page.goto(`${ui.uiUrl}#/login`);
    await page.getByLabel('Token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('banner').getByRole('button', { name: 'Log out' }).waitFor();
  };
  // Reloading would drop the in-memory token: leave the page and come back instead (same document).
  const remount = async (page: Page, hash: string) => {
    await go(page, '/status');
    await page.getByRole('heading', { name: 'Server status' }).waitFor();
    await go(page, hash);
  };
  // An empty Vault-style list is a 404, which Chromium logs as a console error.
  const emptyLists = [/status of 404 .*\/v1\/auth\/azure\/(?:sp|identity)\/\?list=true/];
  const clipboard = async (page: Page) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(ui.uiUrl).origin });
  };

  it('vaults: create with settings, list, open, and delete only after typing the name (390 px)', async () => {
    const page = await ui.newPage({ width: 390 });
    await login(page);
    await go(page, '/keyvault');
    await page.getByRole('heading', { name: 'Key Vault', level: 1 }).waitFor();
    await page.getByLabel('Vault name').fill('Team-Vault');
    await page.getByLabel('Soft-delete retention (days)').fill('14');
    await page.getByLabel('Purge protection').check();
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByRole('status').filter({ hasText: 'Vault team-vault created.' }).waitFor();
    const mount = await api('GET', 'sys/mounts/keyvault/team-vault');
    assert.equal(mount.data.type, 'keyvault');
    assert.equal(mount.data.options.soft_delete_retention_days, '14');
    assert.equal(mount.data.options.purge_protection, 'true');

    // A bad name is explained and cannot be submitted.
    await page.getByLabel('Vault name').fill('9bad--name');
    assert.equal(await page.getByRole('button', { name: 'Create vault' }).isDisabled(), true);
    await page.getByText('use 3-24 letters').waitFor();
    await page.getByLabel('Vault name').fill('');

    await page.getByRole('link', { name: 'team-vault' }).click();
    await page.getByRole('heading', { name: 'Vault team-vault' }).waitFor();
    await page.getByText('14 days').waitFor();
    await page.getByText('CustomizedRecoverable').waitFor();
    await finish(page, 'keyvault-vault-390');

    await go(page, '/keyvault');
    await page.getByRole('button', { name: 'Delete vault team-vault' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete vault' });
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel(/to confirm/).fill('team-vault');
    await confirm.click();
    await page.getByRole('status').filter({ hasText: 'Vault team-vault deleted.' }).waitFor();
    assert.equal((await ui.server.request('GET', '/v1/sys/mounts/keyvault/team-vault')).status >= 400, true);
    await finish(page, 'keyvault-vaults-390');
  });

  it('secrets: set with every property, masked value + copy, versions, set attributes, delete, recover, purge', async () => {
    await api('POST', 'sys/mounts/keyvault/app-vault', { type: 'keyvault' });
    const page = await ui.newPage({ width: 1280 });
    await clipboard(page);
    await login(page);
    await go(page, '/keyvault/app-vault');
    await page.getByRole('heading', { name: 'Vault app-vault' }).waitFor();
    await page.getByLabel('Secret name').fill('db-password');
    await page.getByLabel('Value', { exact: true }).fill('first-S3cret');
    await page.getByLabel('Content type').fill('text/plain');
    await page.getByLabel('Expires (UTC)').fill('2030-01-31T12:00');
    await page.getByLabel('Tags').fill('env=dev\nteam=core');
    await page.getByRole('button', { name: 'Set secret' }).click();
    await page.getByRole('heading', { name: /Secret db-password/ }).waitFor();

    // Every property; the value is not in the page until revealed, and Copy works while masked.
    const props = page.getByRole('definition');
    await page.getByText('text/plain').first().waitFor();
    await page.getByText('2030-01-31 12:00:00Z').first().waitFor();
    await page.getByText('env=dev').waitFor();
    await page.getByText('team=core').waitFor();
    await page.getByText('Recoverable+Purgeable').waitFor();
    assert.ok((await props.count()) >= 12);
    assert.equal((await page.content()).includes('first-S3cret'), false, 'the value stays out of the DOM while masked');
    await page.getByRole('button', { name: 'Copy' }).first().click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'first-S3cret');
    assert.equal((await page.content()).includes('first-S3cret'), false);
    await page.getByRole('button', { name: 'Reveal value of db-password' }).click();
    await page.getByText('first-S3cret').waitFor();
    await page.getByRole('button', { name: 'Hide value of db-password' }).click();

    // A second version, then the versions list.
    await page.getByLabel('Value', { exact: true }).fill('second-S3cret');
    await page.getByRole('button', { name: 'Save new version' }).click();
    await page.getByRole('status').filter({ hasText: 'New version saved.' }).waitFor();
    const versions = (await api('GET', 'keyvault/app-vault/secrets/db-password/versions/?list=true')).data.items as Array<{ version: string; attributes: { created: number } }>;
    assert.equal(versions.length, 2);
    await page.getByRole('button', { name: /^Show version / }).nth(1).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Show version / }).count(), 2);
    const current = (await api('GET', 'keyvault/app-vault/secrets/db-password')).data.version as string;
    const older = versions.find((v) => v.version !== current)!.version;

    // Set attributes of the older version: disable it, change its tags.
    await page.getByRole('button', { name: `Edit attributes of version ${older}` }).click();
    const attrs = page.getByRole('form', { name: `Attributes of version ${older}` });
    await attrs.getByLabel('Enabled').uncheck();
    await attrs.getByLabel('Tags').fill('env=old');
    await attrs.getByRole('button', { name: 'Save attributes' }).click();
    await page.getByRole('status').filter({ hasText: `Attributes of version ${older} saved.` }).waitFor();
    const olderNow = (await ui.server.request('GET', `/v1/keyvault/app-vault/secrets/db-password/versions/?list=true`)).body.data.items.find((v: { version: string }) => v.version === older);
    assert.equal(olderNow.attributes.enabled, false);
    assert.deepEqual(olderNow.tags, { env: 'old' });

    // Show the current version's value by version.
    await page.getByRole('button', { name: `Show version ${current}` }).click();
    await page.getByRole('heading', { name: `Version ${current}` }).waitFor();
    await page.getByRole('button', { name: 'Reveal value of db-password' }).click();
    await page.getByText('second-S3cret').waitFor();
    await finish(page, 'keyvault-secret-1280');

    // Delete (soft), then recover from the deleted list.
    await page.getByRole('button', { name: 'Delete secret' }).click();
    await page.getByRole('dialog').getByLabel(/to confirm/).fill('db-password');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Vault app-vault' }).waitFor();
    await page.getByRole('button', { name: 'Recover db-password' }).click();
    await page.getByRole('status').filter({ hasText: 'Secret db-password recovered.' }).waitFor();
    await page.getByRole('link', { name: 'db-password' }).waitFor();
    assert.equal((await api('GET', 'keyvault/app-vault/secrets/db-password')).data.value, 'second-S3cret');

    // Delete again and purge (with the typed name).
    await api('DELETE', 'keyvault/app-vault/secrets/db-password');
    await remount(page, '/keyvault/app-vault');
    await page.getByRole('button', { name: 'Purge db-password' }).click();
    const purge = page.getByRole('dialog').getByRole('button', { name: 'Purge for good' });
    assert.equal(await purge.isDisabled(), true);
    await page.getByRole('dialog').getByLabel(/to confirm/).fill('db-password');
    await purge.click();
    await page.getByRole('status').filter({ hasText: 'Secret db-password purged.' }).waitFor();
    await page.getByText('No deleted secrets.').waitFor();
    assert.equal((await ui.server.request('GET', '/v1/keyvault/app-vault/deletedsecrets/db-password')).status, 404);
    await finish(page, 'keyvault-deleted-1280');
  });

  it('backup downloads a file and restore uploads it back', async () => {
    await api('POST', 'sys/mounts/keyvault/bk-vault', { type: 'keyvault' });
    await api('PUT', 'keyvault/bk-vault/secrets/api-key', { value: 'v1' });
    await api('PUT', 'keyvault/bk-vault/secrets/api-key', { value: 'v2' });
    const page = await ui.newPage({ width: 1280 });
    await login(page);
    await go(page, '/keyvault/bk-vault/secrets/api-key');
    await page.getByRole('heading', { name: /Secret api-key/ }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download backup' }).click()]);
    assert.equal(download.suggestedFilename(), 'bk-vault-api-key.backup');
    const file = await download.path();
    const bytes = readFileSync(file);
    assert.ok(bytes.length > 16);

    // Gone for good, then restored from the file through the page.
    await api('DELETE', 'keyvault/bk-vault/secrets/api-key');
    await api('DELETE', 'keyvault/bk-vault/deletedsecrets/api-key');
    await go(page, '/keyvault/bk-vault');
    await page.getByText('No secrets in this vault.').waitFor();
    await page.getByLabel('Backup file', { exact: true }).setInputFiles({ name: 'api-key.backup', mimeType: 'application/octet-stream', buffer: bytes });
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('status').filter({ hasText: 'Secret api-key restored from api-key.backup.' }).waitFor();
    await page.getByRole('link', { name: 'api-key' }).waitFor();
    assert.equal((await api('GET', 'keyvault/bk-vault/secrets/api-key')).data.value, 'v2');
    assert.equal((await api('GET', 'keyvault/bk-vault/secrets/api-key/versions/?list=true')).data.items.length, 2);
    await finish(page, 'keyvault-restore-1280');
  });

  it('purge protection disables Purge with the reason', async () => {
    await api('POST', 'sys/mounts/keyvault/locked-vault', { type: 'keyvault', options: { purge_protection: 'true' } });
    await api('PUT', 'keyvault/locked-vault/secrets/s1', { value: 'x' });
    await api('DELETE', 'keyvault/locked-vault/secrets/s1');
    const page = await ui.newPage({ width: 390 });
    await login(page);
    await go(page, '/keyvault/locked-vault');
    const purge = page.getByRole('button', { name: 'Purge s1' });
    await purge.waitFor();
    assert.equal(await purge.isDisabled(), true);
    await waitForTitle(purge, /purge protection is on/);
    const describedBy = (await purge.getAttribute('aria-describedby'))!;
    assert.match((await page.locator(`#${describedBy}`).textContent())!, /Purge is disabled: purge protection is on for this vault/);
    assert.equal(await page.getByRole('button', { name: 'Recover s1' }).isDisabled(), false);
    await finish(page, 'keyvault-purge-protection-390');
  });

  it('service principals: the client secret is shown once with copy; reset; delete. Managed identities: assign, remove', async () => {
    const page = await ui.newPage({ width: 1280, allowConsoleErrors: emptyLists });
    await clipboard(page);
    await login(page);
    await go(page, '/azure-identities');
    await page.getByRole('heading', { name: 'Azure identities' }).waitFor();
    await page.getByLabel('Display name').fill('ci-app');
    await page.getByRole('button', { name: 'Create service principal' }).click();
    const once = page.getByRole('region', { name: 'New client secret' });
    await once.waitFor();
    const appId = (await once.getByTestId('kv-cred-appid').textContent())!;
    assert.equal((await page.content()).includes('password'), false);
    await once.getByRole('button', { name: 'Copy', exact: true }).click();
    const secret = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(secret.length >= 16, 'a client secret was copied');
    assert.equal((await page.content()).includes(secret), false, 'the secret is copied without being shown');
    // The secret works: the token endpoint accepts it.
    const tok = await ui.server.request('POST', '/v1/auth/azure/oauth2/token', { token: null, body: { grant_type: 'client_credentials', client_id: appId, client_secret: secret, scope: 'https://vault.localhost/.default' } });
    assert.equal(tok.status, 200, tok.text);
    await once.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await once.count(), 0, 'gone once dismissed: it cannot be shown again');
    await page.getByRole('cell', { name: appId }).waitFor();

    // Reset: a new secret, shown once; the old one stops working.
    await page.getByRole('button', { name: 'Reset credential of ci-app' }).click();
    await once.waitFor();
    await once.getByRole('button', { name: 'Copy', exact: true }).click();
    const secret2 = await page.evaluate(() => navigator.clipboard.readText());
    assert.notEqual(secret2, secret);
    const old = await ui.server.request('POST', '/v1/auth/azure/oauth2/token', { token: null, body: { grant_type: 'client_credentials', client_id: appId, client_secret: secret, scope: 'https://vault.localhost/.default' } });
    assert.ok(old.status >= 400);
    await once.getByRole('button', { name: 'I have copied it' }).click();

    // Managed identity.
    await page.getByLabel('Application name').fill('web-app');
    await page.getByRole('button', { name: 'Assign identity' }).click();
    await page.getByRole('cell', { name: 'web-app', exact: true }).waitFor();
    const mi = await api('GET', 'auth/azure/identity/web-app');
    await page.getByRole('cell', { name: mi.data.principalId }).waitFor();
    await finish(page, 'keyvault-identities-1280');
    await page.setViewportSize({ width: 390, height: 800 });
    await finish(page, 'keyvault-identities-390');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'Remove the identity of web-app' }).click();
    await page.getByRole('dialog').getByLabel(/to confirm/).fill('web-app');
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('status').filter({ hasText: 'Managed identity of web-app removed.' }).waitFor();
    await page.getByRole('button', { name: 'Delete ci-app' }).click();
    await page.getByRole('dialog').getByLabel(/to confirm/).fill(appId);
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Service principal ci-app deleted.' }).waitFor();
    assert.equal((await ui.server.request('GET', `/v1/auth/azure/sp/${appId}`)).status, 404);
    await finish(page, 'keyvault-identities-deleted-1280');
  });

  it('access policies: a grid of permissions per principal, saved as policies; role assignments create and delete', async () => {
    await api('POST', 'sys/mounts/keyvault/grid-vault', { type: 'keyvault' });
    await api('PUT', 'keyvault/grid-vault/secrets/shared', { value: 'grid-value' });
    const page = await ui.newPage({ width: 1280, allowConsoleErrors: emptyLists });
    await login(page);
    // Create the principal through the page (enables auth/azure/ as the CLI does).
    await go(page, '/azure-identities');
    await page.getByLabel('Display name').fill('grid-app');
    await page.getByRole('button', { name: 'Create service principal' }).click();
    const appId = (await page.getByTestId('kv-cred-appid').textContent())!;
    const sp = (await api('GET', `auth/azure/sp/${appId}`)).data;

    await go(page, '/keyvault/grid-vault/access');
    await page.getByRole('heading', { name: 'Access to vault grid-vault' }).waitFor();
    await page.getByLabel('Principal to add').selectOption(sp.objectId);
    await page.getByRole('button', { name: 'Add principal' }).click();
    const label = `grid-app (service principal ${appId})`;
    await page.getByLabel(`secrets get for ${label}`).check();
    await page.getByLabel(`secrets list for ${label}`).check();
    await page.getByLabel(`keys sign for ${label}`).check();
    await page.getByRole('button', { name: /Save access policies \(1 changed\)/ }).click();
    await page.getByRole('status').filter({ hasText: 'Saved 1 access policy.' }).waitFor();
    const name = `keyvault-grid-vault-${sp.objectId}`.toLowerCase();
    const policy = (await api('GET', `sys/policies/acl/${name}`)).data.policy as string;
    assert.match(policy.split('\n')[0]!, new RegExp(`^# coffer: vault=grid-vault principal=${sp.objectId} secret-permissions=get,list key-permissions=sign$`));
    assert.deepEqual((await api('GET', `auth/azure/principal/${sp.objectId}/policies`)).data.policies, [name]);
    // Saved state is read back: the boxes stay ticked after a reload; certificates are disabled with the reason.
    await remount(page, '/keyvault/grid-vault/access');
    assert.equal(await page.getByLabel(`secrets get for ${label}`).isChecked(), true);
    assert.equal(await page.getByLabel(`secrets set for ${label}`).isChecked(), false);
    await page.getByText('Coffer vaults hold secrets and keys, not certificates').waitFor();

    // A role assignment on this vault, then its removal.
    await page.getByLabel('Role', { exact: true }).selectOption('Key Vault Secrets Officer');
    await page.locator('#kv-role-principal').selectOption(sp.objectId);
    await page.getByRole('button', { name: 'Assign role' }).click();
    await page.getByRole('status').filter({ hasText: 'Role Key Vault Secrets Officer assigned' }).waitFor();
    await page.getByRole('cell', { name: 'Key Vault Secrets Officer', exact: true }).waitFor();
    const roleName = `keyvault-grid-vault-${sp.objectId}-role-key-vault-secrets-officer`.toLowerCase();
    assert.ok((await api('GET', `auth/azure/principal/${sp.objectId}/policies`)).data.policies.includes(roleName));
    await finish(page, 'keyvault-access-1280');
    await page.getByRole('button', { name: `Remove Key Vault Secrets Officer from ${label}` }).click();
    await page.getByRole('status').filter({ hasText: 'Role Key Vault Secrets Officer removed.' }).waitFor();
    await page.getByText('No role assignments on this vault.').waitFor();

    // Unticking everything revokes the access policy.
    for (const p of ['get', 'list']) await page.getByLabel(`secrets ${p} for ${label}`).uncheck();
    await page.getByLabel(`keys sign for ${label}`).uncheck();
    await page.getByRole('button', { name: /Save access policies/ }).click();
    await page.getByRole('status').filter({ hasText: 'Saved 1 access policy.' }).waitFor();
    assert.equal((await ui.server.request('GET', `/v1/sys/policies/acl/${name}`)).status, 404);
    assert.deepEqual((await api('GET', `auth/azure/principal/${sp.objectId}/policies`)).data.policies, []);
    await page.setViewportSize({ width: 390, height: 800 });
    await finish(page, 'keyvault-access-390');
  });

  it('a limited token: actions it cannot do are disabled with the reason, and a refused call is an ErrorPanel', async () => {
    await api('POST', 'sys/mounts/keyvault/ro-vault', { type: 'keyvault' });
    await api('PUT', 'keyvault/ro-vault/secrets/visible', { value: 'seen' });
    await api('PUT', 'sys/policies/acl/kv-reader', {
      policy: 'path "keyvault/ro-vault/secrets/" { capabilities = ["list"] }\npath "keyvault/ro-vault/secrets/+" { capabilities = ["read"] }\npath "keyvault/ro-vault/secrets/+/versions/" { capabilities = ["list"] }\npath "keyvault/ro-vault/config" { capabilities = ["read"] }\n',
    });
    const token = (await api('POST', 'auth/token/create', { policies: ['kv-reader'] })).auth.client_token as string;
    const page = await ui.newPage({ width: 390, allowConsoleErrors: [/status of 403/] });
    await login(page, token);

    // The vault list needs sys/mounts: refused, shown as what was refused.
    await go(page, '/keyvault');
    const alert = page.getByRole('alert').filter({ hasText: 'Permission denied' });
    await alert.waitFor();
    assert.match((await alert.textContent())!, /read on sys\/mounts was refused — your token's policies are default, kv-reader/);
    const create = page.getByRole('button', { name: 'Create vault' });
    await page.getByLabel('Vault name').fill('another');
    assert.equal(await create.isDisabled(), true);
    await waitForTitle(create, /lacks the "update" capability on sys\/mounts\/keyvault\/another/);
    await finish(page, 'keyvault-acl-vaults-390');

    // In the vault: list and read work; set, delete, backup, restore, purge/recover are disabled with reasons.
    await go(page, '/keyvault/ro-vault');
    await page.getByRole('link', { name: 'visible' }).waitFor();
    const set = page.getByRole('button', { name: 'Set secret' });
    await page.getByLabel('Secret name').fill('new-one');
    assert.equal(await set.isDisabled(), true);
    await waitForTitle(set, /lacks the "create" capability on keyvault\/ro-vault\/secrets\/new-one/);
    assert.equal(await page.getByRole('button', { name: 'Restore' }).isDisabled(), true);
    await page.getByRole('alert').filter({ hasText: 'list on keyvault/ro-vault/deletedsecrets/' }).or(page.getByRole('alert').filter({ hasText: 'read on keyvault/ro-vault/deletedsecrets/' })).first().waitFor();
    await finish(page, 'keyvault-acl-vault-390');

    await page.getByRole('link', { name: 'visible' }).click();
    await page.getByRole('button', { name: 'Reveal value of visible' }).click();
    await page.getByText('seen', { exact: true }).waitFor();
    for (const b of ['Delete secret', 'Download backup', 'Save new version']) {
      const btn = page.getByRole('button', { name: b });
      assert.equal(await btn.isDisabled(), true, b);
      await waitForTitle(btn, /lacks the/, b);
    }
    await page.getByRole('button', { name: /^Edit attributes of version/ }).first().click();
    assert.equal(await page.getByRole('button', { name: 'Save attributes' }).isDisabled(), true);
    await finish(page, 'keyvault-acl-secret-390');

    // The access page without sys/policies/acl: explained, not blank.
    await go(page, '/keyvault/ro-vault/access');
    await page.getByText('Listing access policies needs "list" on sys/policies/acl').waitFor();
    await finish(page, 'keyvault-acl-access-390');
  });
});
