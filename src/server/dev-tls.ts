/**
 * Development TLS: a local CA and a server certificate signed by it, so that Azure SDK clients
 * (which refuse plain http and need a vault host name under a base domain) can reach a dev
 * server with nothing more than `NODE_EXTRA_CA_CERTS=<ca.pem>`.
 *
 * The CA is kept across runs (users trust it once); the server certificate is re-issued when it
 * is about to expire, was not signed by the CA, or lacks a name that is now wanted.
 */
import { X509Certificate as NodeX509, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { ConfigError } from './config.js';
import { normalizeBaseDomain as validateBaseDomain } from '../api/azure/host.js';

/** Options of ensureDevTls. */
export interface DevTlsOptions {
  /** Directory that holds the CA and the server certificate (created with mode 0700). */
  dir: string;
  /** Base domain of vault host names, at least two labels (e.g. `vault.localhost`). */
  baseDomain: string;
  /** More SANs for the server certificate: DNS names (`*.x.example`) or IP addresses. */
  extraNames?: readonly string[];
  /** Tests: the current time in unix milliseconds. */
  now?: () => number;
}

/** The dev TLS material: file paths and the server's PEM certificate and key. */
export interface DevTlsMaterial {
  /** PEM server certificate (leaf only). */
  certFile: string;
  /** PEM PKCS#8 server key (mode 0600). */
  keyFile: string;
  /** PEM CA certificate: what clients trust (`NODE_EXTRA_CA_CERTS`). */
  caFile: string;
  /** Contents of certFile. */
  cert: Buffer;
  /** Contents of keyFile. */
  key: Buffer;
  /** True when any file was (re)written by this call. */
  created: boolean;
}

const DAY = 86_400_000;
/** CA lifetime: 10 years. */
const CA_DAYS = 3650;
/** Server certificate lifetime: the 397-day ceiling browsers and Apple platforms enforce. */
const LEAF_DAYS = 397;
/** Re-issue a certificate that expires within this many days (a server may run for weeks). */
const RENEW_DAYS = 30;
/** Back-date notBefore a little so a client with a slow clock still accepts a fresh certificate. */
const BACKDATE_MS = 60 * 60 * 1000;

const FILES = { caCert: 'ca.pem', caKey: 'ca-key.pem', cert: 'server.pem', key: 'server-key.pem' } as const;

const EC_PARAMS = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The shared base-domain rules (api/azure/host.ts), reported as a configuration error. */
export function normalizeBaseDomain(raw: string): string {
  try {
    return validateBaseDomain(raw);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Validates one extra SAN: an IP address, a DNS name, or a wildcard of three or more labels. */
function normalizeExtraName(raw: string): string {
  const n = raw.trim().toLowerCase().replace(/\.$/, '');
  if (isIP(n) !== 0) return n;
  const wildcard = n.startsWith('*.');
  const labels = (wildcard ? n.slice(2) : n).split('.');
  if (n === '' || labels.some((l) => !LABEL.test(l))) {
    throw new ConfigError(`invalid extra TLS name "${raw}": use a DNS name (e.g. myvault.vault.localhost) or an IP address`);
  }
  if (wildcard && labels.length < 2) {
    throw new ConfigError(`invalid extra TLS name "${raw}": a wildcard needs two or more labels after "*." (TLS clients reject *.${labels[0]})`);
  }
  return n;
}

/** The SANs the server certificate must carry. */
function wantedNames(baseDomain: string, extra: readonly string[]): { dns: string[]; ips: string[] } {
  const all = ['localhost', '127.0.0.1', '::1', `*.${baseDomain}`, baseDomain, ...extra.map(normalizeExtraName)];
  const dns: string[] = [];
  const ips: string[] = [];
  for (const n of all) {
    const list = isIP(n) !== 0 ? ips : dns;
    if (!list.includes(n)) list.push(n);
  }
  return { dns, ips };
}

/**
 * @peculiar/x509 registers its algorithms through tsyringe, which refuses to load unless a
 * `reflect-metadata`-style API exists. Coffer has no other use for that polyfill, so install the
 * four functions tsyringe and tslib's decorator helpers call (only when none is present).
 */
function installReflectMetadata(): void {
  const R = Reflect as unknown as Record<string, unknown>;
  if (typeof R.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, Map<unknown, unknown>>>();
  const table = (target: object, prop: unknown, create: boolean): Map<unknown, unknown> | undefined => {
    let byProp = store.get(target);
    if (!byProp) {
      if (!create) return undefined;
      byProp = new Map();
      store.set(target, byProp);
    }
    let t = byProp.get(prop);
    if (!t && create) {
      t = new Map();
      byProp.set(prop, t);
    }
    return t;
  };
  const getOwn = (key: unknown, target: object, prop?: unknown): unknown => table(target, prop, false)?.get(key);
  const hasOwn = (key: unknown, target: object, prop?: unknown): boolean => table(target, prop, false)?.has(key) ?? false;
  const define = (key: unknown, value: unknown, target: object, prop?: unknown): void => void table(target, prop, true)!.set(key, value);
  const get = (key: unknown, target: object, prop?: unknown): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      if (hasOwn(key, t, prop)) return getOwn(key, t, prop);
    }
    return undefined;
  };
  Object.assign(R, {
    defineMetadata: define,
    getOwnMetadata: getOwn,
    hasOwnMetadata: hasOwn,
    getMetadata: get,
    hasMetadata: (key: unknown, target: object, prop?: unknown) => get(key, target, prop) !== undefined,
    metadata: (key: unknown, value: unknown) => (target: object, prop?: unknown) => define(key, value, target, prop),
  });
}

let x509Promise: Promise<typeof X509> | undefined;

/**
 * Loads @peculiar/x509 once, with its prerequisites: a reflect-metadata API (tsyringe refuses to
 * load without one) and Node's webcrypto as its crypto provider. Import the library through this,
 * never statically.
 */
export function loadX509(): Promise<typeof X509> {
  x509Promise ??= (async () => {
    installReflectMetadata();
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return x509Promise;
}

/** A random positive 128-bit serial number (hex), as CAs must use unpredictable serials. */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

/** Writes a file atomically (temp file + rename) with `mode`. */
function writeFileAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw new ConfigError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A key file others can read is tightened to 0600 (it may have been copied in loosely). */
function tightenKeyFile(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // missing files are handled by the callers
  }
}

function parseCert(pem: string | undefined): NodeX509 | undefined {
  if (!pem) return undefined;
  try {
    return new NodeX509(pem);
  } catch {
    return undefined;
  }
}

/** True when `cert` (PEM) matches the private key `keyPem`. */
function keyMatches(cert: NodeX509, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Not yet expired (with the renewal margin) and already valid. */
function inValidity(cert: NodeX509, now: number): boolean {
  return Date.parse(cert.validFrom) <= now + BACKDATE_MS && Date.parse(cert.validTo) > now + RENEW_DAYS * DAY;
}

/** The DNS SANs of a certificate, lower-cased. */
function dnsSans(cert: NodeX509): Set<string> {
  const out = new Set<string>();
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) out.add(part.slice(4).toLowerCase());
  }
  return out;
}

/** Whether a reusable CA is on disk (valid, a CA, its key present and matching). */
function usableCa(caPem: string | undefined, caKeyPem: string | undefined, now: number): NodeX509 | undefined {
  const ca = parseCert(caPem);
  if (!ca || !ca.ca || !inValidity(ca, now) || !keyMatches(ca, caKeyPem)) return undefined;
  return ca;
}

/** Whether the server certificate on disk can be reused for `names` under `ca`. */
function usableLeaf(ca: NodeX509, certPem: string | undefined, keyPem: string | undefined, names: { dns: string[]; ips: string[] }, now: number): boolean {
  const leaf = parseCert(certPem);
  if (!leaf || leaf.ca || !inValidity(leaf, now) || !keyMatches(leaf, keyPem)) return false;
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return false;
  const have = dnsSans(leaf);
  if (names.dns.some((n) => !have.has(n))) return false;
  return names.ips.every((ip) => leaf.checkIP(ip) !== undefined);
}

async function exportKeyPem(x509: typeof X509, key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function importKey(x509: typeof X509, pem: string): Promise<CryptoKey> {
  return (await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), EC_PARAMS, false, ['sign'])) as CryptoKey;
}

/** Creates a CA: self-signed, 10 years, basicConstraints CA (path length 0), keyCertSign + cRLSign. */
async function createCa(x509: typeof X509, now: number): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC_PARAMS, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now - BACKDATE_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    // A random suffix tells two developers' CAs apart in trust stores.
    name: `CN=Coffer Development CA ${randomBytes(4).toString('hex')}, O=Coffer (development only)`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_DAYS * DAY),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(x509, keys.privateKey) };
}

