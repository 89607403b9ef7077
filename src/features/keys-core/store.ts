/**
 * Named keys in a mount's storage view (barrier-encrypted; never anywhere else).
 *
 * Layout, relative to the view: `<prefix><name>` holds the whole NamedKey as JSON (every
 * version's material and metadata in one record, so a rotation or config change is one write
 * and core's per-request storage transaction makes each read-modify-write exactly-once across
 * nodes). Transit uses the prefix `policy/` (Vault's own layout); another view picks its own.
 * No cache and no lock here on purpose: the transaction is the concurrency control.
 */
import { badRequest } from '../../core/errors.js';
import type { Storage } from '../../storage/types.js';
import { decodeJson, encodeJson } from '../../core/codec.js';
import type { NamedKey } from './types.js';

// Vault's GenericNameRegex (word characters, with `-` and `.` inside), capped in length.
const NAME_RE = /^\w(?:[\w.-]{0,254}\w)?$/;

/** Checks a key name: letters, digits and `_`, with `-` and `.` inside; at most 256 characters, no `/`. */
export function checkKeyName(name: string | undefined): string {
  if (!name || !NAME_RE.test(name)) {
    throw badRequest('invalid key name: use letters, digits and "_" (with "-" and "." inside), at most 256 characters');
  }
  return name;
}

/** Reads and writes named keys under one prefix of a storage view. */
export class KeyStore {
  constructor(
    private readonly storage: Storage,
    private readonly prefix = 'policy/',
  ) {}

  /** The key, or undefined. */
  async get(name: string): Promise<NamedKey | undefined> {
    const raw = await this.storage.get(this.prefix + checkKeyName(name));
    return raw ? decodeJson<NamedKey>(raw) : undefined;
  }

  /** Writes the whole record. */
  async put(key: NamedKey): Promise<void> {
    await this.storage.put(this.prefix + checkKeyName(key.name), encodeJson(key));
  }

  /** Removes the key and all its versions. */
  async delete(name: string): Promise<void> {
    await this.storage.delete(this.prefix + checkKeyName(name));
  }

  /** Key names, sorted; `after`/`limit` page through them. */
  async list(options: { after?: string; limit?: number } = {}): Promise<string[]> {
    return (await this.storage.list(this.prefix, options)).filter((n) => !n.endsWith('/'));
  }
}
