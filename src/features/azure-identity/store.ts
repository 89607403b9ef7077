/**
 * Storage of one `azure-ad` mount, inside the mount's own (barrier-encrypted) view:
 *
 *   salt                      32 random bytes: the HMAC key for client secrets and sessions
 *   signing-key               the ES256 key that signs access tokens (see signing-key.ts)
 *   sp/<appId>                ServicePrincipal (the client secret only as an HMAC)
 *   mi/<name>                 ManagedIdentity
 *   id/<uuid>                 { kind, key }: objectId / principalId / clientId → its principal
 *   session/<name>/<hmac>     SessionEntry (hmac = HMAC-SHA256(salt, session secret))
 *
 * Secrets (client secrets, session secrets) are 256-bit random values, so a keyed HMAC is
 * enough to store them: no password KDF is needed, and a leaked database reveals nothing usable.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BatchOp, Storage } from '../../storage/types.js';
import { KeyedMutex } from '../../core/keyed-mutex.js';
import { StoredKey } from '../../core/stored-key.js';
import { decodeJson, encodeJson } from '../auth-common/names.js';

/** An application (service principal) that logs in with a client secret. */
export interface ServicePrincipal {
  appId: string;
  objectId: string;
  displayName: string;
  /** Hex HMAC-SHA256 of the client secret under the mount salt. */
  secretHmac: string;
  policies: string[];
  /** Unix ms. */
  createdAt: number;
  passwordUpdatedAt: number;
}

/** A managed identity: a named principal that processes reach through a session secret. */
export interface ManagedIdentity {
  name: string;
  principalId: string;
  clientId: string;
  policies: string[];
  createdAt: number;
}

/** One live session of a managed identity (the secret itself is never stored). */
export interface SessionEntry {
  hmac: string;
  /** Unix ms. */
  createdAt: number;
  expiresAt: number;
}

/** Either kind of principal, as resolved from an id. */
export type Principal = { kind: 'sp'; sp: ServicePrincipal } | { kind: 'mi'; mi: ManagedIdentity };

interface IdIndex {
  kind: 'sp' | 'mi';
  /** appId for a service principal, name for a managed identity. */
  key: string;
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a lower-case UUID (the only shape appIds and object ids take). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The storage layer of one azure-ad mount. */
export class AzureIdentityStore {
  /** Serialises writes to principals (a principal and its id index change together). */
  readonly lock = new KeyedMutex();

  private readonly saltKey: StoredKey;

  constructor(readonly storage: Storage) {
    this.saltKey = new StoredKey(storage, 'salt');
  }

  /** The mount salt, created on first use. */
  salt(): Promise<Buffer> {
    return this.saltKey.get();
  }

  /** HMAC-SHA256 of a secret under the mount salt, hex; `purpose` keeps secret kinds apart. */
  async digest(purpose: 'client-secret' | 'session', secret: string): Promise<string> {
    return createHmac('sha256', await this.salt()).update(`${purpose}\0${secret}`, 'utf8').digest('hex');
  }

  // ------------------------------------------------------------------ service principals

  /** The service principal with this appId, if any. */
  async getSp(appId: string): Promise<ServicePrincipal | undefined> {
    if (!isUuid(appId)) return undefined;
    const raw = await this.storage.get(`sp/${appId}`);
    return raw ? decodeJson<ServicePrincipal>(raw) : undefined;
  }

  /** AppIds of every service principal, sorted. */
  async listSps(): Promise<string[]> {
    return (await this.storage.list('sp/')).filter((n) => !n.endsWith('/'));
  }

  /** Writes a service principal and its objectId index. */
  async putSp(sp: ServicePrincipal): Promise<void> {
    await this.storage.batch([
      { type: 'put', key: `sp/${sp.appId}`, value: encodeJson(sp) },
      { type: 'put', key: `id/${sp.objectId}`, value: encodeJson({ kind: 'sp', key: sp.appId } satisfies IdIndex) },
    ]);
  }

  /** Deletes a service principal and its index entry. */
  async deleteSp(sp: ServicePrincipal): Promise<void> {
    await this.storage.batch([
      { type: 'delete', key: `sp/${sp.appId}` },
      { type: 'delete', key: `id/${sp.objectId}` },
    ]);
  }

