/**
 * The /ui/ static front on its own (no browser, no build needed): a temporary "built" UI
 * directory served through fastify's inject — caching, SPA fallback, traversal, the not-built answer.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import { UI_CSP, registerUi } from '../../src/api/ui/index.js';

const root = mkdtempSync(join(tmpdir(), 'coffer-ui-'));
const dist = join(root, 'ui');
mkdirSync(join(dist, 'assets'), { recursive: true });
writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
writeFileSync(join(dist, 'assets', 'index-abc123.css'), 'body{}');
writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
writeFileSync(join(root, 'secret.txt'), 'outside');
after(() => rmSync(root, { recursive: true, force: true }));

function app(dir: string) {
  const a = Fastify({ exposeHeadRoutes: false });
  registerUi(a, { dir });
  return a;
}

describe('/ui/ static files', () => {
  const ui = app(dist);

  it('serves files with their type, the CSP and the right caching', async () => {
    const cases: [string, RegExp, string][] = [
      ['/ui/', /^text\/html/, 'no-store'],
      ['/ui/index.html', /^text\/html/, 'no-store'],
      ['/ui/assets/index-abc123.js', /^text\/javascript/, 'public, max-age=31536000, immutable'],
      ['/ui/assets/index-abc123.css', /^text\/css/, 'public, max-age=31536000, immutable'],
      ['/ui/favicon.svg', /^image\/svg\+xml/, 'no-cache'],
    ];
    for (const [url, type, cache] of cases) {
      const res = await ui.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), type, url);
      assert.equal(res.headers['cache-control'], cache, url);
      assert.equal(res.headers['content-security-policy'], UI_CSP, url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
    }
    const head = await ui.inject({ method: 'HEAD', url: '/ui/assets/index-abc123.js' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  it('answers client routes with the app and missing assets with 404', async () => {
    const route = await ui.inject({ method: 'GET', url: '/ui/secrets/secret/app?x=1' });
    assert.equal(route.statusCode, 200);
    assert.match(route.body, /id="root"/);
    for (const url of ['/ui/assets/missing.js', '/ui/nope.css']) {
      const res = await ui.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.headers['content-security-policy'], UI_CSP);
    }
  });

  it('refuses every way out of the directory', async () => {
    for (const url of ['/ui/../secret.txt', '/ui/..%2fsecret.txt', '/ui/%2e%2e/secret.txt', '/ui/%2E%2E%2Fsecret.txt', '/ui/assets/..%5c..%5csecret.txt', '/ui/x%00.js']) {
      const res = await ui.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, `${url}: ${res.statusCode}`);
      assert.doesNotMatch(res.body, /outside/, url);
    }
    // Malformed percent-encoding is refused before routing (fastify: 400).
    const bad = await ui.inject({ method: 'GET', url: '/ui/%zz' });
    assert.ok(bad.statusCode >= 400 && bad.statusCode < 500, String(bad.statusCode));
  });

  it('redirects / and /ui to /ui/', async () => {
    for (const url of ['/', '/ui']) {
      const res = await ui.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 302, url);
      assert.equal(res.headers.location, '/ui/');
    }
  });

  it('says how to build the UI when it is not built', async () => {
    const res = await app(join(root, 'not-built')).inject({ method: 'GET', url: '/ui/' });
    assert.equal(res.statusCode, 404);
    assert.match(res.body, /run `npm run build`/);
  });
});
