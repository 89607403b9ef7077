/**
 * Policies pages in Chromium against a real server: list, create with a parse error marked at
 * its line, fix and save, delete with confirmation, the capabilities checker (self and by
 * accessor), and a token whose policies refuse the editor.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBrowserHarness, uiSkipReason, type BrowserHarness, waitForTitle } from '../helpers/browser.js';


describe('policies pages', { skip: uiSkipReason() }, () => {
  let ui: BrowserHarness;
  before(async () => {
    ui = await startBrowserHarness();
  });
  after(async () => {
    await ui?.close();
  });

  it('creates a policy: the server error is shown at its line, then the fixed policy saves; delete asks for the name', async () => {
    const page = await ui.newPage({ allowConsoleErrors: [/status of 400/] });
    await ui.login(page);
    await page.goto(`${ui.uiUrl}#/policies`);
    await page.getByRole('link', { name: 'default' }).waitFor();
    await ui.checkA11y(page);
    await page.getByRole('link', { name: 'New policy' }).click();
    await page.getByLabel('Name').fill('app-read');
    const editor = page.getByLabel('Policy (HCL or JSON)');
    // Keyboard: Tab goes from the name to the editor (the gutter is not focusable).
    await page.getByLabel('Name').press('Tab');
    assert.equal(await editor.evaluate((el) => el === document.activeElement), true);
    await editor.fill('path "secret/data/app/*" {\n  capabilities = ["read"]\n}\n\npath "secret/metadata/app/*" {\n  capabilities = ["lst"]\n}\n');
    await page.getByRole('button', { name: 'Save' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('Error at line 6, column 3').waitFor();
    assert.match((await alert.textContent())!, /invalid capability "lst"/);
    assert.equal(await page.locator('.policy-gutter .err').textContent(), '6');
    assert.equal(await editor.getAttribute('aria-invalid'), 'true');
    await page.getByRole('button', { name: 'Go to line 6, column 3' }).click();
    assert.equal(await editor.evaluate((el: HTMLTextAreaElement) => el.value.slice(0, el.selectionStart).split('\n').length), 6);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'policies-error-at-line');

    await editor.fill('path "secret/data/app/*" {\n  capabilities = ["read"]\n}\n\npath "secret/metadata/app/*" {\n  capabilities = ["list"]\n}\n');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Policy app-read' }).waitFor();
    const stored = await ui.server.request('GET', '/v1/sys/policies/acl/app-read');
    assert.match(stored.body.data.policy, /"list"/);

    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete' });
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel(/to confirm/).fill('app-read');
    await confirm.click();
    await page.getByRole('heading', { name: 'ACL policies' }).waitFor();
    await page.getByRole('link', { name: 'default' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'app-read' }).count(), 0);
    assert.equal((await ui.server.request('GET', '/v1/sys/policies/acl/app-read')).status, 404);
    await ui.screenshot(page, 'policies-list');
    ui.assertNoPageErrors(page);
  });

  it('the capabilities checker answers for the current token and for another token by accessor, several paths at once', async () => {
    await ui.server.request('PUT', '/v1/sys/policies/acl/cap-check', { body: { policy: 'path "secret/data/cc/*" { capabilities = ["read", "list"] }' } });
    const other = await ui.server.request('POST', '/v1/auth/token/create', { body: { policies: ['cap-check'] } });
    const accessor = other.body.auth.accessor as string;
    const page = await ui.newPage({ width: 390 });
    await ui.login(page);
    await page.goto(`${ui.uiUrl}#/capabilities`);
    await page.getByLabel('Paths (one per line)').fill('secret/data/cc/x\nsys/mounts');
    await page.getByRole('button', { name: 'Check' }).click();
    const table = page.getByRole('table', { name: 'Capabilities of your token' });
    await table.waitFor();
    assert.match((await table.getByRole('row').nth(1).textContent())!, /secret\/data\/cc\/x.*root/);

    await page.getByLabel('Token accessor (empty: your own token)').fill(accessor);
    await page.getByRole('button', { name: 'Check' }).click();
    const theirs = page.getByRole('table', { name: `Capabilities of token with accessor ${accessor}` });
    await theirs.waitFor();
    const row = (await theirs.getByRole('row').nth(1).textContent())!;
    assert.match(row, /^secret\/data\/cc\/x/);
    assert.ok(row.includes('read') && row.includes('list') && !row.includes('deny'), row);
    assert.match((await theirs.getByRole('row').nth(2).textContent())!, /sys\/mounts\s*deny/);
    await ui.checkA11y(page);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'no sideways scrolling at 390 px');
    await ui.screenshot(page, 'policies-capabilities-390');
    ui.assertNoPageErrors(page);
  });

  it('a token that may only list policies sees Save and Delete disabled with the reason, and a refused read as a 403 panel', async () => {
    await ui.server.request('PUT', '/v1/sys/policies/acl/policy-lister', { body: { policy: 'path "sys/policies/acl" { capabilities = ["list"] }\npath "sys/policies/acl/default" { capabilities = ["read"] }' } });
    const token = (await ui.server.request('POST', '/v1/auth/token/create', { body: { policies: ['policy-lister'] } })).body.auth.client_token as string;
    const page = await ui.newPage({ allowConsoleErrors: [/status of 403/] });
    await ui.login(page, token);
    await page.goto(`${ui.uiUrl}#/policy/default`);
    await page.getByRole('heading', { name: 'Policy default' }).waitFor();
    const save = page.getByRole('button', { name: 'Save' });
    await page.waitForFunction(() => (document.querySelector('button.primary') as HTMLButtonElement | null)?.disabled === true);
    await waitForTitle(save, /update/);
    assert.equal(await page.getByRole('button', { name: 'Delete' }).isDisabled(), true);

    await page.goto(`${ui.uiUrl}#/policy/policy-lister`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent())!, /permission denied: read on sys\/policies\/acl\/policy-lister was refused/);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'policies-refused');
    ui.assertNoPageErrors(page);
  });
});
