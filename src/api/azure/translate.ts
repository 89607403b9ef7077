/**
 * Key Vault front, inbound: maps one Key Vault secrets call (method + path under a vault host)
 * to the operation on the vault's `keyvault` mount (docs/dev/AZURE.md, "Engine" table), and
 * says how the answer must be rendered.
 */
import type { Operation } from '../../core/logical.js';
import { translateKeyCall } from './translate-keys.js';

/** How the engine's answer becomes a Key Vault response. */
export type RenderKind =
  | 'bundle' // SecretBundle, versioned id
  | 'deleted' // DeletedSecretBundle
  | 'page' // secrets list: unversioned ids
  | 'versions' // versions list: versioned ids
  | 'deletedPage' // deleted secrets list
  | 'backup' // {value}
  | 'empty' // 204 (purge)
  | 'key' // KeyBundle, versioned kid
  | 'deletedKey' // DeletedKeyBundle
  | 'keyPage' // keys list: unversioned kids
  | 'keyVersions' // key versions list: versioned kids
  | 'deletedKeyPage' // deleted keys list
  | 'keyOperation' // KeyOperationResult {kid, value}
  | 'verify' // KeyVerifyResult {value: boolean}
  | 'rotationPolicy' // KeyRotationPolicy with its id
  | 'random'; // {value} random bytes

/** A recognised Key Vault call. */
export interface AzureCall {
  operation: Operation;
  /** Path relative to the vault mount, e.g. `secrets/s1`. */
  path: string;
  render: RenderKind;
  /** Whether the request body is read (JSON object). */
  hasBody: boolean;
  /** For lists: the collection path the nextLink points at, e.g. `/secrets/s1/versions`. */
  collection?: string;
}

/** Why a (method, path) is not a Key Vault secrets call. */
export type Unrecognised = { error: 'not-found' | 'method' | 'bad-name'; message: string };

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-zA-Z]{1,64}$/;

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Maps a Key Vault request to the engine call, or says why it cannot. */
export function translateCall(method: string, pathname: string): AzureCall | Unrecognised {
  const seg = decodeSegments(pathname);
  const notSupported = (): Unrecognised => ({ error: 'method', message: `The operation ${method} ${pathname.slice(0, 200)} is not supported by this Key Vault.` });
  if (!seg) return { error: 'bad-name', message: 'The request URI has malformed percent-encoding.' };
  const [collection, name, third, fourth, ...rest] = seg;
  const m = method.toUpperCase();
  if (collection === 'keys' || collection === 'deletedkeys' || collection === 'rng') return translateKeyCall(m, pathname, collection, seg.slice(1));
  if (rest.length > 0 || (collection !== 'secrets' && collection !== 'deletedsecrets')) {
    return { error: 'not-found', message: `Coffer serves the Key Vault secrets and keys APIs (/secrets, /deletedsecrets, /keys, /deletedkeys, /rng); ${pathname.slice(0, 200)} is not part of them.` };
  }
  // Collection roots: `/secrets`, `/secrets/` (list).
  if (name === undefined || (name === '' && third === undefined)) {
    if (m !== 'GET') return notSupported();
    return collection === 'secrets'
      ? { operation: 'list', path: 'secrets/', render: 'page', hasBody: false, collection: '/secrets' }
      : { operation: 'list', path: 'deletedsecrets/', render: 'deletedPage', hasBody: false, collection: '/deletedsecrets' };
  }
  if (collection === 'secrets' && name === 'restore' && third === undefined && m === 'POST') {
    return { operation: 'update', path: 'restore', render: 'bundle', hasBody: true };
  }
  if (!NAME.test(name)) {
    return { error: 'bad-name', message: `The secret name ${JSON.stringify(name.slice(0, 130))} is invalid: use 1-127 letters, digits and "-".` };
  }

  if (collection === 'deletedsecrets') {
    if (third === undefined || (third === '' && fourth === undefined)) {
      if (m === 'GET') return { operation: 'read', path: `deletedsecrets/${name}`, render: 'deleted', hasBody: false };
      if (m === 'DELETE') return { operation: 'delete', path: `deletedsecrets/${name}`, render: 'empty', hasBody: false };
      return notSupported();
    }
    if (third === 'recover' && fourth === undefined && m === 'POST') {
      return { operation: 'update', path: `deletedsecrets/${name}/recover`, render: 'bundle', hasBody: false };
    }
    return notSupported();
  }

  // `/secrets/{n}` and `/secrets/{n}/` (empty version = latest).
  if (third === undefined || (third === '' && fourth === undefined)) {
    switch (m) {
      case 'PUT':
        if (third !== undefined) return notSupported();
        return { operation: 'update', path: `secrets/${name}`, render: 'bundle', hasBody: true };
      case 'GET':
        return { operation: 'read', path: `secrets/${name}`, render: 'bundle', hasBody: false };
      case 'PATCH':
        return { operation: 'patch', path: `secrets/${name}`, render: 'bundle', hasBody: true };
      case 'DELETE':
        if (third !== undefined) return notSupported();
        return { operation: 'delete', path: `secrets/${name}`, render: 'deleted', hasBody: false };
      default:
        return notSupported();
    }
  }
  if (fourth !== undefined && !(third === 'versions' && fourth === '')) return notSupported();
  if (third === 'versions' && m === 'GET') {
    return { operation: 'list', path: `secrets/${name}/versions/`, render: 'versions', hasBody: false, collection: `/secrets/${name}/versions` };
  }
  if (third === 'backup' && m === 'POST') return { operation: 'update', path: `secrets/${name}/backup`, render: 'backup', hasBody: false };
  if (fourth === undefined && VERSION.test(third)) {
    if (m === 'GET') return { operation: 'read', path: `secrets/${name}/${third}`, render: 'bundle', hasBody: false };
    if (m === 'PATCH') return { operation: 'patch', path: `secrets/${name}/${third}`, render: 'bundle', hasBody: true };
  }
  return notSupported();
}

/** Key Vault's name for each secret permission an operation needs (fallback when the engine does not say). */
export function fallbackPermission(call: AzureCall): string {
  const p = call.path;
  if (p === 'rng') return 'encrypt';
  if (call.operation === 'list') return 'list';
  if (p === 'restore') return 'restore';
  if (p.endsWith('/backup')) return 'backup';
  if (p.endsWith('/recover')) return 'recover';
  if (p.startsWith('deletedsecrets/')) return call.operation === 'delete' ? 'purge' : 'list';
  if (call.operation === 'read') return 'get';
  if (call.operation === 'delete') return 'delete';
  return 'set';
}
