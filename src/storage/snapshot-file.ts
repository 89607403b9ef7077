/**
 * Reading a snapshot file from disk in batches, synchronously (so SQLite can replace its store
 * from it inside one synchronous transaction without holding the snapshot in memory).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { SnapshotReader, type SnapshotHeader } from './snapshot-format.js';
import type { StorageEntry } from './types.js';

const BLOCK = 1024 * 1024;

/**
 * Yields the file's entries in batches of `batchSize`, checking the whole format as it goes; the
 * last step throws a SnapshotFormatError if the file is not one intact snapshot, so a consumer
 * that writes inside a transaction rolls back. The file is closed however iteration ends.
 */
export function* snapshotFileBatches(path: string, batchSize: number): Generator<StorageEntry[]> {
  const fd = openSync(path, 'r');
  try {
    const reader = new SnapshotReader();
    let batch: StorageEntry[] = [];
    for (;;) {
      // A fresh block each read: the entries are views into it.
      const block = Buffer.allocUnsafe(BLOCK);
      const n = readSync(fd, block, 0, BLOCK, null);
      if (n === 0) break;
      for (const e of reader.push(block.subarray(0, n))) {
        batch.push(e);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
    reader.end();
    if (batch.length > 0) yield batch;
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks a snapshot file on disk without holding it in memory; returns its header or throws a
 * SnapshotFormatError. `onProgress` gets the bytes read so far.
 */
export function checkSnapshotFile(path: string, onProgress?: (bytes: number) => void): SnapshotHeader {
  const fd = openSync(path, 'r');
  try {
    const reader = new SnapshotReader();
    const block = Buffer.allocUnsafe(BLOCK);
    for (;;) {
      const n = readSync(fd, block, 0, BLOCK, null);
      if (n === 0) break;
      // Copied: the reader keeps an unfinished record's bytes across reads.
      reader.push(Buffer.from(block.subarray(0, n)));
      onProgress?.(reader.bytes);
    }
    return reader.end();
  } finally {
    closeSync(fd);
  }
}
