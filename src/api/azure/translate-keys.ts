/**
 * Key Vault front, inbound, for KEYS: maps `/keys/...`, `/deletedkeys/...` and `/rng` calls to the
 * operation on the vault's `keyvault` mount (docs/dev/AZURE.md, "Keys" table), as translate.ts
 * does for secrets.
 */
import type { AzureCall, Unrecognised } from './translate.js';

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-zA-Z]{1,64}$/;
/** Key Vault's crypto verbs as they appear in URLs (lower-cased) -> engine segment. */
const CRYPTO = new Set(['encrypt', 'decrypt', 'wrapkey', 'unwrapkey', 'sign', 'verify']);

/** Maps a keys call (decoded path segments after the collection) to the engine call. */
export function translateKeyCall(m: string, pathname: string, collection: string, rest: string[]): AzureCall | Unrecognised {
  const notSupported = (): Unrecognised => ({ error: 'method', message: `The operation ${m} ${pathname.slice(0, 200)} is not supported by this Key Vault.` });
  if (collection === 'rng') {
    if (rest.length > 1 || (rest.length === 1 && rest[0] !== '')) return { error: 'not-found', message: `${pathname.slice(0, 200)} is not part of the Key Vault API.` };
    return m === 'POST' ? { operation: 'update', path: 'rng', render: 'random', hasBody: true } : notSupported();
  }
  const [name, third, fourth, fifth, ...more] = rest;
  if (more.length > 0) return { error: 'not-found', message: `${pathname.slice(0, 200)} is not part of the Key Vault keys API.` };
  if (name === undefined || (name === '' && third === undefined)) {
    if (m !== 'GET') return notSupported();
    return collection === 'keys'
      ? { operation: 'list', path: 'keys/', render: 'keyPage', hasBody: false, collection: '/keys' }
      : { operation: 'list', path: 'deletedkeys/', render: 'deletedKeyPage', hasBody: false, collection: '/deletedkeys' };
  }
  if (collection === 'keys' && name === 'restore' && third === undefined && m === 'POST') {
    return { operation: 'update', path: 'restorekey', render: 'key', hasBody: true };
  }
  if (!NAME.test(name)) {
    return { error: 'bad-name', message: `The key name ${JSON.stringify(name.slice(0, 130))} is invalid: use 1-127 letters, digits and "-".` };
  }
  const n = name;
  if (collection === 'deletedkeys') {
    if (fifth !== undefined) return notSupported();
    if (third === undefined || (third === '' && fourth === undefined)) {
      if (m === 'GET') return { operation: 'read', path: `deletedkeys/${n}`, render: 'deletedKey', hasBody: false };
      if (m === 'DELETE') return { operation: 'delete', path: `deletedkeys/${n}`, render: 'empty', hasBody: false };
      return notSupported();
    }
    if (third === 'recover' && fourth === undefined && m === 'POST') return { operation: 'update', path: `deletedkeys/${n}/recover`, render: 'key', hasBody: false };
    return notSupported();
  }
  // `/keys/{n}` and `/keys/{n}/` (empty version = latest).
  if (third === undefined || (third === '' && fourth === undefined)) {
    switch (m) {
      case 'PUT':
        return third === undefined ? { operation: 'update', path: `keys/${n}`, render: 'key', hasBody: true } : notSupported();
      case 'GET':
        return { operation: 'read', path: `keys/${n}`, render: 'key', hasBody: false };
      case 'PATCH':
        return { operation: 'patch', path: `keys/${n}`, render: 'key', hasBody: true };
      case 'DELETE':
        return third === undefined ? { operation: 'delete', path: `keys/${n}`, render: 'deletedKey', hasBody: false } : notSupported();
      default:
        return notSupported();
    }
  }
  // `/keys/{n}/{version}/{op}`, the version possibly empty (= latest).
  if (fourth !== undefined && fourth !== '' && fifth === undefined) {
    const op = fourth.toLowerCase();
    if (CRYPTO.has(op) && m === 'POST' && (third === '' || VERSION.test(third))) {
      // Core refuses empty path segments: an empty version (= latest) travels as `latest`.
      return { operation: 'update', path: `keys/${n}/${third || 'latest'}/${op}`, render: op === 'verify' ? 'verify' : 'keyOperation', hasBody: true };
    }
    return notSupported();
  }
  if (fifth !== undefined || (fourth !== undefined && !(third === 'versions' && fourth === ''))) return notSupported();
  if (third === 'versions' && m === 'GET') {
    return { operation: 'list', path: `keys/${n}/versions/`, render: 'keyVersions', hasBody: false, collection: `/keys/${n}/versions` };
  }
  if (fourth !== undefined) return notSupported();
  if (third === 'create' && m === 'POST') return { operation: 'update', path: `keys/${n}/create`, render: 'key', hasBody: true };
  if (third === 'backup' && m === 'POST') return { operation: 'update', path: `keys/${n}/backup`, render: 'backup', hasBody: false };
  if (third === 'rotate' && m === 'POST') return { operation: 'update', path: `keys/${n}/rotate`, render: 'key', hasBody: false };
  if (third === 'rotationpolicy') {
    if (m === 'GET') return { operation: 'read', path: `rotationpolicy/${n}`, render: 'rotationPolicy', hasBody: false };
    if (m === 'PUT') return { operation: 'update', path: `rotationpolicy/${n}`, render: 'rotationPolicy', hasBody: true };
    return notSupported();
  }
  if (VERSION.test(third)) {
    if (m === 'GET') return { operation: 'read', path: `keys/${n}/${third}`, render: 'key', hasBody: false };
    if (m === 'PATCH') return { operation: 'patch', path: `keys/${n}/${third}`, render: 'key', hasBody: true };
  }
  return notSupported();
}
