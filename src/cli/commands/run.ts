/**
 * `coffer run [--identity APP] [--env-from PATH ...] [--watch [--interval 10s]] -- cmd args...`:
 * runs a command with secrets in its environment and, optionally, a managed identity.
 *
 * - `--env-from secret/myapp` (a KV v1 or v2 path): every key of the secret becomes a variable of
 *   the same name (names must be valid environment names).
 * - `--env-from keyvault/V`: every enabled secret of vault V; the name is upper-cased with `-`
 *   turned into `_` (`db-password` → `DB_PASSWORD`).
 *   Later sources win over earlier ones, and all of them over the inherited environment.
 * - `--identity APP`: a session of APP's managed identity and a local managed-identity endpoint
 *   (IDENTITY_ENDPOINT/IDENTITY_HEADER, MSI_ENDPOINT/MSI_SECRET), so `DefaultAzureCredential`
 *   works unchanged; the session is revoked when the command ends.
 * - `--watch`: restarts the command (SIGTERM, then SIGKILL after 10 s) when a secret changes. It
 *   long-polls `sys/events/wait` for events on the sources' mounts and compares the sources'
 *   versions after each answer (an event, or the wait's timeout); a server or token without
 *   `sys/events/wait` falls back to comparing every `--interval`.
 *
 * The command inherits stdio; SIGINT, SIGTERM and SIGHUP are forwarded to it; `coffer run` exits
 * with its exit code, or 128 + the signal number. COFFER_TOKEN/VAULT_TOKEN are not passed on.
 * Secret values are never printed, not even in errors.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import type { Command } from 'commander';
import { ApiError, type CofferClient } from '../client.js';
import { action, makeClient, type CommandEnv } from '../common.js';
import { CliError, usageError, type Io } from '../context.js';
import { AZURE_AUTH_PATH, listAllItems, pathSegment, vaultMount, vaultName } from '../azure.js';
import { startMsiEndpoint, type MsiEndpoint } from '../msi-endpoint.js';
import { kvPreflight, kvV2Path } from './kv.js';

type Json = Record<string, unknown>;

/** Where variables come from. */
export type EnvSource = { kind: 'kv'; path: string } | { kind: 'vault'; vault: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How long a restarted command may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_AFTER_MS = 10_000;
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Credentials that would make the Azure SDK pick another identity than `--identity`'s. */
const COMPETING_AZURE_VARS = ['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_FEDERATED_TOKEN_FILE'];

/** Parses an `--env-from` value. */
export function parseEnvSource(raw: string): EnvSource {
  const s = raw.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  if (s === '') throw usageError('--env-from needs a path: a KV secret such as secret/myapp, or keyvault/VAULT');
  const segs = s.split('/');
  if (segs[0] === 'keyvault') {
    if (segs.length !== 2) throw usageError(`--env-from ${raw}: a vault is written keyvault/VAULT`);
    return { kind: 'vault', vault: vaultName(segs[1], '--env-from keyvault/VAULT') };
  }
  if (segs.length < 2) throw usageError(`--env-from ${raw}: give the path of a secret, e.g. secret/myapp`);
  return { kind: 'kv', path: s };
}

/** The variable name of a vault secret: upper case, `-` → `_`. */
export function vaultSecretEnvName(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

/** Parses `--interval`: `200ms`, `10s`, `1m`, `1h`, or a number of seconds. */
export function parseIntervalMs(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw usageError(`--interval must be a duration such as 500ms, 10s or 1m (got "${raw}")`);
  const n = Number(m[1]);
  const ms = n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (!(ms >= 50)) throw usageError('--interval must be at least 50ms');
  return Math.round(ms);
}

function envValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function digest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The variables of one source. */
interface Loaded {
  vars: Map<string, string>;
}

/** Reads a KV secret (v1 or v2, found by the same preflight `coffer kv` uses). */
async function readKv(client: CofferClient, path: string): Promise<Json> {
  const m = await kvPreflight(client, path);
  const apiPath = m.version === 2 ? kvV2Path(m.mountPath, path, 'data') : path;
  const res = await client.read(apiPath, { action: `reading ${path}` });
  const data = m.version === 2 ? res?.body?.data?.data : res?.body?.data;
  if (!res || !data || typeof data !== 'object') throw new CliError(`--env-from ${path}: no secret found at ${path}`);
  return data as Json;
}

async function loadSource(client: CofferClient, src: EnvSource): Promise<Loaded> {
  const vars = new Map<string, string>();
  if (src.kind === 'kv') {
    const data = await readKv(client, src.path);
    for (const [k, v] of Object.entries(data)) {
      if (!ENV_NAME.test(k)) {
        throw new CliError(`--env-from ${src.path}: the key "${k}" is not a valid environment variable name (letters, digits and _, not starting with a digit)`);
      }
      const value = envValue(v);
      client.addSecret(value);
      vars.set(k, value);
    }
    return { vars };
  }
  const v = src.vault;
  const items = await listAllItems(client, `${vaultMount(v)}/secrets/`, `listing the secrets of vault "${v}"`);
  for (const item of items) {
    const attrs = (item.attributes ?? {}) as Json;
    if (attrs.enabled === false) continue;
    const name = String(item.name ?? '');
    const envName = vaultSecretEnvName(name);
    if (!ENV_NAME.test(envName)) {
      throw new CliError(`--env-from keyvault/${v}: the secret "${name}" gives "${envName}", which is not a valid environment variable name (it must not start with a digit)`);
    }
    const res = await client.request('GET', `${vaultMount(v)}/secrets/${name}`, { action: `reading secret "${name}" of vault "${v}"` });
    const value = envValue(res.body?.data?.value);
    client.addSecret(value);
    vars.set(envName, value);
  }
  return { vars };
}

/**
 * A fingerprint of a source's current versions, without reading values where possible: KV v2
 * metadata (current version and update time), the vault listing (versions and update times).
 * KV v1 has no versions, so its data is hashed (in memory only).
 */
async function fingerprint(client: CofferClient, src: EnvSource): Promise<string> {
  if (src.kind === 'vault') {
    const items = await listAllItems(client, `${vaultMount(src.vault)}/secrets/`, `listing the secrets of vault "${src.vault}"`);
    return digest(
      items
        .map((i) => {
          const a = (i.attributes ?? {}) as Json;
          return [i.name, i.version ?? null, a.updated ?? null, a.enabled ?? null];
        })
        .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
  }
  const m = await kvPreflight(client, src.path);
  if (m.version === 2) {
    try {
      const res = await client.read(kvV2Path(m.mountPath, src.path, 'metadata'), { action: `reading the metadata of ${src.path}` });
      const meta = (res?.body?.data ?? {}) as Json;
      return digest([meta.current_version ?? null, meta.updated_time ?? null]);
    } catch (err) {
      // A policy may grant the data but not the metadata: fall back to hashing the data.
      if (!(err instanceof ApiError && err.status === 403)) throw err;
    }
  }
  const data = await readKv(client, src.path);
  return digest(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function fingerprintAll(client: CofferClient, sources: readonly EnvSource[]): Promise<string> {
  const parts: string[] = [];
  for (const s of sources) parts.push(await fingerprint(client, s));
  return digest(parts);
}

/** The mounts of the sources, for `sys/events/wait?mounts=` (a KV v1 path's mount is unknown: every mount then). */
async function watchedMounts(client: CofferClient, sources: readonly EnvSource[]): Promise<string[]> {
  const mounts = new Set<string>();
  for (const s of sources) {
    const mount = s.kind === 'vault' ? `${vaultMount(s.vault)}/` : (await kvPreflight(client, s.path)).mountPath;
    if (mount === '') return [];
    mounts.add(mount);
  }
  return [...mounts];
}

/** How long one `sys/events/wait` may hold (below the server's and the client's request timeouts). */
const EVENT_WAIT = '25s';

function sourceLabel(s: EnvSource): string {
  return s.kind === 'kv' ? s.path : `keyvault/${s.vault}`;
}

/** Loads every source in order (later sources win); notes overridden names on stderr (names only). */
async function loadAll(client: CofferClient, sources: readonly EnvSource[], io: Io): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const from = new Map<string, string>();
  for (const s of sources) {
    const { vars } = await loadSource(client, s);
    for (const [k, v] of vars) {
      const prev = from.get(k);
      if (prev !== undefined && prev !== sourceLabel(s)) io.err(`coffer run: ${k} from ${sourceLabel(s)} overrides the one from ${prev}\n`);
      out.set(k, v);
      from.set(k, sourceLabel(s));
    }
  }
  return out;
}

/** A running child and the promise of its exit. */
interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the command (stdio inherited); rejects with a CliError when it cannot be started. */
async function start(command: string, args: readonly string[], env: Record<string, string>): Promise<Running> {
  const child = spawn(command, args, { stdio: 'inherit', env });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      if (code === 'ENOENT') reject(new CliError(`coffer run: cannot run "${command}": command not found`, 127));
      else if (code === 'EACCES') reject(new CliError(`coffer run: cannot run "${command}": permission denied`, 126));
      else reject(new CliError(`coffer run: cannot run "${command}" (${code})`, 126));
    });
  });
  // Later errors (a failed kill) must not crash the CLI.
  child.on('error', () => undefined);
  return { child, exited };
}

