/**
 * Per-vault settings: mount options (set by `coffer keyvault create`) with overrides written
 * through the `config` route (kept in the mount's storage under `config`).
 *
 * Purge protection is one-way, as in Key Vault: once a vault has run with it, the flag is stored
 * and stays on even if the mount option is later tuned back to false.
 */
import type { BackendRequest, MountEntry } from '../../core/backend.js';
import { badRequest } from '../../core/errors.js';
import { optBool, optInt, parseBool } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import type { Storage } from '../../storage/types.js';
import { badParameter } from './azure-errors.js';
import { decodeJson, encodeJson } from './codec.js';

/** Shortest soft-delete retention Key Vault allows, in days. */
export const MIN_RETENTION_DAYS = 7;
/** Longest soft-delete retention, in days. */
export const MAX_RETENTION_DAYS = 90;
/** Retention when none is set, in days (below it the recovery level is "Customized..."). */
export const DEFAULT_RETENTION_DAYS = 90;

/** Storage key of the overrides written through the `config` route. */
export const CONFIG_KEY = 'config';

/** The effective settings of one vault. */
export interface VaultSettings {
  retentionDays: number;
  purgeProtection: boolean;
  /** Refuse reads outside a version's nbf/exp window (Key Vault itself does not). */
  enforceValidityWindow: boolean;
}

/** What the `config` route stores; absent fields fall back to the mount options. */
interface StoredConfig {
  softDeleteRetentionDays?: number;
  enforceValidityWindow?: boolean;
  purgeProtection?: boolean;
}

function boolOption(options: Record<string, unknown>, key: string): string {
  const raw = options[key];
  if (raw === undefined || raw === null || raw === '') return 'false';
  const parsed = typeof raw === 'boolean' ? raw : parseBool(String(raw).trim());
  if (parsed === undefined) throw badRequest(`invalid value for "options.${key}": expected true or false`);
  return String(parsed);
}

/**
 * Normalises the mount options: `soft_delete_retention_days` (7-90, default "90"),
 * `purge_protection` and `enforce_validity_window` ("true"/"false", default "false"). Other
 * options pass through unchanged.
 */
export function validateKeyVaultOptions(options: Record<string, string>): Record<string, string> {
  const raw = options as Record<string, unknown>;
  const days = raw.soft_delete_retention_days;
  let retention = DEFAULT_RETENTION_DAYS;
  if (days !== undefined && days !== null && String(days).trim() !== '') {
    const text = String(days).trim();
    retention = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(retention >= MIN_RETENTION_DAYS && retention <= MAX_RETENTION_DAYS)) {
      throw badRequest(`invalid value for "options.soft_delete_retention_days": must be a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS} (got ${JSON.stringify(text.slice(0, 20))})`);
    }
  }
  return {
    ...options,
    soft_delete_retention_days: String(retention),
    purge_protection: boolOption(raw, 'purge_protection'),
    enforce_validity_window: boolOption(raw, 'enforce_validity_window'),
  };
}

async function readStored(storage: Storage): Promise<StoredConfig> {
  const raw = await storage.get(CONFIG_KEY);
  return raw ? decodeJson<StoredConfig>(raw) : {};
}

/** The vault's effective settings. */
export async function readSettings(storage: Storage, mount: MountEntry): Promise<VaultSettings> {
  const opts = validateKeyVaultOptions(mount.options);
  const stored = await readStored(storage);
  return {
    retentionDays: stored.softDeleteRetentionDays ?? Number(opts.soft_delete_retention_days),
    purgeProtection: stored.purgeProtection === true || opts.purge_protection === 'true',
    enforceValidityWindow: stored.enforceValidityWindow ?? opts.enforce_validity_window === 'true',
  };
}

/** Records purge protection as permanent when the mount option turned it on (run at mount/unseal/tune). */
export async function latchPurgeProtection(storage: Storage, mount: MountEntry): Promise<void> {
  if (validateKeyVaultOptions(mount.options).purge_protection !== 'true') return;
  const stored = await readStored(storage);
  if (stored.purgeProtection === true) return;
  await storage.put(CONFIG_KEY, encodeJson({ ...stored, purgeProtection: true }));
}

/**
 * Key Vault's recovery level: purge protection drops "+Purgeable", a retention under 90 days
 * makes it "CustomizedRecoverable".
 */
export function recoveryLevel(settings: VaultSettings): string {
  const base = settings.retentionDays < DEFAULT_RETENTION_DAYS ? 'CustomizedRecoverable' : 'Recoverable';
  return settings.purgeProtection ? base : `${base}+Purgeable`;
}

/** The `config` read/update response body. */
export function settingsView(settings: VaultSettings): Record<string, unknown> {
  return {
    enforce_validity_window: settings.enforceValidityWindow,
    purge_protection: settings.purgeProtection,
    soft_delete_retention_days: settings.retentionDays,
    recovery_level: recoveryLevel(settings),
  };
}

/** `read config`. */
export async function readConfigHandler(req: BackendRequest): Promise<LogicalResponse> {
  return { data: settingsView(await readSettings(req.storage, req.mount)) };
}

/** `update config`: changes the given settings; purge protection cannot be switched off. */
export async function writeConfigHandler(req: BackendRequest): Promise<LogicalResponse> {
  const days = optInt(req.data, 'soft_delete_retention_days', { min: MIN_RETENTION_DAYS, max: MAX_RETENTION_DAYS });
  const purge = optBool(req.data, 'purge_protection');
  const enforce = optBool(req.data, 'enforce_validity_window');
  const current = await readSettings(req.storage, req.mount);
  if (purge === false && current.purgeProtection) {
    throw badParameter('Purge protection cannot be disabled once it is enabled on a vault (Key Vault rule); soft-deleted secrets are purged when their retention ends.');
  }
  const stored = await readStored(req.storage);
  if (days !== undefined) stored.softDeleteRetentionDays = days;
  if (purge === true) stored.purgeProtection = true;
  if (enforce !== undefined) stored.enforceValidityWindow = enforce;
  await req.storage.put(CONFIG_KEY, encodeJson(stored));
  return { data: settingsView(await readSettings(req.storage, req.mount)) };
}
