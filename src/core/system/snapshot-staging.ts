/**
 * Staging a snapshot upload before a restore: the body is streamed into a 0600 file in a fresh
 * 0700 directory under the system temp directory while it is checked (format, header, cluster,
 * entry count, checksum) and the keyring entry is kept aside. Nothing in the store changes
 * until the whole upload has passed; the staged file is then what the store is replaced from.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotFormatError, SnapshotReader, type SnapshotHeader } from '../../storage/snapshot-format.js';
import { badRequest } from '../errors.js';

/** A fully received and checked snapshot on disk. */
export interface StagedSnapshot {
  path: string;
  header: SnapshotHeader;
  /** The snapshot's `seal/keyring` value, if it has one. */
  keyring: Buffer | undefined;
  /** Removes the staged file and its directory. */
  cleanup(): Promise<void>;
}

const refused = (why: string) => badRequest(`snapshot refused, nothing was changed: ${why}`);

/**
 * Streams `body` to a staged file, checking it on the way. `checkHeader` runs as soon as the
 * header has arrived (a foreign snapshot is refused before the rest is uploaded). Throws a 400
 * CofferError (and leaves no file) when the upload is not one intact snapshot.
 */
export async function stageSnapshot(
  body: AsyncIterable<Buffer> | Iterable<Buffer>,
  keyringKey: string,
  checkHeader: (header: SnapshotHeader) => void,
  dir = tmpdir(),
): Promise<StagedSnapshot> {
  const folder = await mkdtemp(join(dir, 'coffer-restore-'));
  const cleanup = () => rm(folder, { recursive: true, force: true });
  const path = join(folder, 'snapshot');
  try {
    const file = await open(path, 'wx', 0o600);
    const reader = new SnapshotReader();
    let keyring: Buffer | undefined;
    let headerChecked = false;
    try {
      for await (const chunk of body) {
        for (const e of reader.push(chunk)) if (e.key === keyringKey) keyring = Buffer.from(e.value);
        if (!headerChecked && reader.header) {
          headerChecked = true;
          checkHeader(reader.header);
        }
        await file.write(chunk);
      }
      if (reader.bytes === 0) {
        throw badRequest('send the snapshot file as the request body with "Content-Type: application/octet-stream" (or run "coffer operator snapshot restore FILE")');
      }
      const header = reader.end();
      await file.sync();
      return { path, header, keyring, cleanup };
    } finally {
      await file.close();
    }
  } catch (err) {
    await cleanup();
    if (err instanceof SnapshotFormatError) throw refused(err.message);
    throw err;
  }
}