/** The shell-style exit code of an exited child. */
function exitCodeOf(e: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (e.code !== null) return e.code;
  const n = e.signal ? (osConstants.signals as Record<string, number>)[e.signal] : undefined;
  return 128 + (n ?? 0);
}

/** SIGTERM, then SIGKILL when the child has not exited within KILL_AFTER_MS. */
async function stop(r: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  r.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      r.child.kill('SIGKILL');
      resolve();
    }, KILL_AFTER_MS);
  });
  const result = await Promise.race([r.exited, killed.then(() => r.exited)]);
  clearTimeout(timer);
  return result;
}

/** A managed identity session and its local endpoint. */
interface IdentityRun {
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Opens a session of `name`'s managed identity and starts the local MSI endpoint for it. */
async function startIdentity(client: CofferClient, name: string, ttl: string | undefined, io: Io): Promise<IdentityRun> {
  const res = await client.request('POST', `auth/${AZURE_AUTH_PATH}/identity/${name}/session`, {
    body: ttl ? { ttl } : {},
    action: `starting a session of the identity "${name}"`,
  });
  const sessionSecret = res.body?.data?.session_secret;
  if (typeof sessionSecret !== 'string' || sessionSecret === '') throw new CliError(`The server returned no session for the identity "${name}"`);
  client.addSecret(sessionSecret);
  const revoke = async (): Promise<void> => {
    try {
      await client.request('POST', `auth/${AZURE_AUTH_PATH}/identity/${name}/session/revoke`, {
        body: { session_secret: sessionSecret },
        action: `revoking the session of the identity "${name}"`,
      });
    } catch (err) {
      io.err(`coffer run: WARNING: ${client.redact(err instanceof Error ? err.message : String(err))} (the session expires on its own)\n`);
    }
  };
  let endpoint: MsiEndpoint;
  try {
    endpoint = await startMsiEndpoint({
      request: (method, path, options) => client.request(method, path, options),
      identityName: name,
      sessionSecret,
    });
  } catch (err) {
    await revoke();
    throw err;
  }
  return {
    env: { ...endpoint.env },
    close: async () => {
      await endpoint.close();
      await revoke();
    },
  };
}

/** The child's environment: inherited (minus Coffer tokens), then the secrets, then the identity endpoint. */
function childEnv(base: Record<string, string | undefined>, secrets: Map<string, string>, identity: IdentityRun | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  // The command gets its secrets, not the operator's Coffer token.
  delete env.COFFER_TOKEN;
  delete env.VAULT_TOKEN;
  if (identity) for (const k of COMPETING_AZURE_VARS) delete env[k];
  for (const [k, v] of secrets) env[k] = v;
  if (identity) Object.assign(env, identity.env);
  return env;
}

type RunOpts = { identity?: string; identityTtl?: string; envFrom?: string[]; watch?: boolean; interval?: string };

/** The `run` command. */
export function registerRun(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  program
    .command('run')
    .description('Run a command with secrets as environment variables and, optionally, a managed identity')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .option('--identity <app>', 'run as the managed identity of this application (coffer identity assign --name APP)')
    .option('--identity-ttl <duration>', 'lifetime of the identity session (default 24h)')
    .option('--env-from <path>', 'a KV secret (secret/myapp) or a vault (keyvault/VAULT); repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--watch', 'restart the command when a secret changes')
    .option('--interval <duration>', 'how often --watch checks for changes when the server cannot send events (default 10s)')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  coffer run --env-from secret/myapp -- node server.js\n' +
        '  coffer run --identity myapp --env-from keyvault/myvault --watch -- ./start.sh\n\n' +
        'Keys of a KV secret become variables of the same name; secrets of a vault become\n' +
        'upper-case names with "-" turned into "_" (db-password -> DB_PASSWORD). Later --env-from\n' +
        'sources win. COFFER_TOKEN and VAULT_TOKEN are not passed to the command.',
    )
    .action(
      action(env, async (argv: string[], opts: RunOpts) => {
        const [command, ...args] = argv;
        if (!command) throw usageError('give the command to run after --, e.g. coffer run --env-from secret/app -- node app.js');
        const sources = (opts.envFrom ?? []).map(parseEnvSource);
        if (opts.interval !== undefined && !opts.watch) throw usageError('--interval goes with --watch');
        if (opts.watch && sources.length === 0) throw usageError('--watch needs at least one --env-from source to watch');
        const intervalMs = opts.interval !== undefined ? parseIntervalMs(opts.interval) : 10_000;
        const identityName = opts.identity !== undefined ? pathSegment(opts.identity, '--identity') : undefined;
        const client = makeClient(ctx);

        let seen = opts.watch ? await fingerprintAll(client, sources) : '';
        let secrets = await loadAll(client, sources, ctx.io);
        const identity = identityName ? await startIdentity(client, identityName, opts.identityTtl, ctx.io) : undefined;

        let stopping = false;
        let current: Running | undefined;
        let wake: (() => void) | undefined;
        let timer: NodeJS.Timeout | undefined;
        const onSignal = (sig: NodeJS.Signals) => {
          stopping = true;
          current?.child.kill(sig);
        };
        const handlers = FORWARDED_SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
        for (const [sig, h] of handlers) process.on(sig, h);

        // --watch: compare the versions; load new values when they change, then wake the loop.
        let pending: Map<string, string> | undefined;
        const check = async (): Promise<void> => {
          try {
            const now = await fingerprintAll(client, sources);
            if (now !== seen) {
              pending = await loadAll(client, sources, ctx.io);
              seen = now;
              wake?.();
            }
          } catch (err) {
            ctx.io.err(`coffer run: checking the secrets for changes failed: ${client.redact(err instanceof Error ? err.message : String(err))}\n`);
          }
        };
        const poll = async (): Promise<void> => {
          await check();
          if (!stopping) timer = setTimeout(() => void poll(), intervalMs);
        };
        // Events first: each answer of the long poll (an event or its timeout) triggers a comparison.
        const waiting = new AbortController();
        const listen = async (): Promise<void> => {
          let cursor: string | undefined;
          let mounts: string[];
          try {
            mounts = await watchedMounts(client, sources);
          } catch {
            mounts = [];
          }
          while (!stopping) {
            try {
              const res = await client.request('GET', 'sys/events/wait', {
                query: { after: cursor, mounts: mounts.length ? mounts.join(',') : undefined, timeout: EVENT_WAIT },
                action: 'waiting for secret events', signal: waiting.signal,
              });
              const established = cursor !== undefined;
              cursor = String(res.body?.data?.cursor ?? '') || undefined;
              // The first answer only gives the cursor; compare once anyway, for a change made before it.
              if (!stopping) await check();
              if (!established && cursor === undefined) throw new Error('no cursor');
            } catch (err) {
              if (stopping) return;
              if (err instanceof ApiError && [403, 404, 405].includes(err.status)) {
                ctx.io.err(`coffer run: cannot wait for secret events (sys/events/wait answered ${err.status}); checking every ${opts.interval ?? '10s'} instead\n`);
                return poll();
              }
              ctx.io.err(`coffer run: waiting for secret events failed: ${client.redact(err instanceof Error ? err.message : String(err))}; retrying\n`);
              await new Promise((r) => { timer = setTimeout(r, intervalMs); });
            }
          }
        };

        try {
          current = await start(command, args, childEnv(ctx.env, secrets, identity));
          if (opts.watch) void listen();
          for (;;) {
            const changed = new Promise<'changed'>((resolve) => (wake = () => resolve('changed')));
            // A change that was loaded while the command was being restarted.
            if (pending && !stopping) wake?.();
            const ev = await Promise.race([current.exited, changed]);
            if (ev !== 'changed') return exitCodeOf(ev);
            if (stopping || !pending) continue;
            secrets = pending;
            pending = undefined;
            ctx.io.err(`coffer run: secrets changed; restarting ${command}\n`);
            const stopped = await stop(current);
            if (stopping) return exitCodeOf(stopped);
            current = await start(command, args, childEnv(ctx.env, secrets, identity));
          }
        } finally {
          stopping = true;
          clearTimeout(timer);
          waiting.abort();
          for (const [sig, h] of handlers) process.off(sig, h);
          await identity?.close();
        }
      }),
    );
}
