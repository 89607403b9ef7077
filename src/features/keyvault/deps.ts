/** What the vault's handlers share besides the request: core's services and per-name locks. */
import type { BackendServices } from '../../core/backend.js';
import type { KeyedMutex } from '../../core/keyed-mutex.js';

/** Handler dependencies of one mounted vault. */
export interface VaultDeps {
  services: Pick<BackendServices, 'now' | 'envelope' | 'logger' | 'events'>;
  /** Serialises read-modify-write sequences per (lower-cased) secret name within this process. */
  locks: KeyedMutex;
}

/** Core's clock in unix seconds (Key Vault's date unit). */
export function nowSeconds(deps: VaultDeps): number {
  return Math.floor(deps.services.now() / 1000);
}
