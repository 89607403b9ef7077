/**
 * AppRole storage inside the mount's view:
 *
 *   salt                          mount salt (random) for the role-id index
 *   role/<name>                   RoleEntry
 *   role_id/<hmac(salt, role_id)> { name, role }           (role-id → role, unique; role: a copy
 *                                                          written with role/<name>, for logins)
 *   secret_id/<uid>/<hmac>        SecretIdEntry            (hmac = HMAC-SHA256(role key, secret_id))
 *   accessor/<uid>/<hmac>         { accessor, hmac }       (hmac of the accessor, same role key)
 *   expiry/<ms>_<uid>_<hmac>      {}                       (sorted by time: tidy reads only the head)
 *
 * Secret-ids are never stored: only their HMAC, which is enough because they are 122-bit random
 * values (no KDF needed). `uid` is random per role, so a deleted and re-created role never sees
 * its predecessor's secret-ids.
 */
import { timingSafeEqual } from 'node:crypto';
import type { BatchOp, Storage } from '../../storage/types.js';
import { createHmacHex, type HmacHex } from '../../core/hmac-sha256.js';
import { KeyedMutex } from '../../core/keyed-mutex.js';
import { StoredKey } from '../../core/stored-key.js';
import { decodeJson, encodeJson } from '../auth-common/names.js';
import type { RoleEntry } from './role.js';

/** A stored secret-id (without the secret itself). */
export interface SecretIdEntry {
  /** Hex HMAC of the secret-id under the role key (also its storage name). */
  hmac: string;
  accessor: string;
  /** Hex HMAC of the accessor (the name of its index entry). */
  accessor_digest: string;
  /** Unix ms. */
  creation_time: number;
  /** Unix ms; 0 = never expires. */
  expiration_time: number;
  last_updated_time: number;
  /** Remaining uses; 0 = unlimited. */
  num_uses: number;
  cidr_list: string[];
  token_bound_cidrs: string[];
  metadata: Record<string, string>;
}

/** A role-id index entry: the role's name, and (since the copy was added) the role itself. */
interface RoleIdIndex {
  name: string;
  role?: RoleEntry;
}

interface AccessorEntry {
  accessor: string;
  hmac: string;
}

const EMPTY = new Uint8Array(0);
const BATCH = 300;
/** Expiry entries tidied per storage round trip, and rounds per tidy call (keeps each tick cheap). */
const TIDY_PAGE = 256;
const TIDY_ROUNDS = 8;

/** Role-ids whose index digest is remembered (see saltHmac). */
const ROLE_ID_DIGESTS = 1024;

/** Roles whose HMAC key is kept imported (a login hashes under it every time). */
const ROLE_HASHERS = 1024;

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Constant-time equality of two strings (their lengths are not secret). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** The storage layer of one AppRole mount. */
export class ApproleStore {
  /** Role writes (the role-id index spans roles, so one lock for all role writes). */
  readonly roleLock = new KeyedMutex();
  /** Per secret-id locks: use counts are read-modify-write. */
  readonly secretLock = new KeyedMutex();
  private tidyRunning: Promise<number> | undefined;
  private tidyQueued: Promise<number> | undefined;

  private readonly saltKey: StoredKey;
  /**
   * Hashers with their key imported once (per login: one HMAC under the salt, one or two under the
   * role key). Invariant: each gives exactly HMAC-SHA256(key, ·) in hex as before, so stored digests are unchanged;
   * keyed by the key itself, so a role re-created with a new key never meets an old hasher.
   */
  private saltHasher: { salt: Buffer; hash: HmacHex; memo: Map<string, string> } | undefined;
  private readonly roleHashers = new Map<string, HmacHex>();

  constructor(private readonly storage: Storage, private readonly now: () => number) {
    this.saltKey = new StoredKey(storage, 'salt');
  }

  /** The mount salt, created on first use. */
  salt(): Promise<Buffer> {
    return this.saltKey.get();
  }

  /** HMAC under the mount salt (the role-id index). */
  private async saltHmac(value: string): Promise<string> {
    const salt = this.saltKey.value ?? (await this.salt());
    if (this.saltHasher?.salt !== salt) this.saltHasher = { salt, hash: createHmacHex(salt), memo: new Map() };
    // A busy client presents the same role-id on every login: its digest is remembered (bounded;
    // tied to this salt object, so a new salt starts an empty memo and no digest can be stale).
    const { memo } = this.saltHasher;
    let digest = memo.get(value);
    if (digest === undefined) {
      if (memo.size >= ROLE_ID_DIGESTS) memo.clear();
      digest = this.saltHasher.hash(value);
      memo.set(value, digest);
    }
    return digest;
  }

  /** HMAC under a role's key; the same digest as createHmac('sha256', Buffer.from(role.hmac_key, 'hex')). */
  private roleHmac(role: RoleEntry, value: string): string {
    let hash = this.roleHashers.get(role.hmac_key);
    if (!hash) {
      if (this.roleHashers.size >= ROLE_HASHERS) this.roleHashers.clear(); // bounded whatever the number of roles
      hash = createHmacHex(Buffer.from(role.hmac_key, 'hex'));
      this.roleHashers.set(role.hmac_key, hash);
    }
    return hash(value);
  }

