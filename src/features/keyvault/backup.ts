/**
 * Backup and restore. A backup is every version of one secret (value, properties, dates) as
 * JSON, sealed with core's envelope under the purpose `keyvault-backup` (encrypted and
 * integrity-protected under a key only this Coffer holds) and base64url-encoded. Restore
 * accepts only such blobs, into a name that is neither live nor soft-deleted.
 */
import type { BackendRequest } from '../../core/backend.js';
import { isCofferError } from '../../core/errors.js';
import type { LogicalResponse } from '../../core/logical.js';
import { badParameter, conflict, deletedButRecoverable, secretNotFound } from './azure-errors.js';
import { watchAllVersions } from './secrets.js';
import { secretBundle } from './bundle.js';
import type { VaultDeps } from './deps.js';
import { isStoredVersion, isValidSecretName, parseSecretName } from './names.js';
import { parseProperties, parseValue } from './props.js';
import { readSettings } from './settings.js';
import {
  listAllVersions, putOp, readDeleted, readSecret, readVersion, secretKey, versionKey, type SecretRecord, type VersionRecord,
} from './store.js';

/** The envelope purpose; a blob sealed for anything else does not open as a backup. */
export const BACKUP_PURPOSE = 'keyvault-backup';
const FORMAT = 'coffer-keyvault-secret-backup';

/** The sealed content of a backup. */
interface BackupPayload {
  format: typeof FORMAT;
  v: 1;
  name: string;
  current: string;
  versions: Array<{ version: string } & VersionRecord>;
}

/** `update secrets/<name>/backup`: `{value: <base64url blob>}`. */
export async function backupSecret(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const name = parseSecretName(req.params.name);
  const payload = await deps.locks.run(name.key, async (): Promise<BackupPayload> => {
    const record = await readSecret(req.storage, name.key);
    if (!record) throw secretNotFound(name.display);
    const versions: BackupPayload['versions'] = [];
    for (const version of await listAllVersions(req.storage, name.key)) {
      const v = await readVersion(req.storage, name.key, version);
      if (v) versions.push({ version, ...v });
    }
    return { format: FORMAT, v: 1, name: record.name, current: record.current, versions };
  });
  const blob = await deps.services.envelope.seal(BACKUP_PURPOSE, Buffer.from(JSON.stringify(payload), 'utf8'));
  return { data: { value: blob.toString('base64url') } };
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Re-checks what a blob holds (it was authenticated, but may come from an older or newer Coffer). */
function checkPayload(raw: unknown): BackupPayload {
  const bad = () => badParameter('Backup blob content is not a secret backup this Coffer understands');
  if (typeof raw !== 'object' || raw === null) throw bad();
  const p = raw as Partial<BackupPayload>;
  if (p.format !== FORMAT || p.v !== 1 || !isValidSecretName(p.name) || typeof p.current !== 'string' || !Array.isArray(p.versions)) throw bad();
  const seen = new Set<string>();
  const versions: BackupPayload['versions'] = [];
  for (const item of p.versions as unknown[]) {
    if (typeof item !== 'object' || item === null) throw bad();
    const r = item as Record<string, unknown>;
    if (typeof r.version !== 'string' || !isStoredVersion(r.version) || seen.has(r.version)) throw bad();
    if (typeof r.enabled !== 'boolean' || !isInt(r.created) || !isInt(r.updated)) throw bad();
    seen.add(r.version);
    const value = parseValue(r);
    const props = parseProperties({ contentType: r.contentType, tags: r.tags, attributes: { nbf: r.nbf, exp: r.exp } });
    versions.push({ version: r.version, value, enabled: r.enabled, created: r.created, updated: r.updated, ...props });
  }
  if (!seen.has(p.current)) throw bad();
  return { format: FORMAT, v: 1, name: p.name, current: p.current, versions };
}

/**
 * Opens a backup blob sealed under `purpose` and parses its JSON (shared by secret and key
 * backups); every failure is a 400 that says what is wrong, never what the blob holds.
 */
export async function openBackupBlob(deps: VaultDeps, data: Record<string, unknown>, purpose: string, what: string): Promise<unknown> {
  const value = data.value;
  if (typeof value !== 'string' || value === '') throw badParameter('Property value is required: the base64url backup blob returned by backup');
  if (!/^[A-Za-z0-9_\-+/]+=*$/.test(value)) throw badParameter('Property value must be a base64url-encoded backup blob');
  let plain: Buffer;
  try {
    plain = await deps.services.envelope.open(purpose, Buffer.from(value, 'base64url'));
  } catch (err) {
    // The envelope's 400 (foreign key, altered blob, another kind of backup) in Key Vault's vocabulary.
    if (isCofferError(err) && err.status === 400) throw badParameter(`Backup blob is invalid: ${err.messages.join('; ')}`);
    throw err;
  }
  try {
    return JSON.parse(plain.toString('utf8'));
  } catch {
    throw badParameter(`Backup blob content is not a ${what} backup this Coffer understands`);
  }
}

async function openBlob(deps: VaultDeps, data: Record<string, unknown>): Promise<BackupPayload> {
  return checkPayload(await openBackupBlob(deps, data, BACKUP_PURPOSE, 'secret'));
}

/** `update restore` `{value}`: recreates the secret with all its versions and dates. */
export async function restoreSecret(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const payload = await openBlob(deps, req.data);
  const key = payload.name.toLowerCase();
  const settings = await readSettings(req.storage, req.mount);
  return deps.locks.run(key, async () => {
    const deleted = await readDeleted(req.storage, key);
    if (deleted) throw deletedButRecoverable(deleted.name);
    const live = await readSecret(req.storage, key);
    if (live) throw conflict(`Secret ${live.name} already exists in this key vault; delete and purge it before restoring a backup of it.`, 'ObjectAlreadyExists');
    const record: SecretRecord = { name: payload.name, current: payload.current };
    const ops = payload.versions.map(({ version, ...v }) => putOp(versionKey(key, version), v));
    await req.storage.batch([...ops, putOp(secretKey(key), record)]);
    // Restored versions keep their ids (no new version: no SecretNewVersionCreated), but each
    // one with an `exp` is watched again, so SecretNearExpiry and SecretExpired fire for it.
    await watchAllVersions(deps, req, record, key, true);
    const latest = payload.versions.find((x) => x.version === payload.current)!;
    return { data: secretBundle(record, payload.current, latest, settings) };
  });
}