  // ------------------------------------------------------------------ managed identities

  /** The managed identity with this (normalised) name, if any. */
  async getMi(name: string): Promise<ManagedIdentity | undefined> {
    const raw = await this.storage.get(`mi/${name}`);
    return raw ? decodeJson<ManagedIdentity>(raw) : undefined;
  }

  /** Names of every managed identity, sorted. */
  async listMis(): Promise<string[]> {
    return (await this.storage.list('mi/')).filter((n) => !n.endsWith('/'));
  }

  /** Writes a managed identity and its principalId / clientId index entries. */
  async putMi(mi: ManagedIdentity): Promise<void> {
    const index = encodeJson({ kind: 'mi', key: mi.name } satisfies IdIndex);
    await this.storage.batch([
      { type: 'put', key: `mi/${mi.name}`, value: encodeJson(mi) },
      { type: 'put', key: `id/${mi.principalId}`, value: index },
      { type: 'put', key: `id/${mi.clientId}`, value: index },
    ]);
  }

  /** Deletes a managed identity, its index entries and every session. */
  async deleteMi(mi: ManagedIdentity): Promise<void> {
    await this.storage.batch([
      { type: 'delete', key: `mi/${mi.name}` },
      { type: 'delete', key: `id/${mi.principalId}` },
      { type: 'delete', key: `id/${mi.clientId}` },
    ]);
    const ops: BatchOp[] = (await this.storage.list(`session/${mi.name}/`)).map((h) => ({ type: 'delete', key: `session/${mi.name}/${h}` }));
    for (let i = 0; i < ops.length; i += 300) await this.storage.batch(ops.slice(i, i + 300));
  }

  // ------------------------------------------------------------------ resolution

  /**
   * The principal an id names: an appId, an objectId, a managed identity's principalId or
   * clientId, or a managed identity's name.
   */
  async resolve(id: string): Promise<Principal | undefined> {
    const key = id.trim().toLowerCase();
    if (isUuid(key)) {
      const sp = await this.getSp(key);
      if (sp) return { kind: 'sp', sp };
      const raw = await this.storage.get(`id/${key}`);
      if (raw) {
        const index = decodeJson<IdIndex>(raw);
        if (index.kind === 'sp') {
          const found = await this.getSp(index.key);
          if (found && found.objectId === key) return { kind: 'sp', sp: found };
        } else {
          const found = await this.getMi(index.key);
          if (found && (found.principalId === key || found.clientId === key)) return { kind: 'mi', mi: found };
        }
      }
      return undefined;
    }
    if (!/^[\w.@-]+$/.test(key)) return undefined;
    const mi = await this.getMi(key);
    return mi ? { kind: 'mi', mi } : undefined;
  }

  // ------------------------------------------------------------------ sessions

  /** Stores a session of `name`. */
  async putSession(name: string, entry: SessionEntry): Promise<void> {
    await this.storage.put(`session/${name}/${entry.hmac}`, encodeJson(entry));
  }

  /** The session with this digest, if it exists (expiry is the caller's check). */
  async getSession(name: string, hmac: string): Promise<SessionEntry | undefined> {
    const raw = await this.storage.get(`session/${name}/${hmac}`);
    if (!raw) return undefined;
    const entry = decodeJson<SessionEntry>(raw);
    return sameDigest(entry.hmac, hmac) ? entry : undefined;
  }

  /** Removes one session. */
  async deleteSession(name: string, hmac: string): Promise<void> {
    await this.storage.delete(`session/${name}/${hmac}`);
  }

  /** Deletes sessions that expired before `now` (Unix ms). */
  async tidySessions(now: number): Promise<void> {
    for (const dir of await this.storage.list('session/')) {
      if (!dir.endsWith('/')) continue;
      const ops: BatchOp[] = [];
      for (const h of await this.storage.list(`session/${dir}`)) {
        const raw = await this.storage.get(`session/${dir}${h}`);
        if (!raw || decodeJson<SessionEntry>(raw).expiresAt <= now) ops.push({ type: 'delete', key: `session/${dir}${h}` });
      }
      for (let i = 0; i < ops.length; i += 300) await this.storage.batch(ops.slice(i, i + 300));
    }
  }
}