/** Creates a server certificate for `names`, signed by the CA. */
async function createLeaf(
  x509: typeof X509,
  caPem: string,
  caKeyPem: string,
  names: { dns: string[]; ips: string[] },
  now: number,
): Promise<{ certPem: string; keyPem: string }> {
  const ca = new x509.X509Certificate(caPem);
  const caKey = await importKey(x509, caKeyPem);
  const keys = (await webcrypto.subtle.generateKey(EC_PARAMS, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now - BACKDATE_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${names.dns.find((n) => !n.startsWith('*.')) ?? 'localhost'}`,
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + LEAF_DAYS * DAY),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(x509, keys.privateKey) };
}

/**
 * Creates, or reuses when present and still valid for the wanted names, a local CA and a server
 * certificate in `dir`. SANs: `localhost`, `127.0.0.1`, `::1`, `*.<baseDomain>`, `<baseDomain>`
 * and `extraNames`. Keys are ECDSA P-256 and stored with mode 0600; certificates with 0644.
 * Throws ConfigError for a base domain of one label or a file that cannot be written.
 */
export async function ensureDevTls(options: DevTlsOptions): Promise<DevTlsMaterial> {
  const baseDomain = normalizeBaseDomain(options.baseDomain);
  const names = wantedNames(baseDomain, options.extraNames ?? []);
  const now = (options.now ?? Date.now)();
  const dir = options.dir;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ConfigError(`cannot create the TLS directory ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const caFile = join(dir, FILES.caCert);
  const caKeyFile = join(dir, FILES.caKey);
  const certFile = join(dir, FILES.cert);
  const keyFile = join(dir, FILES.key);

  let caPem = readIfExists(caFile);
  let caKeyPem = existsSync(caKeyFile) ? readIfExists(caKeyFile) : undefined;
  let certPem = readIfExists(certFile);
  let keyPem = existsSync(keyFile) ? readIfExists(keyFile) : undefined;
  let created = false;

  let ca = usableCa(caPem, caKeyPem, now);
  if (!ca) {
    const x509 = await loadX509();
    ({ certPem: caPem, keyPem: caKeyPem } = await createCa(x509, now));
    writeFileAtomic(caKeyFile, caKeyPem, 0o600);
    writeFileAtomic(caFile, caPem, 0o644);
    ca = new NodeX509(caPem);
    created = true;
  }
  if (created || !usableLeaf(ca, certPem, keyPem, names, now)) {
    const x509 = await loadX509();
    ({ certPem, keyPem } = await createLeaf(x509, caPem!, caKeyPem!, names, now));
    writeFileAtomic(keyFile, keyPem, 0o600);
    writeFileAtomic(certFile, certPem, 0o644);
    created = true;
  }
  tightenKeyFile(caKeyFile);
  tightenKeyFile(keyFile);
  return { certFile, keyFile, caFile, cert: Buffer.from(certPem!, 'utf8'), key: Buffer.from(keyPem!, 'utf8'), created };
}

/** Options of devTlsInstructions. */
export interface DevTlsInstructionOptions {
  caFile: string;
  baseDomain: string;
  /** The port the server listens on (left out of URLs when 443). */
  port: number;
  /** Vault names to list in the /etc/hosts line. */
  vaults?: readonly string[];
}

/** Quotes a value for a POSIX shell when it needs it. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The lines to print after dev TLS is set up: how clients trust the CA, the /etc/hosts line
 * (`*.localhost` does not resolve through Node on every system), and the Azure identity settings
 * (tenant `adfs` keeps MSAL from calling login.microsoftonline.com). Comment lines start with `#`.
 */
export function devTlsInstructions(options: DevTlsInstructionOptions): string[] {
  const base = normalizeBaseDomain(options.baseDomain);
  // The authority host must be the server's configured token issuer (base domain and port).
  const hostPort = options.port === 443 ? base : `${base}:${options.port}`;
  const vaultHosts = (options.vaults ?? []).map((v) => `${v.trim().toLowerCase()}.${base}`).filter((h, i, a) => a.indexOf(h) === i);
  return [
    '# Trust the development CA (Node reads this when a process starts):',
    `export NODE_EXTRA_CA_CERTS=${shellQuote(options.caFile)}`,
    '# If vault host names do not resolve (Node does not resolve *.localhost on every system), add to /etc/hosts:',
    ['127.0.0.1', base, ...vaultHosts].join(' '),
    '# Azure SDK service principal logins (DefaultAzureCredential / ClientSecretCredential):',
    `export AZURE_AUTHORITY_HOST=https://${hostPort}`,
    'export AZURE_TENANT_ID=adfs',
  ];
}
