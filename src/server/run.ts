/**
 * `coffer server`: wires storage, core, the features and the HTTP listener together, in
 * dev mode (in memory or --dev-persist, unsealed, root token printed) or from a config
 * file (sealed until `coffer operator unseal`, unless a static seal key is configured).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createApi } from '../api/server.js';
import { DEFAULT_BASE_DOMAIN, configuredIssuer, normalizeBaseDomain } from '../api/azure/host.js';
import { Core } from '../core/core.js';
import type { Clock } from '../core/clock.js';
import type { BackendFactory } from '../core/backend.js';
import { features, systemServices } from '../features/index.js';
import { createEventsServiceFactory } from '../features/events/index.js';
import { createAzureIdentityFactory } from '../features/azure-identity/index.js';
import { createStorage } from '../storage/index.js';
import { DEFAULT_TABLE } from '../storage/postgres.js';
import type { PostgresCoordinator } from '../storage/postgres-cluster.js';
import type { NamedStorage } from '../storage/types.js';
import { ConfigError, loadServerConfig, type ServerConfig } from './config.js';
import { applyBootstrap } from './bootstrap/apply.js';
import { ensureKeyFile, readKeyFile, writeSecretFile } from './keyfile.js';
import { devTlsInstructions, ensureDevTls } from './dev-tls.js';
import { homedir } from 'node:os';
import { VERSION } from './version.js';

/** How long close() lets in-flight requests finish before it cuts their connections. */
const CLOSE_GRACE_MS = 10_000;

/** Options of `coffer server`. */
export interface ServerOptions {
  dev?: boolean;
  devRootTokenId?: string;
  devListenAddress?: string;
  devPersist?: string;
  config?: string;
  logLevel?: string;
  /** Tests: a controllable clock. */
  clock?: Clock;
  /** Tests: do not print the banner or install signal handlers. */
  quiet?: boolean;
  /** Extra mountable features (tests and embedders). */
  extraFeatures?: BackendFactory[];
  /**
   * Dev mode with HTTPS: a local CA and a server certificate (SANs localhost, 127.0.0.1 and
   * `*.<base domain>`) are created in `<dev-persist>/tls` or `~/.coffer/dev-tls` and reused.
   * Implies `dev`.
   */
  devTls?: boolean;
  /** Key Vault front: serve vaults at `<v>.<devBaseDomain>` (overrides the config's `azure { base_domain }`; default `vault.localhost`). */
  devBaseDomain?: string;
  /**
   * Tests and embedders: serve HTTPS with this PEM certificate and key, in dev or config mode
   * (takes precedence over the listener's tls_cert_file / tls_key_file).
   */
  tls?: { cert: Buffer | string; key: Buffer | string };
}

/** A running server. */
export interface RunningServer {
  core: Core;
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8200. */
  url: string;
  /** Dev mode: the root token. */
  rootToken?: string;
  /** Dev mode (in memory): the unseal key. */
  unsealKey?: string;
  close(): Promise<void>;
}

/** Splits `HOST:PORT` (IPv6 as `[::1]:8200`). */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[(?<v6>[^\]]+)\]|(?<host>[^:]*)):(?<port>\d+)$/.exec(address.trim());
  const port = Number(m?.groups?.port);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`invalid listen address "${address}": use HOST:PORT, e.g. 127.0.0.1:8200`);
  }
  return { host: m.groups!.v6 ?? (m.groups!.host || '0.0.0.0'), port };
}

