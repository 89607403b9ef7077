/**
 * Auth method pages in Chromium against a real server: enable/tune/disable, AppRole roles
 * (create, role-id, secret-id shown once and response-wrapped, delete), userpass users (create,
 * reset password, delete), locked users (unlock), and a token refused by sys/auth.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBrowserHarness, uiSkipReason, type BrowserHarness } from '../helpers/browser.js';

/** axe-core with the mouse moved away (a hovered button.primary has low contrast: a styles.css issue, reported). */

/** An empty LIST answers 404 (Vault's way), which Chromium logs as a console error. */
const EMPTY_LIST = /status of 404 .*\?list=true/;

describe('auth method pages', { skip: uiSkipReason() }, () => {
  let ui: BrowserHarness;
  before(async () => {
    ui = await startBrowserHarness();
  });
  after(async () => {
    await ui?.close();
  });

  it('enables AppRole, tunes it, manages a role with role-id and secret-ids (plain and wrapped), then disables it', async () => {
    const page = await ui.newPage({ allowConsoleErrors: [EMPTY_LIST] });
    await ui.login(page);
    await page.goto(`${ui.uiUrl}#/auth`);
    await page.getByRole('table', { name: 'Enabled auth methods' }).waitFor();
    await ui.checkA11y(page);
    await page.getByLabel('Type').fill('approle');
    await page.getByLabel('Path', { exact: true }).fill('apps');
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('link', { name: 'apps/' }).click();
    await page.getByRole('heading', { name: 'Auth method apps/' }).waitFor();

    await page.getByLabel('Default lease TTL').fill('1h');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    assert.equal((await ui.server.request('GET', '/v1/sys/auth/apps/tune')).body.data.default_lease_ttl, 3600);

    await page.getByRole('link', { name: 'New role' }).click();
    await page.getByLabel('Role name').fill('web');
    await page.getByLabel('Token policies').fill('default, web-read');
    await page.getByLabel('Token TTL').fill('20m');
    await page.getByLabel('Secret ID uses').fill('3');
    await page.getByLabel('Secret ID bound CIDRs').fill('127.0.0.0/8');
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('heading', { name: 'Role web' }).waitFor();
    const role = (await ui.server.request('GET', '/v1/auth/apps/role/web')).body.data;
    assert.deepEqual(role.token_policies, ['default', 'web-read']);
    assert.equal(role.token_ttl, 1200);
    assert.equal(role.secret_id_num_uses, 3);
    assert.deepEqual(role.secret_id_bound_cidrs, ['127.0.0.0/8']);
    assert.equal(await page.getByLabel('Token TTL').inputValue(), '1200');

    await page.getByRole('button', { name: 'Read role ID' }).click();
    const roleId = (await page.getByTestId('role-id').textContent())!;
    assert.equal(roleId, (await ui.server.request('GET', '/v1/auth/apps/role/web/role-id')).body.data.role_id);

    await page.getByRole('button', { name: 'Generate secret ID' }).click();
    const once = page.getByRole('region', { name: 'Generated secret ID' });
    await once.getByText('Shown once.').waitFor();
    await once.getByLabel('secret ID (hidden)').waitFor(); // masked until revealed
    await once.getByRole('button', { name: 'Reveal secret ID' }).click();
    const secretId = (await once.getByLabel('secret ID', { exact: true }).textContent())!;
    const login = await ui.server.request('POST', '/v1/auth/apps/login', { body: { role_id: roleId, secret_id: secretId } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual(login.body.auth.policies, ['default', 'web-read']);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'auth-approle-role');

    await page.getByLabel('Response-wrap TTL (optional)').fill('5m');
    await page.getByRole('button', { name: 'Generate secret ID' }).click();
    await once.getByRole('button', { name: 'Reveal wrapping token' }).click();
    const wrapping = (await once.getByLabel('wrapping token', { exact: true }).textContent())!;
    const unwrapped = await ui.server.request('POST', '/v1/sys/wrapping/unwrap', { token: wrapping });
    assert.equal(unwrapped.status, 200);
    assert.match(unwrapped.body.data.secret_id, /\S{20,}/);
    await once.getByRole('button', { name: 'Done, hide it' }).click();
    assert.equal(await once.count(), 0);

    // Edit: a changed and a cleared field are saved.
    await page.getByLabel('Token TTL').fill('30m');
    await page.getByLabel('Secret ID bound CIDRs').fill('');
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.getByText('Saved role web.').waitFor();
    const edited = (await ui.server.request('GET', '/v1/auth/apps/role/web')).body.data;
    assert.equal(edited.token_ttl, 1800);
    assert.deepEqual(edited.secret_id_bound_cidrs, []);
    assert.equal(edited.secret_id_num_uses, 3);

    await page.getByRole('button', { name: 'Delete role' }).click();
    await page.getByRole('dialog').getByLabel(/to confirm/).fill('web');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Auth method apps/' }).waitFor();
    await page.getByText('No roles yet.').waitFor();

    await page.goto(`${ui.uiUrl}#/auth`);
    await page.getByRole('button', { name: 'Disable apps/' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/to confirm/).fill('apps');
    assert.equal(await dialog.getByRole('button', { name: 'Disable' }).isDisabled(), true, 'the exact path, with its slash');
    await dialog.getByLabel(/to confirm/).fill('apps/');
    await dialog.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Disabled apps/').waitFor();
    assert.equal((await ui.server.request('GET', '/v1/sys/auth')).body.data['apps/'], undefined);
    ui.assertNoPageErrors(page);
  });

  it('manages userpass users; a locked user is listed and unlocked', async () => {
    await ui.server.request('POST', '/v1/sys/auth/userpass', { body: { type: 'userpass' } });
    const page = await ui.newPage({ width: 390, allowConsoleErrors: [EMPTY_LIST] });
    await ui.login(page);
    await page.goto(`${ui.uiUrl}#/auth/userpass`);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('first-pass-123');
    await page.getByLabel('Policies').fill('default');
    await page.getByLabel('Token TTL').fill('30m');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('Created user alice.').waitFor();
    assert.equal((await ui.server.request('POST', '/v1/auth/userpass/login/alice', { body: { password: 'first-pass-123' } })).status, 200);

    await page.getByRole('button', { name: 'Reset password of alice' }).click();
    await page.getByLabel('New password for alice').fill('second-pass-456');
    await page.getByRole('button', { name: 'Set password', exact: true }).click();
    await page.getByText('Password of alice changed.').waitFor();
    assert.equal((await ui.server.request('POST', '/v1/auth/userpass/login/alice', { body: { password: 'second-pass-456' } })).status, 200);
    await ui.checkA11y(page);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'no sideways scrolling at 390 px');
    await ui.screenshot(page, 'auth-userpass-390');

    // Five failed logins lock bob out (the default lockout threshold).
    await ui.server.request('POST', '/v1/auth/userpass/users/bob', { body: { password: 'bob-pass-123' } });
    for (let i = 0; i < 5; i++) await ui.server.request('POST', '/v1/auth/userpass/login/bob', { body: { password: 'wrong' } });
    await page.goto(`${ui.uiUrl}#/locked-users`);
    await page.getByRole('button', { name: 'Unlock bob' }).click();
    await page.getByText('Unlocked bob.').waitFor();
    await page.getByText('No user is locked.').waitFor();
    assert.equal((await ui.server.request('POST', '/v1/auth/userpass/login/bob', { body: { password: 'bob-pass-123' } })).status, 200);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'auth-locked-users-390');

    await page.goto(`${ui.uiUrl}#/auth/userpass`);
    await page.getByRole('button', { name: 'Delete user alice' }).click();
    await page.getByRole('dialog').getByLabel(/to confirm/).fill('alice');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted user alice.').waitFor();
    assert.equal((await ui.server.request('GET', '/v1/auth/userpass/users/alice')).status, 404);
    ui.assertNoPageErrors(page);
  });

  it('a token that manages only the roles of one AppRole mount gets its page without sudo', async () => {
    await ui.server.request('POST', '/v1/sys/auth/team-apps', { body: { type: 'approle' } });
    await ui.server.request('POST', '/v1/auth/team-apps/role/svc', { body: { token_policies: ['default'] } });
    await ui.server.request('PUT', '/v1/sys/policies/acl/team-roles', { body: { policy: 'path "auth/team-apps/role" { capabilities = ["list"] }\npath "auth/team-apps/role/*" { capabilities = ["create", "read", "update", "delete", "list"] }' } });
    const token = (await ui.server.request('POST', '/v1/auth/token/create', { body: { policies: ['team-roles'] } })).body.auth.client_token as string;
    const page = await ui.newPage({ allowConsoleErrors: [/status of 403/] });
    await ui.login(page, token);
    await page.goto(`${ui.uiUrl}#/auth/team-apps`);
    await page.getByRole('link', { name: 'svc' }).click();
    await page.getByRole('heading', { name: 'Role svc' }).waitFor();
    await page.getByRole('button', { name: 'Read role ID' }).click();
    await page.getByTestId('role-id').waitFor();
    await page.goto(`${ui.uiUrl}#/auth/team-apps`);
    await page.getByText(/may not read this method's settings/).waitFor();
    await ui.checkA11y(page);
    await ui.screenshot(page, 'auth-role-manager');
    ui.assertNoPageErrors(page);
  });

  it('a token without sudo gets a 403 panel on the auth list and disabled actions', async () => {
    await ui.server.request('PUT', '/v1/sys/policies/acl/role-reader', { body: { policy: 'path "sys/auth" { capabilities = ["read"] }\npath "auth/userpass/users" { capabilities = ["list"] }' } });
    const token = (await ui.server.request('POST', '/v1/auth/token/create', { body: { policies: ['role-reader'] } })).body.auth.client_token as string;
    const page = await ui.newPage({ allowConsoleErrors: [/status of 403/] });
    await ui.login(page, token);
    await page.goto(`${ui.uiUrl}#/auth`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent())!, /permission denied: read on sys\/auth was refused — your token's policies are default, role-reader/);
    await page.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Enable' && b.disabled));
    await ui.checkA11y(page);
    await ui.screenshot(page, 'auth-refused');
    ui.assertNoPageErrors(page);
  });
});
