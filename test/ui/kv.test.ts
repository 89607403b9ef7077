/**
 * The KV browser in Chromium against a real server: browse, create/edit in each mode, reveal and
 * copy, versions + diff, delete/undelete/destroy, metadata, the check-and-set conflict view, and
 * KV v1. (Bulk edit, the 10,000-key folder and read-only tokens: kv-bulk.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBrowserHarness, uiSkipReason, type BrowserHarness } from '../helpers/browser.js';

const skip = uiSkipReason();

describe('KV browser', { skip }, () => {
  let ui: BrowserHarness;
  before(async () => {
    ui = await startBrowserHarness();
  });
  after(async () => {
    await ui?.close();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await ui.server.request(method, `/v1/${path}`, body === undefined ? {} : { body });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const open = async (page: Page, hash: string) => {
    await page.goto(`${ui.uiUrl}#${hash}`);
  };

  it('browses folders with a breadcrumb, creates secrets in each editor mode, reveals and copies', async () => {
    await api('POST', 'secret/data/app/db', { data: { user: 'app', password: 's3cr3t-db' } });
    await api('POST', 'secret/data/app/nested/deep', { data: { k: 'v' } });
    for (const width of [390, 1280]) {
      const page = await ui.newPage({ width });
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ui.server.url });
      await ui.login(page);
      await open(page, '/kv');
      await page.getByRole('link', { name: 'secret/' }).click();
      await page.getByRole('link', { name: /app\// }).click();
      await page.getByRole('heading', { name: /secret\/app\// }).waitFor();
      await page.getByRole('link', { name: /nested\// }).waitFor();
      await ui.checkA11y(page);
      await ui.screenshot(page, `kv-folder-${width}`);
      await page.getByRole('link', { name: /db$/ }).click();
      await page.getByRole('heading', { name: /app\/db/ }).waitFor();
      // Masked: the value is not in the page until revealed.
      const body = () => page.locator('main').innerText();
      assert.doesNotMatch(await body(), /s3cr3t-db/);
      await page.getByRole('button', { name: 'Copy password' }).click();
      await page.getByText('Copied').first().waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 's3cr3t-db');
      assert.doesNotMatch(await body(), /s3cr3t-db/, 'copy does not reveal');
      await page.getByRole('button', { name: 'Reveal password' }).click();
      await page.getByText('s3cr3t-db').waitFor();
      await ui.checkA11y(page);
      // Nothing wider than the viewport (tables scroll inside their own box).
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width, `no sideways scrolling at ${width} px`);
      await ui.screenshot(page, `kv-secret-${width}`);
      // JSON and .env views: masked until "Reveal all".
      await page.getByRole('button', { name: 'JSON', exact: true }).click();
      assert.match(await page.getByLabel('Secret as JSON').innerText(), /"password": "••••••••"/);
      await page.getByRole('button', { name: 'Reveal all' }).click();
      assert.match(await page.getByLabel('Secret as JSON').innerText(), /"password": "s3cr3t-db"/);
      await page.getByRole('button', { name: '.env', exact: true }).click();
      assert.match(await page.getByLabel('Secret as .env').innerText(), /password=s3cr3t-db/);
      await page.getByRole('link', { name: 'app', exact: true }).click();
      await page.getByRole('heading', { name: /secret\/app\// }).waitFor();
      // Breadcrumb back to the mount root.
      await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'secret' }).click();
      await page.getByRole('link', { name: /app\// }).waitFor();
      await ui.checkA11y(page);
      ui.assertNoPageErrors(page);
      await page.close();
    }

    const page = await ui.newPage();
    await ui.login(page);
    // Create in key/value mode.
    await open(page, '/kv/secret/new/app');
    await page.getByLabel('Secret name').fill('rows');
    await page.getByLabel('Key 1').fill('alpha');
    await page.getByLabel('Value 1').fill('one');
    await page.getByRole('button', { name: 'Add row' }).click();
    await page.getByLabel('Key 2').fill('beta');
    await page.getByLabel('Value 2').fill('two words');
    assert.equal(await page.getByLabel('Value 1').getAttribute('type'), 'password', 'values are masked while editing');
    await ui.checkA11y(page);
    await page.getByRole('button', { name: 'Create secret' }).click();
    await page.getByRole('heading', { name: /app\/rows/ }).waitFor();
    assert.deepEqual((await api('GET', 'secret/data/app/rows')).data.data, { alpha: 'one', beta: 'two words' });
    // Create in JSON mode (a non-string value survives).
    await open(page, '/kv/secret/new/app');
    await page.getByLabel('Secret name').fill('json');
    await page.getByRole('group', { name: 'Edit as' }).getByRole('button', { name: 'JSON' }).click();
    await page.getByLabel('Secret as JSON').fill('{"port": 5432, "host": "db.local"}');
    await page.getByRole('button', { name: 'Create secret' }).click();
    await page.getByRole('heading', { name: /app\/json/ }).waitFor();
    assert.deepEqual((await api('GET', 'secret/data/app/json')).data.data, { port: 5432, host: 'db.local' });
    // Editing it opens the JSON editor (key/value mode would turn 5432 into a string).
    await page.getByRole('button', { name: 'Edit' }).click();
    const jsonEditor = page.getByLabel('Secret as JSON');
    assert.deepEqual(JSON.parse(await jsonEditor.inputValue()), { port: 5432, host: 'db.local' });
    await jsonEditor.fill('{"port": 6432, "host": "db.local", "tls": true}');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2.').waitFor();
    assert.deepEqual((await api('GET', 'secret/data/app/json')).data.data, { port: 6432, host: 'db.local', tls: true });
    // Create in .env mode.
    await open(page, '/kv/secret/new/app');
    await page.getByLabel('Secret name').fill('env');
    await page.getByRole('group', { name: 'Edit as' }).getByRole('button', { name: '.env' }).click();
    await page.getByLabel(/Secret as \.env/).fill('# comment\nA=1\nB="quoted # not comment"\nC=\'single\'\n');
    await page.getByRole('button', { name: 'Create secret' }).click();
    await page.getByRole('heading', { name: /app\/env/ }).waitFor();
    assert.deepEqual((await api('GET', 'secret/data/app/env')).data.data, { A: '1', B: 'quoted # not comment', C: 'single' });
    // Edit: .env → key/value, switching modes keeps the draft.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('group', { name: 'Edit as' }).getByRole('button', { name: '.env' }).click();
    await page.getByLabel(/Secret as \.env/).fill('A=1\nB=changed\nD=new\n');
    await page.getByRole('group', { name: 'Edit as' }).getByRole('button', { name: 'Key/value' }).click();
    assert.equal(await page.getByLabel('Key 3').inputValue(), 'D');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2.').waitFor();
    assert.deepEqual((await api('GET', 'secret/data/app/env')).data.data, { A: '1', B: 'changed', D: 'new' });
    // A .env syntax error is shown with its line and nothing is saved.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('group', { name: 'Edit as' }).getByRole('button', { name: '.env' }).click();
    await page.getByLabel(/Secret as \.env/).fill('A=1\nbroken line\n');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('line 2: expected KEY=value').waitFor();
    assert.equal((await api('GET', 'secret/metadata/app/env')).data.current_version, 2);
    await ui.screenshot(page, 'kv-edit-env-error');
    ui.assertNoPageErrors(page);
  });

  it('lists versions, diffs any two, deletes, undeletes and destroys versions, edits metadata, deletes everything', async () => {
    await api('POST', 'secret/data/ver/s', { data: { a: '1', b: '2' } });
    await api('POST', 'secret/data/ver/s', { data: { a: '1', b: 'two', c: '3' } });
    await api('POST', 'secret/data/ver/s', { data: { b: 'two', c: '3' } });
    const page = await ui.newPage({ allowConsoleErrors: [/status of 404/] });
    await ui.login(page);
    await open(page, '/kv/secret/secret/ver/s');
    await page.getByRole('heading', { name: 'Versions', exact: true }).waitFor();
    // Diff v1 → v2: b changed, c added; values masked until revealed.
    await page.getByLabel('From version').selectOption('1');
    await page.getByLabel('To version').selectOption('2');
    await page.getByRole('button', { name: 'Compare' }).click();
    const diff = page.locator('.kv-diff');
    await diff.waitFor();
    const diffText = await diff.innerText();
    assert.match(diffText, /1 added, 1 changed/);
    assert.doesNotMatch(diffText, /two/);
    await diff.getByRole('button', { name: 'Reveal values' }).click();
    assert.match(await diff.innerText(), /b\s+changed\s+2\s+two/);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'kv-versions-diff');

    // Soft-delete v3 (latest), then v1 by selection; undelete v3; destroy v1.
    await page.getByRole('button', { name: 'Delete latest version' }).click();
    await page.getByText('Version 3 deleted').waitFor();
    await page.getByText(/The latest version \(3\) is deleted/).waitFor();
    await page.getByLabel('Select version 1').check();
    await page.getByRole('button', { name: 'Delete selected', exact: true }).click();
    await page.getByText('Deleted version 1.').waitFor();
    let md = (await api('GET', 'secret/metadata/ver/s')).data;
    assert.ok(md.versions['1'].deletion_time && md.versions['3'].deletion_time);
    await page.getByLabel('Select version 3').check();
    await page.getByRole('button', { name: 'Undelete selected' }).click();
    await page.getByText('Undeleted version 3.').waitFor();
    await page.getByRole('heading', { name: /version 3/ }).waitFor();
    await page.getByLabel('Select version 1').check();
    await page.getByRole('button', { name: 'Destroy selected' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Type .* to confirm/).fill('ver/s');
    await dialog.getByRole('button', { name: 'Destroy' }).click();
    await page.getByText('Destroyed version 1.').waitFor();
    md = (await api('GET', 'secret/metadata/ver/s')).data;
    assert.equal(md.versions['1'].destroyed, true);
    assert.equal(md.versions['3'].deletion_time, '');

    // Metadata editor.
    await page.getByLabel('Max versions').fill('5');
    await page.getByLabel('Require check-and-set on writes').check();
    await page.getByLabel('Delete versions after').fill('768h');
    await page.getByLabel(/Custom metadata/).fill('owner=team-a\nticket="ABC 1"\n');
    await page.getByRole('button', { name: 'Save metadata' }).click();
    await page.getByText('Metadata saved.').waitFor();
    md = (await api('GET', 'secret/metadata/ver/s')).data;
    assert.equal(md.max_versions, 5);
    assert.equal(md.cas_required, true);
    assert.equal(md.delete_version_after, '768h0m0s');
    assert.deepEqual(md.custom_metadata, { owner: 'team-a', ticket: 'ABC 1' });
    await ui.screenshot(page, 'kv-metadata');

    // Delete all versions and metadata, with confirmation.
    await page.getByRole('button', { name: 'Delete all versions and metadata' }).click();
    await page.getByRole('dialog').getByLabel(/Type .* to confirm/).fill('ver/s');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete everything' }).click();
    await page.getByRole('heading', { name: /secret\/ver\// }).waitFor();
    const gone = await ui.server.request('GET', '/v1/secret/metadata/ver/s');
    assert.equal(gone.status, 404);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'kv-after-delete-all');
    ui.assertNoPageErrors(page);
  });

  it('shows a check-and-set conflict with the diff when another browser saved first, and re-bases', async () => {
    await api('POST', 'secret/data/shared/cfg', { data: { a: '1', b: '2', c: '3' } });
    const pages: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const p = await ui.newPage({ allowConsoleErrors: [/status of 400/] });
      await ui.login(p);
      await open(p, '/kv/secret/secret/shared/cfg');
      await p.getByRole('button', { name: 'Edit' }).click();
      pages.push(p);
    }
    const [first, second] = pages as [Page, Page];
    // First browser: changes a, saves (version 2).
    await first.getByLabel('Value 1').fill('first');
    await first.getByRole('button', { name: 'Save', exact: true }).click();
    await first.getByText('Saved as version 2.').waitFor();
    // Second browser, still based on version 1: changes b and removes c.
    await second.getByLabel('Value 2').fill('second');
    await second.getByRole('button', { name: 'Remove row 3' }).click();
    await second.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = second.locator('.kv-conflict');
    await conflict.getByRole('heading', { name: /Conflict: someone saved version 2 after you loaded version 1/ }).waitFor();
    const text = await conflict.innerText();
    assert.match(text, /Changed on the server \(version 1 → 2\): 1 changed/);
    assert.match(text, /Your edit \(compared with what you loaded\): 1 removed, 1 changed/);
    assert.doesNotMatch(text, /first|second/, 'values stay masked');
    assert.deepEqual((await api('GET', 'secret/data/shared/cfg')).data.data, { a: 'first', b: '2', c: '3' }, 'nothing overwritten');
    await ui.checkA11y(second);
    await ui.screenshot(second, 'kv-conflict');
    // Re-base: the user's changes on top of version 2, then save with cas=2.
    await second.getByRole('button', { name: 'Re-base my edit on version 2' }).click();
    await second.getByText(/Re-based on version 2/).waitFor();
    await second.getByRole('button', { name: 'Save', exact: true }).click();
    await second.getByText('Saved as version 3.').waitFor();
    assert.deepEqual((await api('GET', 'secret/data/shared/cfg')).data.data, { a: 'first', b: 'second' });
    ui.assertNoPageErrors(first);
    ui.assertNoPageErrors(second);
  });

  it('works on a KV v1 mount (no versions): create, view, edit, delete', async () => {
    await api('POST', 'sys/mounts/old', { type: 'kv', options: { version: '1' } });
    await api('POST', 'old/team/one', { token: 'abc' });
    // Deleting the folder's only secret leaves an empty folder: its LIST answers 404.
    const page = await ui.newPage({ width: 390, allowConsoleErrors: [/status of 404/] });
    await ui.login(page);
    await open(page, '/kv/old');
    await page.getByText('KV v1').first().waitFor();
    await page.getByRole('link', { name: /team\// }).click();
    await page.getByRole('link', { name: /one$/ }).click();
    await page.getByRole('button', { name: 'Reveal token' }).click();
    await page.getByText('abc').waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Versions', exact: true }).count(), 0);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Value 1').fill('xyz');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    assert.deepEqual((await api('GET', 'old/team/one')).data, { token: 'xyz' });
    await ui.checkA11y(page);
    await ui.screenshot(page, 'kv-v1-390');
    await page.getByRole('button', { name: 'Delete secret' }).click();
    await page.getByRole('dialog').getByLabel(/Type .* to confirm/).fill('team/one');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: /old\/team\// }).waitFor();
    assert.equal((await ui.server.request('GET', '/v1/old/team/one')).status, 404);
    ui.assertNoPageErrors(page);
  });
});
