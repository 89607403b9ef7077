/**
 * The KV browser in Chromium, continued: bulk `.env` edit of a folder (preview, per-secret CAS,
 * a conflict reported per secret), a folder of 10,000 keys (first page, paging, search), and a
 * read-only token (actions disabled with the reason, a refused folder shown as a 403 panel).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startBrowserHarness, uiSkipReason, type BrowserHarness, waitForTitle } from '../helpers/browser.js';

const skip = uiSkipReason();

describe('KV browser: bulk edit, big folders, read-only tokens', { skip }, () => {
  let ui: BrowserHarness;
  before(async () => {
    ui = await startBrowserHarness();
  });
  after(async () => {
    await ui?.close();
  });

  const api = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await ui.server.request(method, `/v1/${path}`, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };

  it('bulk-edits a folder as .env: diff preview, one CAS write per changed secret, a conflict reported per secret', async () => {
    await api('POST', 'secret/data/bulk/a', { data: { x: '1', y: '2' } });
    await api('POST', 'secret/data/bulk/b', { data: { k: 'v' } });
    await api('POST', 'secret/data/bulk/c', { data: { n: 5 } });
    await api('POST', 'secret/data/bulk/sub/deep', { data: { q: 'q' } });
    // The refused CAS write (400) is logged by Chromium: expected here.
    const page = await ui.newPage({ allowConsoleErrors: [/status of 400/] });
    await ui.login(page);
    await page.goto(`${ui.uiUrl}#/kv/secret/folder/bulk`);
    await page.getByRole('link', { name: 'Bulk edit as .env' }).click();
    const editor = page.getByLabel(/Folder as \.env/);
    await editor.waitFor();
    assert.equal(await editor.inputValue(), 'a__x=1\na__y=2\nb__k=v\n');
    await ui.checkA11y(page);
    await editor.fill('a__x=10\nb__k=v\nb__new="n n"\nd__z=z\n');
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const preview = page.getByRole('list', { name: 'Secrets that change' });
    await preview.waitFor();
    const text = await preview.innerText();
    assert.match(text, /a — new version \(check-and-set on version 1\): 1 removed, 1 changed/);
    assert.match(text, /b — new version \(check-and-set on version 1\): 1 added/);
    assert.match(text, /d — new secret: 1 added/);
    assert.doesNotMatch(text, /n n|10/, 'the preview names keys, not values');
    assert.match(await page.locator('main').innerText(), /c: key "n" is not a string/);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'kv-bulk-preview');
    // Someone changes b after the folder was loaded: its write must be refused, the others go through.
    await api('POST', 'secret/data/bulk/b', { data: { k: 'theirs' } });
    await page.getByRole('button', { name: 'Save 3 secrets' }).click();
    const results = page.getByRole('list', { name: 'Result per secret' });
    await results.waitFor();
    const r = await results.innerText();
    assert.match(r, /a: saved as version 2/);
    assert.match(r, /b: conflict — changed on the server since version 1/);
    assert.match(r, /d: saved as version 1/);
    assert.match(await page.getByRole('status').first().innerText(), /2 saved, 1 conflict\(s\), 0 error\(s\)/);
    assert.deepEqual((await api('GET', 'secret/data/bulk/a')).data.data, { x: '10' });
    assert.deepEqual((await api('GET', 'secret/data/bulk/b')).data.data, { k: 'theirs' }, 'the conflicting secret is not overwritten');
    assert.deepEqual((await api('GET', 'secret/data/bulk/d')).data.data, { z: 'z' });
    assert.deepEqual((await api('GET', 'secret/data/bulk/c')).data.data, { n: 5 });
    await ui.screenshot(page, 'kv-bulk-results');
    // A syntax error blocks saving and names the line.
    await page.getByRole('button', { name: 'Reload the folder' }).click();
    await editor.fill('a__x=1\nnot-a-pair\n');
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await page.getByText('line 2: expected KEY=value').waitFor();
    assert.equal(await page.getByRole('button', { name: /^Save \d+ secret/ }).isDisabled(), true);
    ui.assertNoPageErrors(page);
  });

  it('stays responsive on a folder of 10,000 keys: first page, paging and search', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const started = Date.now();
    const N = 10_000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < N) {
          const i = next++;
          const res = await ui.server.request('POST', `/v1/secret/data/big/key-${String(i).padStart(5, '0')}`, { body: { data: { v: String(i) } }, agent });
          assert.equal(res.status, 200);
        }
      }),
    );
    agent.destroy();
    const createMs = Date.now() - started;

    const page = await ui.newPage({ width: 390 });
    await ui.login(page);
    const t0 = Date.now();
    await page.goto(`${ui.uiUrl}#/kv/secret/folder/big`);
    const list = page.getByRole('list', { name: 'Keys 1 to 100' });
    await list.waitFor({ timeout: 10_000 });
    const firstPageMs = Date.now() - t0;
    assert.equal(await list.getByRole('listitem').count(), 100);
    assert.equal(await list.getByRole('link').first().innerText(), '🔑 key-00000');
    await ui.checkA11y(page);
    await ui.screenshot(page, 'kv-big-folder-390');
    // Paging follows the server's after/limit cursor.
    await page.getByRole('button', { name: 'Next page' }).click();
    const second = page.getByRole('list', { name: 'Keys 101 to 200' });
    await second.waitFor();
    assert.equal(await second.getByRole('link').first().innerText(), '🔑 key-00100');
    await page.getByRole('button', { name: 'Previous page' }).click();
    await list.waitFor();
    // Search: substring over the whole folder.
    const t1 = Date.now();
    await page.getByLabel('Search this folder').fill('0999');
    await page.getByText('11 matches for "0999"').waitFor({ timeout: 10_000 });
    const searchMs = Date.now() - t1;
    const found = page.getByRole('list', { name: 'Keys 1 to 11' });
    assert.deepEqual(
      (await found.getByRole('link').allInnerTexts()).map((s) => s.replace('🔑 ', '')),
      ['key-00999', ...Array.from({ length: 10 }, (_, i) => `key-0999${i}`)],
    );
    await page.getByLabel('Search this folder').fill('key-');
    await page.getByText('10000 matches for "key-"').waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByRole('list', { name: 'Keys 101 to 200' }).waitFor();
    assert.match(await page.locator('.kv-pager').innerText(), /Page 2 \(101–200 of 10000\)/);
    await ui.screenshot(page, 'kv-big-folder-search');
    ui.assertNoPageErrors(page);
    console.log(`# 10,000 keys: created in ${createMs} ms; first page in ${firstPageMs} ms; search in ${searchMs} ms`);
  });

  it('a read-only token sees write actions disabled with the reason, and a refused folder as a 403 panel', async () => {
    await api('POST', 'secret/data/ro/app', { data: { k: 'v' } });
    await api('POST', 'secret/data/ro/app', { data: { k: 'v2' } });
    await api('POST', 'sys/policies/acl/kv-ro', {
      policy: 'path "secret/data/ro/*" { capabilities = ["read"] }\npath "secret/metadata/ro/*" { capabilities = ["read", "list"] }\npath "secret/metadata/ro/" { capabilities = ["list"] }\n',
    });
    const token = (await api('POST', 'auth/token/create', { policies: ['kv-ro'] })).auth.client_token as string;
    const page = await ui.newPage({ allowConsoleErrors: [/status of 403/] });
    await ui.login(page, token);
    await page.goto(`${ui.uiUrl}#/kv/secret/folder/ro`);
    await page.getByRole('link', { name: /app$/ }).click();
    await page.getByRole('heading', { name: 'Versions', exact: true }).waitFor();
    const edit = page.getByRole('button', { name: 'Edit' });
    await page.waitForFunction(() => !document.body.innerText.includes('checking permissions'));
    for (const name of ['Edit', 'Delete latest version', 'Delete all versions and metadata', 'Save metadata']) {
      const b = page.getByRole('button', { name, exact: true });
      assert.equal(await b.isDisabled(), true, `${name} is disabled`);
      await waitForTitle(b, /your token \(policies: .*kv-ro.*\) lacks the "(update|delete)" capability on secret\/(data|metadata)\/ro\/app/, name);
    }
    await page.getByLabel('Select version 1').check();
    for (const name of ['Delete selected', 'Undelete selected', 'Destroy selected']) {
      const b = page.getByRole('button', { name, exact: true });
      assert.equal(await b.isDisabled(), true, `${name} is disabled`);
      await waitForTitle(b, /lacks the "update" capability on secret\/(delete|undelete|destroy)\/ro\/app/);
    }
    assert.equal(await edit.isDisabled(), true);
    // Reading still works: reveal and the versions diff.
    await page.getByRole('button', { name: 'Reveal k' }).click();
    await page.getByText('v2', { exact: true }).waitFor();
    await ui.checkA11y(page);
    await ui.screenshot(page, 'kv-read-only');
    // A folder outside the policy: the refusal is explained.
    await page.goto(`${ui.uiUrl}#/kv/secret/folder/bulk`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Permission denied[\s\S]*list on secret\/metadata\/bulk\/ was refused — your token's policies are .*kv-ro/);
    await ui.checkA11y(page);
    await ui.screenshot(page, 'kv-403');
    ui.assertNoPageErrors(page);
  });
});
