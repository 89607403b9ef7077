/**
 * One attempt at an operation that a quorum of unseal key shares authorises on an unsealed
 * Shamir server (sys/generate-root, sys/rekey): its nonce, its settings and the shares given so
 * far, kept in this node's memory only (a seal or restart ends it).
 */
import { randomUUID } from 'node:crypto';
import type { SealConfig } from '../../barrier/seal.js';
import type { Core } from '../core.js';
import { badRequest } from '../errors.js';
import { decodeKey } from './seal-routes.js';

/** The paths a caller is pointed at in error messages. */
export interface QuorumPaths {
  /** What the operation is called ("root generation", "rekey"). */
  name: string;
  /** Where an attempt is started and read (e.g. `sys/rekey/init`). */
  startPath: string;
}

/** The running attempt, if any, of one quorum operation. */
export class ShareQuorum<S> {
  private current: { nonce: string; settings: S; given: Buffer[] } | undefined;

  constructor(private readonly paths: QuorumPaths) {}

  /** The running attempt's nonce and settings, and how many shares it has. */
  get attempt(): { nonce: string; settings: S; progress: number } | undefined {
    const c = this.current;
    return c && { nonce: c.nonce, settings: c.settings, progress: c.given.length };
  }

  /** The status fields both APIs share: started, nonce, progress and the shares required. */
  async progress(core: Core): Promise<{ started: boolean; nonce: string; progress: number; required: number }> {
    const cfg = await core.seal.config();
    const c = this.current;
    return { started: c !== undefined, nonce: c?.nonce ?? '', progress: c?.given.length ?? 0, required: cfg?.type === 'shamir' ? cfg.secretThreshold : 0 };
  }

  /** The seal configuration, or a 400 naming why the operation does not apply (a static seal). */
  async shamirConfig(core: Core, whyNot: string): Promise<SealConfig> {
    const cfg = await core.seal.config();
    if (!cfg || cfg.type !== 'shamir') throw badRequest(whyNot);
    return cfg;
  }

  /** Starts an attempt; a 400 while one runs. */
  start(settings: S): void {
    if (this.current) throw badRequest(`${this.paths.name} already in progress: finish it, or cancel it with DELETE ${this.paths.startPath}`);
    this.current = { nonce: randomUUID(), settings, given: [] };
  }

  /** Ends the attempt, wiping the shares it holds. */
  cancel(): void {
    for (const s of this.current?.given ?? []) s.fill(0);
    this.current = undefined;
  }

  /**
   * Adds the share in `data.key` for the attempt named by `data.nonce`. Returns the attempt with
   * every share once `cfg`'s threshold is reached, the shares then taken out of the attempt (a
   * concurrent call sees a fresh count, not these shares; the caller wipes them); undefined before.
   * A share given twice counts once (as for unseal).
   */
  add(cfg: SealConfig, data: Record<string, unknown>): { nonce: string; settings: S; shares: Buffer[]; finish(): void } | undefined {
    const key = data.key;
    if (typeof key !== 'string' || key === '') throw badRequest("'key' must be specified in request body as JSON");
    const current = this.current;
    if (!current) throw badRequest(`no ${this.paths.name} in progress: start one with PUT ${this.paths.startPath}`);
    if (data.nonce !== current.nonce) throw badRequest(`incorrect nonce: send the nonce of the current ${this.paths.name} (GET ${this.paths.startPath})`);
    const share = decodeKey(key, cfg.secretShares === 1 ? 32 : 33);
    if (current.given.some((s) => s.equals(share))) {
      share.fill(0);
      return undefined;
    }
    current.given.push(share);
    if (current.given.length < cfg.secretThreshold) return undefined;
    const shares = current.given;
    current.given = [];
    return {
      nonce: current.nonce,
      settings: current.settings,
      shares,
      // Ends this attempt (not a newer one started meanwhile) once it succeeded.
      finish: () => {
        if (this.current === current) this.current = undefined;
      },
    };
  }
}
