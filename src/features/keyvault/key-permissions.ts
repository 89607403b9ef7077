/**
 * Key Vault KEY permissions in terms of Coffer's ACL (the secret ones are in access-policy.ts,
 * which renders both onto one policy). Each permission maps to capabilities on this vault's key
 * paths (relative to the mount); the paths are chosen so that no two permissions share a path
 * rule (`rotationpolicy/<n>` is not under `keys/+/+`, which `get` grants), so the ACL's
 * most-specific-rule choice can never widen one permission into another.
 */
import type { Operation } from '../../core/logical.js';

/** A Key Vault key permission (Azure's spelling; az accepts any case). */
export type KeyPermission =
  | 'get' | 'list' | 'create' | 'import' | 'update' | 'delete' | 'recover' | 'backup' | 'restore' | 'purge'
  | 'encrypt' | 'decrypt' | 'wrapKey' | 'unwrapKey' | 'sign' | 'verify' | 'rotate' | 'getrotationpolicy' | 'setrotationpolicy';

/** Every key permission, in Key Vault's order. */
export const KEY_PERMISSIONS: readonly KeyPermission[] = [
  'get', 'list', 'create', 'import', 'update', 'delete', 'recover', 'backup', 'restore', 'purge',
  'encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'sign', 'verify', 'rotate', 'getrotationpolicy', 'setrotationpolicy',
];

/** The remote cryptographic operations: engine path segment -> permission. */
export const CRYPTO_OPERATIONS = {
  encrypt: 'encrypt', decrypt: 'decrypt', wrapkey: 'wrapKey', unwrapkey: 'unwrapKey', sign: 'sign', verify: 'verify',
} as const satisfies Record<string, KeyPermission>;

/** An engine crypto path segment (`encrypt`, `wrapkey`, ...). */
export type CryptoOperation = keyof typeof CRYPTO_OPERATIONS;

/** True when `s` is a crypto path segment. */
export function isCryptoOperation(s: string | undefined): s is CryptoOperation {
  return s !== undefined && Object.prototype.hasOwnProperty.call(CRYPTO_OPERATIONS, s);
}

type Cap = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list';

/** Capabilities each key permission grants, on paths relative to the mount. */
export const KEY_GRANTS: Record<KeyPermission, Array<[path: string, caps: Cap[]]>> = {
  get: [['keys/+', ['read']], ['keys/+/+', ['read']]],
  list: [['keys/', ['list']], ['keys/+/versions/', ['list']], ['deletedkeys/', ['list']], ['deletedkeys/+', ['read']]],
  create: [['keys/+/create', ['update']]],
  import: [['keys/+', ['create', 'update']]],
  update: [['keys/+', ['patch']], ['keys/+/+', ['patch']]],
  delete: [['keys/+', ['delete']]],
  recover: [['deletedkeys/+/recover', ['update']]],
  backup: [['keys/+/backup', ['update']]],
  restore: [['restorekey', ['update']]],
  purge: [['deletedkeys/+', ['delete']]],
  encrypt: [['keys/+/+/encrypt', ['update']]],
  decrypt: [['keys/+/+/decrypt', ['update']]],
  wrapKey: [['keys/+/+/wrapkey', ['update']]],
  unwrapKey: [['keys/+/+/unwrapkey', ['update']]],
  sign: [['keys/+/+/sign', ['update']]],
  verify: [['keys/+/+/verify', ['update']]],
  rotate: [['keys/+/rotate', ['update']]],
  getrotationpolicy: [['rotationpolicy/+', ['read']]],
  setrotationpolicy: [['rotationpolicy/+', ['update']]],
};

/** Permissions whose holder may also ask for random bytes (`rng`): the crypto operations. */
export const RNG_PERMISSIONS: readonly KeyPermission[] = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'sign', 'verify'];

/** Azure's built-in key roles as key permission sets. */
export const KEY_ROLES: Record<string, readonly KeyPermission[]> = {
  'key vault crypto user': ['get', 'list', 'encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'sign', 'verify'],
  'key vault crypto service encryption user': ['get', 'wrapKey', 'unwrapKey'],
  'key vault crypto officer': KEY_PERMISSIONS,
  'key vault administrator': KEY_PERMISSIONS,
};

/** Parses key permission names case-insensitively (`wrapkey` is `wrapKey`); undefined for an unknown one. */
export function keyPermission(raw: string): KeyPermission | undefined {
  const p = raw.trim().toLowerCase();
  return KEY_PERMISSIONS.find((k) => k.toLowerCase() === p);
}

/**
 * The key permission an (operation, path relative to the mount) needs, e.g.
 * `requiredKeyPermission('update', 'keys/k/abc/sign') === 'sign'`; undefined for paths that are
 * not key operations.
 */
export function requiredKeyPermission(operation: Operation, path: string): KeyPermission | undefined {
  const seg = path.replace(/^\/+/, '').split('/');
  const write = operation === 'create' || operation === 'update';
  if (seg[0] === 'keys') {
    if (seg.length === 2) {
      if (seg[1] === '') return operation === 'list' ? 'list' : undefined;
      if (operation === 'read') return 'get';
      if (write) return 'import';
      if (operation === 'patch') return 'update';
      if (operation === 'delete') return 'delete';
      return undefined;
    }
    if (seg.length === 3) {
      if (write && (seg[2] === 'create' || seg[2] === 'backup' || seg[2] === 'rotate')) return seg[2];
      if (operation === 'read') return 'get';
      if (operation === 'patch') return 'update';
      return undefined;
    }
    if (seg.length === 4 && seg[2] === 'versions' && seg[3] === '' && operation === 'list') return 'list';
    if (seg.length === 4 && write && isCryptoOperation(seg[3])) return CRYPTO_OPERATIONS[seg[3]];
    return undefined;
  }
  if (seg[0] === 'deletedkeys') {
    if (seg.length === 2 && seg[1] === '') return operation === 'list' ? 'list' : undefined;
    if (seg.length === 2) return operation === 'read' ? 'list' : operation === 'delete' ? 'purge' : undefined;
    if (seg.length === 3 && seg[2] === 'recover' && write) return 'recover';
    return undefined;
  }
  if (seg[0] === 'rotationpolicy' && seg.length === 2) return operation === 'read' ? 'getrotationpolicy' : write ? 'setrotationpolicy' : undefined;
  if (seg.length === 1 && seg[0] === 'restorekey' && write) return 'restore';
  return undefined;
}
