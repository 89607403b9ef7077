/**
 * sys/storage/snapshot: GET streams a snapshot of every physical entry (still encrypted by the
 * barrier: it is read below it), POST/PUT restores one. Both need sudo (root paths).
 *
 * Restore streams the upload into a staged file (snapshot-staging.ts) and checks the WHOLE file
 * before the first write (format, checksum, entry count, cluster id, and that the snapshot's
 * keyring opens with this server's root key), then replaces the store from the staged file in
 * one storage transaction, so a refused or failed restore changes nothing. Afterwards
 * the keyring is reloaded (merged, never dropping a term) and persisted, and every cache is
 * dropped (`invalidate('all')`); other nodes see the change through the storage's change feed.
 */
import { encodeSnapshot } from '../../storage/snapshot-format.js';
import { snapshotFileBatches } from '../../storage/snapshot-file.js';
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { badRequest } from '../errors.js';
import { stageSnapshot } from './snapshot-staging.js';

const KEYRING_KEY = 'seal/keyring';
/** Entries per storage batch, both ways. */
const BATCH = 1_000;

/** The cluster this server belongs to, read through the barrier. */
async function clusterOf(core: Core): Promise<{ id: string; name: string }> {
  const raw = await core.barrier.get('core/cluster');
  const parsed = raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as { id?: string; name?: string }) : {};
  return { id: parsed.id ?? core.clusterId, name: parsed.name ?? core.clusterName };
}

/** Builds the snapshot routes. */
export function snapshotRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^storage\/snapshot$/,
      fields: [],
      sudo: true,
      help: 'GET returns a snapshot of every stored entry (encrypted, with a checksum); POST or PUT with Content-Type application/octet-stream restores one taken from this cluster.',
      operations: {
        read: async () => {
          const cluster = await clusterOf(core);
          const storage = core.physicalStorage;
          return {
            stream: {
              contentType: 'application/octet-stream',
              // Lazy: the consistent read starts when the front starts sending.
              chunks: async function* () {
                const snapshot = await storage.snapshot({ batchSize: BATCH });
                yield* encodeSnapshot(
                  { cluster_id: cluster.id, cluster_name: cluster.name, storage_type: storage.type, created_at: new Date(core.clock.now()).toISOString() },
                  snapshot,
                );
              },
            },
          };
        },
        update: async (req) => {
          const body = req.bodyStream ?? (req.rawBody !== undefined ? [req.rawBody] : undefined);
          if (body === undefined) {
            throw badRequest('send the snapshot file as the request body with "Content-Type: application/octet-stream" (or run "coffer operator snapshot restore FILE")');
          }
          const cluster = await clusterOf(core);
          const staged = await stageSnapshot(body, KEYRING_KEY, (header) => {
            if (header.cluster_id !== cluster.id) {
              throw badRequest(
                `snapshot refused, nothing was changed: it was taken from another cluster (id ${header.cluster_id}, name ${JSON.stringify(header.cluster_name)}); this server is cluster ${cluster.id}`,
              );
            }
          });
          try {
            if (!staged.keyring || !core.barrier.opensKeyring(staged.keyring)) {
              throw badRequest('snapshot refused, nothing was changed: its keyring does not open with this server\'s root key (was the cluster re-initialized since?)');
            }
            await core.physicalStorage.replaceAll(snapshotFileBatches(staged.path, BATCH));
          } finally {
            await staged.cleanup();
          }
          // The restored keyring may lack terms this node already used: merge and store it, so
          // no value written from now on is under a term missing from storage.
          await core.barrier.reloadKeyring();
          await core.barrier.persistKeyring();
          core.invalidate('all');
          core.logger.info({ entries: staged.header.entries, taken: staged.header.created_at }, 'restored a storage snapshot');
          return null;
        },
      },
    },
  ];
}
