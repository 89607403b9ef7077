/**
 * Events in Azure Event Grid's schema, as Key Vault sends them: `Microsoft.KeyVault.<type>` with
 * `data` {Id, VaultName, ObjectType, ObjectName, Version, NBF, EXP} (dates in unix seconds).
 * KV v2 events use the same shape under the `Coffer.KV` namespace.
 */
import { randomUUID } from 'node:crypto';
import type { SecretEvent } from '../../core/backend.js';

/** One Event Grid event. */
export interface GridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: {
    Id: string;
    VaultName: string;
    ObjectType: 'Secret';
    ObjectName: string;
    Version: string;
    NBF: number | null;
    EXP: number | null;
  };
  dataVersion: '1';
  metadataVersion: '1';
}

/** Builds the Event Grid event for `e` at `now` (ms). */
export function gridEvent(e: SecretEvent, now: number): GridEvent {
  return {
    id: randomUUID(),
    topic: `coffer:${e.mount}`,
    subject: e.objectName,
    eventType: `${e.namespace}.${e.type}`,
    eventTime: new Date(now).toISOString(),
    data: {
      Id: e.id, VaultName: e.vaultName, ObjectType: 'Secret', ObjectName: e.objectName, Version: e.version,
      NBF: e.nbf ?? null, EXP: e.exp ?? null,
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
}
