/**
 * Dev TLS: the generated CA and server certificate work for a real https server and
 * tls.connect with `ca` = the CA, for every wanted name, and fail for other names.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devTlsInstructions, ensureDevTls, loadX509, type DevTlsMaterial } from '../../src/server/dev-tls.js';

let dir: string;
let material: DevTlsMaterial;
let server: https.Server;
let port: number;
let ca: Buffer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-devtls-'));
  material = await ensureDevTls({ dir, baseDomain: 'vault.localhost', extraNames: ['myvault.example.test'] });
  ca = readFileSync(material.caFile);
  server = https.createServer({ cert: material.cert, key: material.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Connect to the server at 127.0.0.1 presenting `servername` (SNI and identity check); resolves to the error code or 'ok'. */
function connect(servername: string | undefined, host = '127.0.0.1', trust: Buffer = ca): Promise<string> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host, port, ca: trust, servername }, () => {
      sock.end();
      resolve('ok');
    });
    sock.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

test('a first call creates the CA and the certificate; keys are 0600', () => {
  assert.equal(material.created, true);
  assert.equal(statSync(material.keyFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'ca-key.pem')).mode & 0o777, 0o600);
  assert.equal(statSync(material.keyFile).mode & 0o077, 0);
  assert.match(material.key.toString(), /^-----BEGIN PRIVATE KEY-----/);
  assert.doesNotMatch(readFileSync(material.certFile, 'utf8'), /PRIVATE KEY/);
  assert.doesNotMatch(readFileSync(material.caFile, 'utf8'), /PRIVATE KEY/);
});

test('the CA is a 10-year CA; the leaf lasts at most 397 days and is signed by it', () => {
  const caCert = new X509Certificate(ca);
  const leaf = new X509Certificate(material.cert);
  assert.equal(caCert.ca, true);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.verify(caCert.publicKey));
  const caDays = (Date.parse(caCert.validTo) - Date.parse(caCert.validFrom)) / 86_400_000;
  const leafDays = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000;
  assert.ok(caDays >= 3649 && caDays <= 3651, `CA lifetime ${caDays} days`);
  assert.ok(leafDays <= 397 && leafDays > 300, `leaf lifetime ${leafDays} days`);
  assert.match(leaf.subjectAltName ?? '', /DNS:\*\.vault\.localhost/);
  assert.equal(leaf.checkIP('::1'), '::1');
  assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
  // Node's `keyUsage` is the extended key usage list.
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
});

test('the CA carries keyCertSign (critical) and basicConstraints CA', async () => {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.toString("utf8"));
  const ku = caCert.getExtension(x509.KeyUsagesExtension);
  assert.ok(ku && ku.critical);
  assert.ok((ku.usages & x509.KeyUsageFlags.keyCertSign) !== 0);
  const bc = caCert.getExtension(x509.BasicConstraintsExtension);
  assert.ok(bc && bc.ca && bc.critical);
  const leafKu = new x509.X509Certificate(material.cert.toString("utf8")).getExtension(x509.KeyUsagesExtension);
  assert.ok(leafKu && (leafKu.usages & x509.KeyUsageFlags.keyCertSign) === 0);
});