  private async roleIdKey(roleId: string): Promise<string> {
    return `role_id/${await this.saltHmac(roleId)}`;
  }

  // ------------------------------------------------------------------ roles

  /** The role named `name`, if any. */
  async getRole(name: string): Promise<RoleEntry | undefined> {
    const raw = await this.storage.get(`role/${name}`);
    return raw ? decodeJson<RoleEntry>(raw) : undefined;
  }

  /** Role names, sorted. */
  async listRoles(): Promise<string[]> {
    return (await this.storage.list('role/')).filter((n) => !n.endsWith('/'));
  }

  /** The name of the role holding `roleId`, if any (call under roleLock when about to write). */
  async roleNameForRoleId(roleId: string): Promise<string | undefined> {
    const raw = await this.storage.get(await this.roleIdKey(roleId));
    return raw ? decodeJson<{ name: string }>(raw).name : undefined;
  }

  /** Looks a role up by role-id, confirming the match in constant time. */
  async roleByRoleId(roleId: string): Promise<RoleEntry | undefined> {
    const digest = await this.saltHmac(roleId);
    const raw = await this.storage.get(`role_id/${digest}`);
    if (!raw) return undefined;
    const index = decodeJson<RoleIdIndex>(raw);
    // The index carries the role as putRole wrote it, in the same batch as role/<name> (the only
    // writer of either; deleteRole drops both in one batch too), so a login reads one key, and its
    // commit is conditioned on that key, which changes with every role write. Entries written
    // before the copy was added hold only the name: the role is read from role/<name>.
    const role = index.role?.name === index.name ? index.role : await this.getRole(index.name);
    // The index could be stale if a write was interrupted: trust only the role's own role_id,
    // compared in constant time with the one presented (the same verdict as comparing their
    // HMACs, without a second HMAC per login).
    if (!role || !sameText(role.role_id, roleId)) return undefined;
    return role;
  }

  /** Writes a role and its role-id index atomically (dropping the old index when the id changed). */
  async putRole(role: RoleEntry, previous?: RoleEntry): Promise<void> {
    const ops: BatchOp[] = [
      { type: 'put', key: `role/${role.name}`, value: encodeJson(role) },
      { type: 'put', key: await this.roleIdKey(role.role_id), value: encodeJson({ name: role.name, role } satisfies RoleIdIndex) },
    ];
    if (previous && previous.role_id !== role.role_id) ops.push({ type: 'delete', key: await this.roleIdKey(previous.role_id) });
    await this.storage.batch(ops);
  }

  /** Deletes a role, its role-id index and every secret-id it issued. */
  async deleteRole(role: RoleEntry): Promise<void> {
    await this.storage.batch([
      { type: 'delete', key: `role/${role.name}` },
      { type: 'delete', key: await this.roleIdKey(role.role_id) },
    ]);
    // The role is gone first, so no login can use its secret-ids while they are being removed.
    const ops: BatchOp[] = [];
    for (const name of await this.storage.list(`secret_id/${role.uid}/`)) {
      const raw = await this.storage.get(`secret_id/${role.uid}/${name}`);
      if (raw) ops.push(...this.deleteOps(role, decodeJson<SecretIdEntry>(raw)));
      else ops.push({ type: 'delete', key: `secret_id/${role.uid}/${name}` });
    }
    for (const name of await this.storage.list(`accessor/${role.uid}/`)) ops.push({ type: 'delete', key: `accessor/${role.uid}/${name}` });
    for (let i = 0; i < ops.length; i += BATCH) await this.storage.batch(ops.slice(i, i + BATCH));
  }

  // ------------------------------------------------------------------ secret-ids

  /** HMAC of a secret-id under the role's key. */
  secretDigest(role: RoleEntry, secretId: string): string {
    return this.roleHmac(role, secretId);
  }

  /** HMAC of an accessor under the role's key (its index entry's name). */
  accessorDigest(role: RoleEntry, accessor: string): string {
    return this.roleHmac(role, `accessor\0${accessor}`);
  }

  private expiryKey(role: RoleEntry, entry: SecretIdEntry): string {
    return `expiry/${String(entry.expiration_time).padStart(16, '0')}_${role.uid}_${entry.hmac}`;
  }

  private deleteOps(role: RoleEntry, entry: SecretIdEntry): BatchOp[] {
    const ops: BatchOp[] = [
      { type: 'delete', key: `secret_id/${role.uid}/${entry.hmac}` },
      { type: 'delete', key: `accessor/${role.uid}/${entry.accessor_digest}` },
    ];
    if (entry.expiration_time > 0) ops.push({ type: 'delete', key: this.expiryKey(role, entry) });
    return ops;
  }