/** Starts a server and returns once it listens. */
export async function runServer(options: ServerOptions): Promise<RunningServer> {
  if (options.devTls && !options.config) options = { ...options, dev: true };
  if (!options.dev && !options.config) throw new ConfigError('give --config FILE for a production server, or --dev for a development server');
  if (options.dev && options.config) throw new ConfigError('--dev and --config cannot be combined');
  const logger = pino({
    level: options.logLevel ?? process.env.COFFER_LOG_LEVEL ?? (options.quiet ? 'warn' : 'info'),
    base: undefined,
    // Defence in depth: core never logs secrets, but if a field slips in it is redacted.
    redact: { paths: ['token', 'client_token', 'secret_id', 'password', 'value', 'data', '*.token', '*.password'], censor: '[redacted]' },
  });
  let config: ServerConfig;
  let staticKey: Buffer | undefined;
  let storage: NamedStorage;
  let persistDir: string | undefined;
  if (options.dev) {
    persistDir = options.devPersist ? resolve(options.devPersist) : undefined;
    config = {
      storage: persistDir ? { type: 'sqlite', path: join(persistDir, 'coffer.db') } : { type: 'inmem' },
      listener: { address: options.devListenAddress ?? '127.0.0.1:8200', tlsDisable: true },
      logLevel: 'info',
    };
    if (persistDir) {
      staticKey = ensureKeyFile(join(persistDir, 'INSECURE-dev-unseal.key'),
        'INSECURE: Coffer dev-mode unseal key. Anyone who can read this file and the database can read every secret.\nNever use --dev-persist for real secrets.');
    }
  } else {
    config = loadServerConfig(options.config!);
    if (config.seal) staticKey = readKeyFile(config.seal.keyFile);
  }
  // Validated before anything is opened: a bad base domain must not leave storage half set up.
  let azureBaseDomain: string;
  // The Azure token issuer comes from configuration only: api_addr, else the base domain and the
  // listener's port (known once it is bound).
  let azureIssuer: string | undefined;
  try {
    azureBaseDomain = normalizeBaseDomain(options.devBaseDomain ?? config.azureBaseDomain ?? DEFAULT_BASE_DOMAIN);
    if (config.apiAddr) azureIssuer = configuredIssuer({ apiAddr: config.apiAddr, baseDomain: azureBaseDomain, port: 0 });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const issuer = () => azureIssuer ?? configuredIssuer({ baseDomain: azureBaseDomain, port: 443 });
  let devTls: Awaited<ReturnType<typeof ensureDevTls>> | undefined;
  if (options.dev && options.devTls && !options.tls) {
    devTls = await ensureDevTls({ dir: persistDir ? join(persistDir, 'tls') : join(homedir(), '.coffer', 'dev-tls'), baseDomain: azureBaseDomain });
  }
  // A single server holds its storage exclusively (SQLite always does; PostgreSQL through an
  // advisory lock). With ha_enabled, nodes share the PostgreSQL table: each learns of the others'
  // writes through the change feed, and one of them, elected through PostgreSQL, leads background work.
  const ha = config.storage.type === 'postgresql' && config.storage.haEnabled === true;
  const apiAddr = config.apiAddr ?? defaultApiAddr(config.listener);
  storage = await createStorage({ ...config.storage, exclusive: !ha, ha: ha ? { nodeId: apiAddr } : undefined });
  let coordinator: PostgresCoordinator | undefined;
  if (ha) {
    try {
      // Loaded only for a cluster: a single server never needs it.
      const { PostgresCoordinator } = await import('../storage/postgres-cluster.js');
      coordinator = await PostgresCoordinator.open({ connectionUrl: config.storage.connectionUrl!, table: config.storage.table ?? DEFAULT_TABLE, nodeId: apiAddr, apiAddr, version: VERSION });
    } catch (err) {
      await storage.close();
      throw err;
    }
  }

  const wired = features.map((f) => (f.type === 'azure-ad' ? createAzureIdentityFactory({ issuer }) : f));
  const services = systemServices.map((s) => (s.name === 'events' && config.events ? createEventsServiceFactory(config.events) : s));
  const core = new Core({
    storage, features: [...wired, ...(options.extraFeatures ?? [])], staticSealKey: staticKey, clock: options.clock, logger, version: VERSION,
    clusterName: config.clusterName, cluster: coordinator, apiAddr, telemetry: config.telemetry, systemServices: services,
    afterUnseal: config.bootstrap && (async (c) => {
      const { changed } = await applyBootstrap(c, config.bootstrap!);
      logger.info({ changed }, changed.length ? 'bootstrap applied' : 'bootstrap: nothing to change');
    }),
  });
  let rootToken: string | undefined;
  let unsealKey: string | undefined;
  try {
    await core.start();
    if (options.dev) ({ rootToken, unsealKey } = await setUpDev(core, options, persistDir));
  } catch (err) {
    await coordinator?.close();
    await storage.close();
    throw err;
  }

  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (options.tls) {
    tls = { cert: Buffer.from(options.tls.cert), key: Buffer.from(options.tls.key) };
  } else if (devTls) {
    tls = { cert: devTls.cert, key: devTls.key };
  } else if (!config.listener.tlsDisable && config.listener.tlsCertFile && config.listener.tlsKeyFile) {
    try {
      tls = { cert: readFileSync(config.listener.tlsCertFile), key: readFileSync(config.listener.tlsKeyFile) };
    } catch (err) {
      await core.close();
      throw new ConfigError(`cannot read TLS files: ${(err as Error).message}`);
    }
  }
  const app = createApi({ core, tls, azureBaseDomain, azureIssuer: issuer, azureAllowPlaintext: config.listener.azureAllowPlaintext, limits: config.listener.limits });
  const { host, port } = parseAddress(config.listener.address);
  try {
    await app.listen({ host, port });
  } catch (err) {
    await core.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigError(`address ${config.listener.address} is already in use (is another Coffer or Vault running? choose another with --dev-listen-address)`);
    throw err;
  }
  const addr = app.server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : port;
  azureIssuer ??= configuredIssuer({ baseDomain: azureBaseDomain, port: boundPort });
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${boundPort}`;

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // In-flight requests get a grace period to finish (new ones on open connections are
    // answered with Connection: close, see createApi); after it, every connection is cut, so a
    // client that never lets go (a stalled long request) cannot keep the server from stopping.
    const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
    cut.unref();
    await app.close().finally(() => clearTimeout(cut));
    await coordinator?.close();
    await core.close();
  };
  if (!options.quiet) {
    printBanner({
      url, dev: !!options.dev, rootToken, unsealKey, persistDir, sealed: core.sealed, initialized: await core.initialized(), storageType: storage.type,
      azure: {
        baseDomain: azureBaseDomain, port: boundPort, caFile: devTls?.caFile, https: !!tls,
        vaults: core.sealed ? [] : core.mounts.list('secret').filter((m) => m.entry.type === 'keyvault').map((m) => m.entry.path.split('/')[1]!),
      },
    });
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      void close().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  }
  return { core, app, url, rootToken, unsealKey, close };
}

/** What a node tells clients and other nodes when the config has no api_addr: its listener. */
function defaultApiAddr(listener: ServerConfig['listener']): string {
  const { host, port } = parseAddress(listener.address);
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${listener.tlsDisable ? 'http' : 'https'}://${shown}:${port}`;
}

async function setUpDev(core: Core, options: ServerOptions, persistDir?: string): Promise<{ rootToken?: string; unsealKey?: string }> {
  const tokenFile = persistDir ? join(persistDir, 'INSECURE-dev-root-token') : undefined;
  if (await core.initialized()) {
    // --dev-persist restart: the static key already unsealed it in core.start().
    const saved = tokenFile && existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
    return { rootToken: saved };
  }
  const { keys, rootToken } = await core.initialize({ shares: 1, threshold: 1, rootTokenId: options.devRootTokenId, devMounts: true });
  let unsealKey: string | undefined;
  if (keys.length === 1) {
    unsealKey = keys[0]!.toString('base64');
    await core.submitUnsealKey(keys[0]!);
  }
  if (tokenFile) writeSecretFile(tokenFile, `${rootToken}\n`);
  return { rootToken, unsealKey };
}

interface BannerInfo {
  url: string;
  dev: boolean;
  rootToken?: string;
  unsealKey?: string;
  persistDir?: string;
  sealed: boolean;
  initialized: boolean;
  storageType: string;
  azure: { baseDomain: string; port: number; caFile?: string; https: boolean; vaults: string[] };
}

function printBanner(b: BannerInfo): void {
  const lines = [
    '',
    `==> Coffer server started (version ${VERSION}). Listening on ${b.url}  [storage: ${b.storageType}]`,
    '',
  ];
  if (b.dev) {
    lines.push(
      'WARNING! Dev mode is enabled: the server is unsealed, ' + (b.persistDir ? `its data and keys are in ${b.persistDir} (INSECURE),` : 'all data lives in memory,'),
      'and the root token below can do anything. Never run dev mode in production.',
      '',
      'You may need to set the following environment variables:',
      '',
      `    export COFFER_ADDR='${b.url}'        # the vault CLI and SDKs read VAULT_ADDR`,
      `    export VAULT_ADDR='${b.url}'`,
      '',
    );
    if (b.unsealKey) lines.push(`Unseal Key: ${b.unsealKey}`);
    if (b.rootToken) lines.push(`Root Token: ${b.rootToken}`);
    else if (b.persistDir) lines.push(`Root Token: as printed at the first start (saved in ${join(b.persistDir, 'INSECURE-dev-root-token')})`);
    lines.push('', 'Log in with:  coffer login <root token>   (or export COFFER_TOKEN=<root token>)', `Web UI:       ${b.url}/ui/`, '');
    if (b.azure.caFile) {
      lines.push(
        `Key Vault API: vaults are served at https://<vault>.${b.azure.baseDomain}:${b.azure.port}/ (create one with: coffer keyvault create --name <vault>)`,
        `The CLI trusts the development CA with:  export COFFER_CACERT=${b.azure.caFile}`,
        ...devTlsInstructions({ caFile: b.azure.caFile, baseDomain: b.azure.baseDomain, port: b.azure.port, vaults: b.azure.vaults }),
        '',
      );
    } else if (!b.azure.https) {
      lines.push('Azure SDK clients need HTTPS: restart with --dev-tls to serve the Key Vault API with a local CA.', '');
    }
  } else if (!b.initialized) {
    lines.push('The server is not initialized. Run:  COFFER_ADDR=' + b.url + ' coffer operator init', '');
  } else if (b.sealed) {
    lines.push('The server is sealed. Unseal it with:  COFFER_ADDR=' + b.url + ' coffer operator unseal   (repeat until the threshold is reached)', '');
  }
  process.stdout.write(lines.join('\n') + '\n');
}