test('https verifies for localhost, 127.0.0.1, the base domain, a vault host under it and extra names', async () => {
  assert.equal(await connect('localhost'), 'ok');
  assert.equal(await connect(undefined), 'ok'); // no SNI: Node checks the host, 127.0.0.1
  assert.equal(await connect('x.vault.localhost'), 'ok');
  assert.equal(await connect('vault.localhost'), 'ok');
  assert.equal(await connect('myvault.example.test'), 'ok');
  const body = await new Promise<string>((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/', ca, servername: 'team-x.vault.localhost' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  assert.equal(body, 'ok');
});

test('names outside the SANs and an untrusted CA fail verification', async () => {
  assert.equal(await connect('evil.example.com'), 'ERR_TLS_CERT_ALTNAME_INVALID');
  // A wildcard covers one label only.
  assert.equal(await connect('a.b.vault.localhost'), 'ERR_TLS_CERT_ALTNAME_INVALID');
  assert.equal(await connect('other.localhost'), 'ERR_TLS_CERT_ALTNAME_INVALID');
  const otherDir = mkdtempSync(join(tmpdir(), 'coffer-devtls-other-'));
  try {
    const other = await ensureDevTls({ dir: otherDir, baseDomain: 'vault.localhost' });
    assert.equal(await connect('localhost', '127.0.0.1', readFileSync(other.caFile)), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  } finally {
    rmSync(otherDir, { recursive: true, force: true });
  }
});

test('a second call reuses the files; a new name re-issues only the leaf; keys are re-tightened', async () => {
  const again = await ensureDevTls({ dir, baseDomain: 'VAULT.localhost', extraNames: ['myvault.example.test'] });
  assert.equal(again.created, false);
  assert.deepEqual(again.cert, material.cert);
  assert.deepEqual(again.key, material.key);

  const caBefore = readFileSync(material.caFile);
  const wider = await ensureDevTls({ dir, baseDomain: 'vault.localhost', extraNames: ['10.1.2.3'] });
  assert.equal(wider.created, true);
  assert.notDeepEqual(wider.cert, material.cert);
  assert.deepEqual(readFileSync(material.caFile), caBefore, 'the CA users already trust is kept');
  assert.equal(new X509Certificate(wider.cert).checkIP('10.1.2.3'), '10.1.2.3');
  assert.ok(new X509Certificate(wider.cert).verify(new X509Certificate(caBefore).publicKey));

  // Near the end of its life the leaf is re-issued (same CA).
  const later = await ensureDevTls({ dir, baseDomain: 'vault.localhost', extraNames: ['10.1.2.3'], now: () => Date.now() + 380 * 86_400_000 });
  assert.equal(later.created, true);
  assert.deepEqual(readFileSync(material.caFile), caBefore);

  // A key file made readable by others is tightened back to 0600.
  chmodSync(later.keyFile, 0o644);
  await ensureDevTls({ dir, baseDomain: 'vault.localhost', extraNames: ['10.1.2.3'], now: () => Date.now() + 380 * 86_400_000 });
  assert.equal(statSync(later.keyFile).mode & 0o777, 0o600);
});

test('a corrupt or foreign server key makes the leaf be re-issued', async () => {
  const d = mkdtempSync(join(tmpdir(), 'coffer-devtls-corrupt-'));
  try {
    const first = await ensureDevTls({ dir: d, baseDomain: 'vault.localhost' });
    writeFileSync(first.keyFile, 'garbage');
    const second = await ensureDevTls({ dir: d, baseDomain: 'vault.localhost' });
    assert.equal(second.created, true);
    assert.match(second.key.toString(), /BEGIN PRIVATE KEY/);
    assert.ok(new X509Certificate(second.cert).checkPrivateKey(createPrivateKey(second.key)));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a base domain of one label, an IP or a bad name is refused with a clear error', async () => {
  await assert.rejects(ensureDevTls({ dir, baseDomain: 'localhost' }), /one label: use two or more, e\.g\. vault\.localhost/);
  await assert.rejects(ensureDevTls({ dir, baseDomain: '127.0.0.1' }), /IP address/);
  await assert.rejects(ensureDevTls({ dir, baseDomain: 'bad_name.test' }), /not a valid DNS name/);
  await assert.rejects(ensureDevTls({ dir, baseDomain: 'vault.localhost', extraNames: ['*.localhost'] }), /wildcard/);
});

test('devTlsInstructions prints the CA, hosts and Azure lines', () => {
  const lines = devTlsInstructions({ caFile: '/tmp/coffer tls/ca.pem', baseDomain: 'vault.localhost', port: 8200, vaults: ['MyVault', 'other'] });
  assert.ok(lines.includes("export NODE_EXTRA_CA_CERTS='/tmp/coffer tls/ca.pem'"));
  assert.ok(lines.includes('127.0.0.1 vault.localhost myvault.vault.localhost other.vault.localhost'));
  assert.ok(lines.includes('export AZURE_AUTHORITY_HOST=https://vault.localhost:8200'));
  assert.ok(lines.includes('export AZURE_TENANT_ID=adfs'));
  assert.ok(devTlsInstructions({ caFile: '/ca.pem', baseDomain: 'vault.localhost', port: 443 }).includes('export AZURE_AUTHORITY_HOST=https://vault.localhost'));
  assert.throws(() => devTlsInstructions({ caFile: '/ca.pem', baseDomain: 'localhost', port: 8200 }), /one label/);
});

test('coffer server --dev-tls serves HTTPS with the development CA', async () => {
  const { runServer } = await import('../../src/server/run.js');
  const persist = join(dir, 'devtls-persist');
  const server = await runServer({ devTls: true, devPersist: persist, devListenAddress: '127.0.0.1:0', quiet: true, logLevel: 'silent' });
  try {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const caPem = readFileSync(join(persist, 'tls', 'ca.pem'));
    const port = Number(new URL(server.url).port);
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, path: '/v1/sys/health', servername: 'localhost', ca: caPem }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(JSON.parse(body).sealed, false);
  } finally {
    await server.close();
  }
});
