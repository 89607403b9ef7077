/**
 * The snapshot file format (version 1): every physical entry, still encrypted by the barrier.
 *
 *   "COFFER-SNAPSHOT\n"                 16-byte magic
 *   u32 BE n, n bytes of JSON           the header ({@link SnapshotHeader})
 *   header.entries times:
 *     u32 BE k, k bytes of UTF-8 key, u32 BE v, v bytes of value
 *   32 bytes                            SHA-256 of every byte before it
 *
 * The entry count is in the header and the checksum closes the file, so a truncated or
 * altered file is detected before anything is restored. The checksum is not a MAC: what
 * stops a forged file is the barrier (its keyring must open with the server's root key, and
 * every value is AES-GCM-sealed with its key as additional data).
 */
import { createHash } from 'node:crypto';
import type { StorageEntry, StorageSnapshot } from './types.js';

/** The file's first bytes. */
export const SNAPSHOT_MAGIC = Buffer.from('COFFER-SNAPSHOT\n', 'utf8');
/** The format version this code writes and reads. */
export const SNAPSHOT_FORMAT = 1;
const MAX_HEADER = 64 * 1024;
const CHECKSUM_BYTES = 32;

/** What a snapshot says about itself. */
export interface SnapshotHeader {
  format: number;
  /** The cluster the snapshot was taken from (`core/cluster`). */
  cluster_id: string;
  cluster_name: string;
  /** The backend it was read from (sqlite, postgresql, inmem). */
  storage_type: string;
  /** RFC 3339 time the snapshot was taken. */
  created_at: string;
  /** How many entries follow. */
  entries: number;
}

/** A snapshot file that cannot be restored; the message says why. */
export class SnapshotFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

const u32 = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
};

/**
 * Encodes `snapshot` as a stream of chunks (one per storage batch), ending with the checksum.
 * Throws if the storage yields a different number of entries than its count (never silently
 * writes a file that restore would refuse).
 */
export async function* encodeSnapshot(
  header: Omit<SnapshotHeader, 'format' | 'entries'>,
  snapshot: StorageSnapshot,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  const emit = (b: Buffer): Buffer => {
    hash.update(b);
    return b;
  };
  const json = Buffer.from(JSON.stringify({ format: SNAPSHOT_FORMAT, ...header, entries: snapshot.count }), 'utf8');
  yield emit(Buffer.concat([SNAPSHOT_MAGIC, u32(json.length), json]));
  let written = 0;
  try {
    for await (const batch of snapshot.entries()) {
      const parts: Buffer[] = [];
      for (const e of batch) {
        const key = Buffer.from(e.key, 'utf8');
        parts.push(u32(key.length), key, u32(e.value.length), Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength));
      }
      written += batch.length;
      yield emit(Buffer.concat(parts));
    }
  } finally {
    await snapshot.release();
  }
  if (written !== snapshot.count) throw new Error(`snapshot: storage yielded ${written} entries but counted ${snapshot.count}`);
  yield hash.digest();
}

/** A decoded, fully checked snapshot. Values are views into the file's buffer. */
export interface DecodedSnapshot {
  header: SnapshotHeader;
  entries: StorageEntry[];
}

/**
 * Decodes and checks a whole snapshot file: magic, version, header, every record's bounds,
 * the entry count, the absence of trailing bytes and the checksum. Throws a
 * SnapshotFormatError naming the problem; nothing is returned from a bad file.
 */
export function decodeSnapshot(file: Buffer): DecodedSnapshot {
  const bad = (why: string) => new SnapshotFormatError(why);
  if (file.length < SNAPSHOT_MAGIC.length || !file.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw bad('not a Coffer snapshot (the file does not start with the snapshot header); pass a file written by "coffer operator snapshot save"');
  }
  if (file.length < SNAPSHOT_MAGIC.length + 4 + CHECKSUM_BYTES) throw bad('the snapshot is truncated (too short to hold a header and checksum)');
  const body = file.subarray(0, file.length - CHECKSUM_BYTES);
  const digest = createHash('sha256').update(body).digest();
  const checksumOk = digest.equals(file.subarray(file.length - CHECKSUM_BYTES));
  let pos = SNAPSHOT_MAGIC.length;
  const headerLen = file.readUInt32BE(pos);
  pos += 4;
  if (headerLen > MAX_HEADER || pos + headerLen > body.length) {
    throw bad(checksumOk ? 'the snapshot header is malformed' : 'the snapshot is truncated or corrupted (its header runs past the end of the file)');
  }
  let header: SnapshotHeader;
  try {
    header = JSON.parse(file.subarray(pos, pos + headerLen).toString('utf8')) as SnapshotHeader;
  } catch {
    throw bad('the snapshot is corrupted (its header is not valid JSON)');
  }
  pos += headerLen;
  if (header === null || typeof header !== 'object') throw bad('the snapshot is corrupted (its header is not an object)');
  if (header.format !== SNAPSHOT_FORMAT) {
    throw bad(`unsupported snapshot format ${JSON.stringify(header.format)}: this Coffer reads format ${SNAPSHOT_FORMAT}`);
  }
  if (typeof header.cluster_id !== 'string' || !Number.isSafeInteger(header.entries) || header.entries < 0) {
    throw bad('the snapshot is corrupted (its header lacks the cluster id or entry count)');
  }
  const entries: StorageEntry[] = [];
  const truncated = () => bad(`the snapshot is truncated or corrupted: it ends after ${entries.length} of its ${header.entries} entries`);
  for (let i = 0; i < header.entries; i++) {
    if (pos + 4 > body.length) throw truncated();
    const k = body.readUInt32BE(pos);
    pos += 4;
    if (k === 0 || pos + k + 4 > body.length) throw truncated();
    const key = body.subarray(pos, pos + k).toString('utf8');
    pos += k;
    const v = body.readUInt32BE(pos);
    pos += 4;
    if (pos + v > body.length) throw truncated();
    entries.push({ key, value: body.subarray(pos, pos + v) });
    pos += v;
  }
  if (pos !== body.length) throw bad(checksumOk ? 'the snapshot has bytes after its last entry' : 'the snapshot is corrupted (its size does not match its entries)');
  if (!checksumOk) throw bad('the snapshot is corrupted: its SHA-256 checksum does not match its contents');
  return { header, entries };
}
