/**
 * Response data shapes (docs/dev/AZURE.md): Key Vault's SecretBundle / SecretItem /
 * DeletedSecretBundle without URLs. The Azure front adds `id`, `recoveryId` and `nextLink` from
 * the request's own scheme, host and port; the Vault front shows these objects as they are.
 */
import { recoveryLevel, type VaultSettings } from './settings.js';
import type { DeletedRecord, SecretRecord, VersionRecord } from './store.js';

/** The `attributes` object of a version (a secret's or a key's: both carry these properties). */
export function attributesView(v: Pick<VersionRecord, 'enabled' | 'nbf' | 'exp' | 'created' | 'updated'>, settings: VaultSettings): Record<string, unknown> {
  const attrs: Record<string, unknown> = { enabled: v.enabled };
  if (v.nbf !== undefined) attrs.nbf = v.nbf;
  if (v.exp !== undefined) attrs.exp = v.exp;
  attrs.created = v.created;
  attrs.updated = v.updated;
  attrs.recoveryLevel = recoveryLevel(settings);
  attrs.recoverableDays = settings.retentionDays;
  return attrs;
}

/**
 * A secret version: `{name, version, value?, contentType?, tags?, attributes}`. `value` only
 * when asked for (get); set/update/recover/restore/list answers carry none.
 */
export function secretBundle(
  record: SecretRecord, version: string, v: VersionRecord, settings: VaultSettings, opts: { withValue?: boolean } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = { name: record.name, version };
  if (opts.withValue) out.value = v.value;
  if (v.contentType !== undefined) out.contentType = v.contentType;
  if (v.tags !== undefined) out.tags = { ...v.tags };
  out.attributes = attributesView(v, settings);
  return out;
}

/** A deleted secret: the latest version's bundle (no value) plus `deletedDate` and `scheduledPurgeDate`. */
export function deletedBundle(record: DeletedRecord, v: VersionRecord, settings: VaultSettings): Record<string, unknown> {
  return {
    ...secretBundle(record, record.current, v, settings),
    deletedDate: record.deletedDate,
    scheduledPurgeDate: record.scheduledPurgeDate,
  };
}

/** A page of items: `{items, nextSkipToken?}` (the Azure front turns the token into `nextLink`). */
export function pageView(items: Record<string, unknown>[], nextSkipToken: string | undefined): Record<string, unknown> {
  return nextSkipToken === undefined ? { items } : { items, nextSkipToken };
}
