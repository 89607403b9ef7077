/**
 * The Key Vault flow entirely in the browser, checked with the real Azure SDK: on an HTTPS dev
 * server (throwaway CA, the Key Vault front needs TLS) the page creates a vault, a secret, a
 * service principal (its client id and secret are copied from the page through the clipboard)
 * and an access policy granting it get/list on secrets; then this test reads the secret with
 * `@azure/keyvault-secrets` + `ClientSecretCredential` (tenant adfs, authority host = the server)
 * at `https://<v>.vault.localhost:<port>`, and is refused a write (no set permission).
 *
 * The SDK runs in this process: an https.Agent trusting the test CA and resolving `*.localhost`
 * to 127.0.0.1 is put on every SDK request by a pipeline policy (the SDK child-process harness of
 * test/azure does the same with NODE_EXTRA_CA_CERTS and a DNS shim).
 */
import assert from 'node:assert/strict';
import dns, { type LookupAddress } from 'node:dns';
import { mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { CHROMIUM, REPO_ROOT, uiSkipReason } from '../helpers/browser.js';
import { startTlsServer, type TlsServer } from '../azure/fixtures/harness.js';

const skip = uiSkipReason();

/** Resolves `*.localhost` to 127.0.0.1 (RFC 6761; this machine's resolver does not), anything else as usual. */
function localhostLookup(hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void {
  if (/(^|\.)localhost\.?$/i.test(hostname)) {
    if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dns.lookup(hostname, options, callback as never);
}

describe('web UI: the Key Vault flow in the browser, read back with the Azure SDK', { skip }, () => {
  let s: TlsServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    s = await startTlsServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'], headless: true, timeout: 60_000 });
    // The dev certificate is the test CA's: the browser is told to accept it (the SDK trusts the CA itself).
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `https://localhost:${s.port}` });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      // An empty Vault-style list is a 404 (the Azure identities lists before the first one).
      if (m.type() === 'error' && !/status of 404 .*\/v1\/auth\/azure\/(?:sp|identity)\/\?list=true/.test(`${m.text()} ${m.location().url}`)) errors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await s?.close();
  });

  // The UI on the same TLS listener as the Key Vault front (Host localhost: not a vault host).
  const go = (hash: string) => page.goto(`https://localhost:${s.port}/ui/#${hash}`);
  const check = async (name: string) => {
    await page.evaluate(axe.source);
    const result = (await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }))) as axe.AxeResults;
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.impact} ${v.id}: ${v.help}`), [], `axe-core violations on ${page.url()}`);
    mkdirSync(join(REPO_ROOT, 'test-results', 'ui'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-results', 'ui', `${name}.png`), fullPage: true });
    assert.deepEqual(errors.splice(0), [], `console errors on ${page.url()}`);
  };
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

  it('vault, secret, service principal and access policy made in the page; the SDK reads the secret with the copied credential', async () => {
    await go('/login');
    await page.getByLabel('Token', { exact: true }).fill(s.rootToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('banner').getByRole('button', { name: 'Log out' }).waitFor();

    // 1. A vault.
    await go('/keyvault');
    await page.getByLabel('Vault name').fill('sdk-vault');
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByRole('link', { name: 'sdk-vault' }).click();
    await page.getByRole('heading', { name: 'Vault sdk-vault' }).waitFor();
    await page.getByText(`https://sdk-vault.vault.localhost:${s.port}`).waitFor();

    // 2. A secret.
    await page.getByLabel('Secret name').fill('conn-string');
    await page.getByLabel('Value', { exact: true }).fill('Server=db;Password=from-the-browser');
    await page.getByLabel('Content type').fill('text/plain');
    await page.getByRole('button', { name: 'Set secret' }).click();
    await page.getByRole('heading', { name: /Secret conn-string/ }).waitFor();
    await check('keyvault-sdk-secret');

    // 3. A service principal: client id and secret copied from the page.
    await go('/azure-identities');
    await page.getByLabel('Display name').fill('sdk-app');
    await page.getByRole('button', { name: 'Create service principal' }).click();
    const once = page.getByRole('region', { name: 'New client secret' });
    await once.waitFor();
    await once.getByRole('button', { name: 'Copy client id' }).click();
    const clientId = await clipboard();
    await once.getByRole('button', { name: 'Copy', exact: true }).click();
    const clientSecret = await clipboard();
    await once.getByRole('button', { name: 'Copy tenant' }).click();
    const tenant = await clipboard();
    assert.equal(tenant, 'adfs');
    assert.match(clientId, /^[0-9a-f-]{36}$/);
    assert.ok(clientSecret.length >= 16);
    assert.equal((await page.content()).includes(clientSecret), false, 'the client secret was copied without being shown');
    await check('keyvault-sdk-principal');
    await once.getByRole('button', { name: 'I have copied it' }).click();

    // 4. An access policy: secrets get + list for that principal.
    await go('/keyvault/sdk-vault/access');
    const option = page.locator('#kv-add-principal option', { hasText: clientId });
    await option.waitFor({ state: 'attached' });
    await page.getByLabel('Principal to add').selectOption((await option.getAttribute('value'))!);
    await page.getByRole('button', { name: 'Add principal' }).click();
    const label = `sdk-app (service principal ${clientId})`;
    await page.getByLabel(`secrets get for ${label}`).check();
    await page.getByLabel(`secrets list for ${label}`).check();
    await page.getByRole('button', { name: /Save access policies/ }).click();
    await page.getByRole('status').filter({ hasText: 'Saved 1 access policy.' }).waitFor();
    await check('keyvault-sdk-access');

    // 5. The real SDK, with the credential taken from the page.
    const agent = new https.Agent({ ca: readFileSync(s.caFile), lookup: localhostLookup as never, keepAlive: false });
    const withAgent: PipelinePolicy = { name: 'test-ca-agent', sendRequest: (req, next) => { req.agent = agent; return next(req); } };
    const credential = new ClientSecretCredential(tenant, clientId, clientSecret, { authorityHost: s.authority, additionalPolicies: [{ policy: withAgent, position: 'perCall' }] });
    const client = new SecretClient(s.vaultUrl('sdk-vault'), credential, { additionalPolicies: [{ policy: withAgent, position: 'perCall' }] });
    const got = await client.getSecret('conn-string');
    assert.equal(got.value, 'Server=db;Password=from-the-browser');
    assert.equal(got.properties.contentType, 'text/plain');
    assert.equal(got.properties.vaultUrl, s.vaultUrl('sdk-vault'));
    const names: string[] = [];
    for await (const p of client.listPropertiesOfSecrets()) names.push(p.name);
    assert.deepEqual(names, ['conn-string']);
    // get/list only: a write is refused, naming the missing permission.
    await assert.rejects(client.setSecret('conn-string', 'nope'), (err: { statusCode?: number; message?: string }) => {
      assert.equal(err.statusCode, 403);
      assert.match(String(err.message), /does not have secrets set permission/);
      return true;
    });
    agent.destroy();
  });
});
