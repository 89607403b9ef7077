/**
 * Response wrapping: a response is stored in the cubbyhole of a fresh single-use token
 * (policy `response-wrapping`, TTL = explicit max TTL = the requested wrap TTL) and the client
 * gets only that token. Unwrapping returns the original response once; the token is revoked
 * by the unwrap, which also wipes its cubbyhole.
 */
import { rfc3339Nano } from './clock.js';
import { CofferError } from './errors.js';
import type { AuthResponse, LogicalResponse, WrapInfo } from './logical.js';
import type { MountTable } from './mount-table.js';
import type { TokenEntry, TokenStore } from './tokens/store.js';
import { PrefixedStorage } from '../storage/prefixed.js';
import type { Storage } from '../storage/types.js';

/** The built-in policy of wrapping tokens. */
export const WRAPPING_POLICY = 'response-wrapping';
const RESPONSE_KEY = 'response';

/** What is kept in the wrapping token's cubbyhole. */
interface StoredResponse {
  request_id: string;
  data: Record<string, unknown> | null;
  auth: AuthResponse | null;
  warnings: string[] | null;
  mount_type: string;
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
}

/** Thrown for a wrapping token that is unknown, used, expired or not a wrapping token. */
export function invalidWrappingToken(): CofferError {
  return new CofferError('invalid_request', 'wrapping token is not valid or does not exist');
}

/** Wraps and unwraps responses. */
export class ResponseWrapper {
  constructor(
    private readonly tokens: TokenStore,
    private readonly mounts: MountTable,
    private readonly now: () => number,
  ) {}

  private cubbyhole(tokenId: string): Storage {
    const mount = this.mounts.get('cubbyhole/');
    if (!mount) throw new CofferError('internal', 'internal error: cubbyhole is not mounted');
    return new PrefixedStorage(mount.storage, `${tokenId}/`);
  }

  /**
   * Stores `response` behind a new wrapping token valid for `ttl` seconds. The token store caps
   * the TTL at the system max; `wrap_info.ttl` then reports the TTL applied, with a warning.
   */
  async wrap(response: LogicalResponse, ttl: number, creationPath: string, requestId: string): Promise<LogicalResponse> {
    const { token, entry, warnings } = await this.tokens.create({
      policies: [WRAPPING_POLICY],
      noDefaultPolicy: true,
      ttl,
      explicitMaxTTL: ttl,
      numUses: 1,
      renewable: false,
      orphan: true,
      path: creationPath,
      displayName: 'response-wrapping',
    });
    const stored: StoredResponse = {
      request_id: requestId,
      data: response.data ?? null,
      auth: response.auth ?? null,
      warnings: response.warnings?.length ? response.warnings : null,
      mount_type: response.mountType ?? '',
      lease_id: response.leaseId ?? '',
      lease_duration: response.leaseDuration ?? 0,
      renewable: response.renewable ?? false,
    };
    try {
      await this.cubbyhole(entry.id).put(RESPONSE_KEY, Buffer.from(JSON.stringify(stored)));
    } catch (err) {
      await this.tokens.revoke(entry.id);
      throw err;
    }
    const wrappedAccessor = response.auth?.accessor ?? response.wrappedAccessor;
    const wrapInfo: WrapInfo = {
      token,
      accessor: entry.accessor,
      ttl: entry.ttl,
      creation_time: rfc3339Nano(this.now()),
      creation_path: creationPath,
      ...(wrappedAccessor ? { wrapped_accessor: wrappedAccessor } : {}),
    };
    return { wrapInfo, mountType: response.mountType, warnings: warnings.length > 0 ? warnings : undefined };
  }

  /** The live wrapping-token entry for `token`, or an "invalid wrapping token" error. */
  async entryFor(token: string): Promise<TokenEntry> {
    const entry = await this.tokens.lookup(token);
    if (!entry || entry.policies.length !== 1 || entry.policies[0] !== WRAPPING_POLICY) throw invalidWrappingToken();
    return entry;
  }

  /** Returns the wrapped response once and revokes the wrapping token. */
  async unwrap(token: string): Promise<LogicalResponse> {
    const entry = await this.entryFor(token);
    // Taking the single use is atomic: of two concurrent unwraps only one gets it.
    const used = await this.tokens.useToken(entry);
    if (!used) throw invalidWrappingToken();
    let raw: Uint8Array | undefined;
    try {
      raw = await this.cubbyhole(entry.id).get(RESPONSE_KEY);
    } finally {
      await this.tokens.revoke(entry.id);
    }
    if (!raw) throw invalidWrappingToken();
    const stored = JSON.parse(Buffer.from(raw).toString('utf8')) as StoredResponse;
    return {
      data: stored.data,
      auth: stored.auth,
      warnings: stored.warnings ?? undefined,
      mountType: stored.mount_type,
      leaseId: stored.lease_id,
      leaseDuration: stored.lease_duration,
      renewable: stored.renewable,
    };
  }

  /** Creation details of a live wrapping token (no use is taken). */
  async lookup(token: string): Promise<Record<string, unknown>> {
    const entry = await this.entryFor(token);
    return {
      creation_path: entry.path,
      creation_time: rfc3339Nano(entry.issueTime),
      creation_ttl: entry.creationTTL,
    };
  }
}
