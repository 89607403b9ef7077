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

/** Bounds on one record, so a corrupted length is refused instead of buffering the rest of an upload. */
const MAX_KEY_BYTES = 64 * 1024;
const MAX_VALUE_BYTES = 256 * 1024 * 1024;

/**
 * An incremental snapshot decoder: `push` bytes as they arrive (an upload, a download, a file
 * read in blocks) and get the entries completed so far; `end` when the input ends. It checks
 * what {@link decodeSnapshot} checks — magic, version, header, every record's bounds, the entry
 * count, no trailing bytes, the SHA-256 checksum — while holding only the bytes of one
 * unfinished record. The entries it returns are NOT trustworthy until `end` has returned:
 * a caller stages them (or only counts them) and acts on them afterwards.
 */
export class SnapshotReader {
  private readonly hash = createHash('sha256');
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private stage: 'magic' | 'header' | 'klen' | 'key' | 'value' | 'checksum' | 'done' = 'magic';
  private need = SNAPSHOT_MAGIC.length + 4;
  private pendingKey = '';
  private checksum: Buffer | undefined;
  private extra = false;
  /** The header, once its bytes have arrived. */
  header: SnapshotHeader | undefined;
  /** Entries decoded so far. */
  count = 0;
  /** Bytes pushed so far. */
  bytes = 0;

  /** Feeds the next bytes; returns the entries they completed (values are copies or views of `chunk`). Throws SnapshotFormatError. */
  push(chunk: Uint8Array): StorageEntry[] {
    const out: StorageEntry[] = [];
    if (chunk.length === 0) return out;
    this.bytes += chunk.length;
    if (this.isDone()) {
      this.extra = true;
      return out;
    }
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.queue.push(buf);
    this.queued += buf.length;
    while (!this.isDone() && this.queued >= this.need) {
      const bytes = this.take(this.need);
      if (this.stage !== 'checksum') this.hash.update(bytes);
      this.step(bytes, out);
    }
    if (this.queued > 0 && this.isDone()) this.extra = true;
    return out;
  }

  /** The input ended: throws SnapshotFormatError unless it was one whole, intact snapshot. */
  end(): SnapshotHeader {
    const bad = (why: string) => new SnapshotFormatError(why);
    if (this.stage === 'magic') {
      if (this.bytes === 0 || !this.magicSoFar()) throw bad(NOT_A_SNAPSHOT);
      throw bad('the snapshot is truncated (too short to hold a header and checksum)');
    }
    if (this.stage === 'header') throw bad('the snapshot is truncated or corrupted (its header runs past the end of the file)');
    if (!this.isDone()) {
      throw bad(`the snapshot is truncated or corrupted: it ends after ${this.count} of its ${this.header?.entries ?? '?'} entries`);
    }
    if (!this.hash.digest().equals(this.checksum!)) throw bad('the snapshot is corrupted: its SHA-256 checksum does not match its contents');
    if (this.extra) throw bad('the snapshot has bytes after its last entry');
    return this.header!;
  }

  /** A method, so TypeScript does not narrow `stage` across the calls that change it. */
  private isDone(): boolean {
    return this.stage === 'done';
  }

  private magicSoFar(): boolean {
    const head = Buffer.concat(this.queue).subarray(0, SNAPSHOT_MAGIC.length);
    return head.equals(SNAPSHOT_MAGIC.subarray(0, head.length));
  }

  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.queue[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.queue.shift();
      else this.queue[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const head = this.queue[0]!;
        const part = Math.min(head.length, n - at);
        head.copy(out, at, 0, part);
        at += part;
        if (part === head.length) this.queue.shift();
        else this.queue[0] = head.subarray(part);
      }
    }
    this.queued -= n;
    return out;
  }

  private step(bytes: Buffer, out: StorageEntry[]): void {
    const bad = (why: string) => new SnapshotFormatError(why);
    switch (this.stage) {
      case 'magic': {
        if (!bytes.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) throw bad(NOT_A_SNAPSHOT);
        const len = bytes.readUInt32BE(SNAPSHOT_MAGIC.length);
        if (len === 0 || len > MAX_HEADER) throw bad('the snapshot header is malformed');
        this.stage = 'header';
        this.need = len;
        return;
      }
      case 'header': {
        let header: SnapshotHeader;
        try {
          header = JSON.parse(bytes.toString('utf8')) as SnapshotHeader;
        } catch {
          throw bad('the snapshot is corrupted (its header is not valid JSON)');
        }
        if (header === null || typeof header !== 'object') throw bad('the snapshot is corrupted (its header is not an object)');
        if (header.format !== SNAPSHOT_FORMAT) {
          throw bad(`unsupported snapshot format ${JSON.stringify(header.format)}: this Coffer reads format ${SNAPSHOT_FORMAT}`);
        }
        if (typeof header.cluster_id !== 'string' || !Number.isSafeInteger(header.entries) || header.entries < 0) {
          throw bad('the snapshot is corrupted (its header lacks the cluster id or entry count)');
        }
        this.header = header;
        this.nextRecord();
        return;
      }
      case 'klen': {
        const k = bytes.readUInt32BE(0);
        if (k === 0 || k > MAX_KEY_BYTES) throw bad(`the snapshot is truncated or corrupted: record ${this.count + 1} has an invalid key length`);
        this.stage = 'key';
        this.need = k + 4; // the key, then the value's length
        return;
      }
      case 'key': {
        this.pendingKey = bytes.subarray(0, bytes.length - 4).toString('utf8');
        const v = bytes.readUInt32BE(bytes.length - 4);
        if (v > MAX_VALUE_BYTES) throw bad(`the snapshot is truncated or corrupted: record ${this.count + 1} claims a ${v}-byte value`);
        if (v === 0) {
          this.finishValue(Buffer.alloc(0), out);
          return;
        }
        this.stage = 'value';
        this.need = v;
        return;
      }
      case 'value':
        this.finishValue(bytes, out);
        return;
      case 'checksum':
        this.checksum = Buffer.from(bytes);
        this.stage = 'done';
        return;
      default:
        return;
    }
  }

  private finishValue(value: Buffer, out: StorageEntry[]): void {
    out.push({ key: this.pendingKey, value });
    this.count++;
    this.nextRecord();
  }

  private nextRecord(): void {
    if (this.count === this.header!.entries) {
      this.stage = 'checksum';
      this.need = CHECKSUM_BYTES;
    } else {
      this.stage = 'klen';
      this.need = 4;
    }
  }
}

const NOT_A_SNAPSHOT = 'not a Coffer snapshot (the file does not start with the snapshot header); pass a file written by "coffer operator snapshot save"';

/**
 * Decodes and checks a whole snapshot file held in memory (see {@link SnapshotReader}). Throws a
 * SnapshotFormatError naming the problem; nothing is returned from a bad file.
 */
export function decodeSnapshot(file: Buffer): DecodedSnapshot {
  const reader = new SnapshotReader();
  const entries = reader.push(file);
  const header = reader.end();
  return { header, entries };
}