  /** Stores a new secret-id entry with its accessor and expiry index; false when it already exists. */
  async createSecretId(role: RoleEntry, entry: SecretIdEntry): Promise<boolean> {
    return this.secretLock.run(`${role.uid}/${entry.hmac}`, async () => {
      if (await this.storage.get(`secret_id/${role.uid}/${entry.hmac}`)) return false;
      const ops: BatchOp[] = [
        { type: 'put', key: `secret_id/${role.uid}/${entry.hmac}`, value: encodeJson(entry) },
        { type: 'put', key: `accessor/${role.uid}/${entry.accessor_digest}`, value: encodeJson({ accessor: entry.accessor, hmac: entry.hmac } satisfies AccessorEntry) },
      ];
      if (entry.expiration_time > 0) ops.push({ type: 'put', key: this.expiryKey(role, entry), value: EMPTY });
      await this.storage.batch(ops);
      return true;
    });
  }

  /** The entry for a secret-id digest (not checked for expiry). */
  async getSecretEntry(role: RoleEntry, digest: string): Promise<SecretIdEntry | undefined> {
    const raw = await this.storage.get(`secret_id/${role.uid}/${digest}`);
    if (!raw) return undefined;
    const entry = decodeJson<SecretIdEntry>(raw);
    return sameDigest(entry.hmac, digest) ? entry : undefined;
  }

  /** The secret-id digest an accessor points to, if any. */
  async digestForAccessor(role: RoleEntry, accessor: string): Promise<string | undefined> {
    const raw = await this.storage.get(`accessor/${role.uid}/${this.accessorDigest(role, accessor)}`);
    return raw ? decodeJson<AccessorEntry>(raw).hmac : undefined;
  }

  /** True when the entry has expired at `now`. */
  expired(entry: SecretIdEntry): boolean {
    return entry.expiration_time > 0 && entry.expiration_time <= this.now();
  }

  /** Deletes one secret-id with its indexes, atomically. */
  async deleteSecretEntry(role: RoleEntry, entry: SecretIdEntry): Promise<void> {
    await this.storage.batch(this.deleteOps(role, entry));
  }

  /**
   * Takes one use of a secret-id (call under secretLock): the last use deletes it with its
   * indexes in one batch; otherwise the decremented count is written back.
   */
  async consumeUse(role: RoleEntry, entry: SecretIdEntry): Promise<void> {
    if (entry.num_uses === 0) return;
    if (entry.num_uses === 1) {
      await this.deleteSecretEntry(role, entry);
      return;
    }
    const next: SecretIdEntry = { ...entry, num_uses: entry.num_uses - 1, last_updated_time: this.now() };
    await this.storage.batch([{ type: 'put', key: `secret_id/${role.uid}/${entry.hmac}`, value: encodeJson(next) }]);
  }

  /** Accessors of a role's live secret-ids, sorted. */
  async listAccessors(role: RoleEntry): Promise<string[]> {
    const out: string[] = [];
    for (const name of await this.storage.list(`accessor/${role.uid}/`)) {
      const raw = await this.storage.get(`accessor/${role.uid}/${name}`);
      if (!raw) continue;
      const acc = decodeJson<AccessorEntry>(raw);
      const entry = await this.getSecretEntry(role, acc.hmac);
      if (entry && !this.expired(entry)) out.push(acc.accessor);
    }
    return out.sort();
  }

  /**
   * Deletes expired secret-ids. Reads only the head of the time-sorted expiry index, so a call
   * with nothing due costs one small list. A call made while a pass is running waits for it and
   * then runs one more pass (shared by every caller that arrives meanwhile), so when it resolves,
   * everything that was due when it was called is gone, and ticks never pile up.
   */
  tidy(): Promise<number> {
    if (!this.tidyRunning) {
      this.tidyRunning = this.tidyPass().finally(() => {
        this.tidyRunning = undefined;
      });
      return this.tidyRunning;
    }
    this.tidyQueued ??= this.tidyRunning.catch(() => 0).then(() => {
      this.tidyQueued = undefined;
      return this.tidy();
    });
    return this.tidyQueued;
  }

  private async tidyPass(): Promise<number> {
    let removed = 0;
    const now = this.now();
    for (let round = 0; round < TIDY_ROUNDS; round++) {
      const names = await this.storage.list('expiry/', { limit: TIDY_PAGE });
      let due = 0;
      for (const name of names) {
        const [msText, uid, digest] = name.split('_');
        if (Number(msText) > now) break;
        due++;
        removed += await this.expireOne(name, uid ?? '', digest ?? '');
      }
      if (due < TIDY_PAGE) break;
    }
    return removed;
  }

  private async expireOne(indexName: string, uid: string, digest: string): Promise<number> {
    return this.secretLock.run(`${uid}/${digest}`, async () => {
      const raw = await this.storage.get(`secret_id/${uid}/${digest}`);
      const entry = raw ? decodeJson<SecretIdEntry>(raw) : undefined;
      if (!entry || !this.expired(entry)) {
        // Dangling index entry (secret-id used up, destroyed or its role deleted).
        await this.storage.delete(`expiry/${indexName}`);
        return 0;
      }
      await this.storage.batch([
        { type: 'delete', key: `secret_id/${uid}/${digest}` },
        { type: 'delete', key: `accessor/${uid}/${entry.accessor_digest}` },
        { type: 'delete', key: `expiry/${indexName}` },
      ]);
      return 1;
    });
  }
}
