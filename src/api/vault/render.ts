/**
 * Vault wire front, outbound: renders LogicalResponses as Vault's JSON envelope and
 * errors as `{"errors":[...]}` (specs/vault-http-api.md §1.1, §1.2). Only 200 and 204
 * are used for success, because node-vault treats any other 2xx as an error.
 */
import type { CofferError } from '../../core/errors.js';
import type { LogicalResponse } from '../../core/logical.js';
import { frozenJson, isDeepFrozen } from '../../core/deep-freeze.js';

/** An HTTP answer: status and JSON text (undefined for 204). */
export interface Rendered {
  status: number;
  body?: string;
  /** Not JSON (e.g. Prometheus text from sys/metrics). */
  contentType?: string;
}

/** Renders a successful logical response. */
export function renderResponse(requestId: string, res: LogicalResponse): Rendered {
  if (res.raw?.contentType) return { status: res.raw.status, body: String(res.raw.body), contentType: res.raw.contentType };
  if (res.raw) return { status: res.raw.status, body: JSON.stringify(res.raw.body) };
  const hasData = res.data !== undefined && res.data !== null;
  const hasWarnings = (res.warnings?.length ?? 0) > 0;
  if (res.wrapInfo) {
    return {
      status: 200,
      body: JSON.stringify({
        request_id: '', lease_id: '', renewable: false, lease_duration: 0, data: null,
        wrap_info: res.wrapInfo, warnings: hasWarnings ? res.warnings : null, auth: null,
      }),
    };
  }
  if (!hasData && !res.auth && !hasWarnings && res.status === undefined) return { status: 204 };
  const data = hasData && !res.injectData ? dataJson(res.data!) : undefined;
  if (data !== undefined) {
    // The envelope's JSON written member by member, in the order and with the values of the object
    // below, so the data's shared (deep-frozen) members are serialised once (frozenJson).
    const body = '{"request_id":' + JSON.stringify(requestId) + ',"lease_id":' + JSON.stringify(res.leaseId ?? '') +
      ',"renewable":' + JSON.stringify(res.renewable ?? false) + ',"lease_duration":' + JSON.stringify(res.leaseDuration ?? 0) +
      ',"data":' + data + ',"wrap_info":null,"warnings":' + JSON.stringify(hasWarnings ? res.warnings : null) +
      ',"auth":' + JSON.stringify(res.auth ?? null) + ',"mount_type":' + JSON.stringify(res.mountType ?? '') + '}';
    return { status: res.status ?? 200, body };
  }
  const envelope: Record<string, unknown> = {
    request_id: requestId,
    lease_id: res.leaseId ?? '',
    renewable: res.renewable ?? false,
    lease_duration: res.leaseDuration ?? 0,
    data: hasData ? res.data : null,
    wrap_info: null,
    warnings: hasWarnings ? res.warnings : null,
    auth: res.auth ?? null,
    mount_type: res.mountType ?? '',
  };
  // Vault's "sys injector": some sys routes also expose their data keys at the top level.
  if (res.injectData && hasData) {
    for (const [k, v] of Object.entries(res.data!)) if (!(k in envelope)) envelope[k] = v;
  }
  return { status: res.status ?? 200, body: JSON.stringify(envelope) };
}

/** Renders an error in Vault's shape. */
export function renderError(err: CofferError): Rendered {
  const body: Record<string, unknown> = { errors: err.messages };
  if (err.data) body.data = err.data;
  return { status: err.status, body: JSON.stringify(body) };
}

/**
 * The JSON of response data whose members are deep-frozen (a shared KV version and its view) or
 * primitives, with the frozen members' text from frozenJson; undefined for any other data, which
 * is then serialised with the envelope as a whole. Same bytes as JSON.stringify of the data in
 * place: frozen members are plain JSON values (no toJSON), and members JSON.stringify drops
 * (undefined) are left out.
 */
function dataJson(data: Record<string, unknown>): string | undefined {
  if (isDeepFrozen(data)) return frozenJson(data);
  if (Object.getPrototypeOf(data) !== Object.prototype || typeof (data as { toJSON?: unknown }).toJSON === 'function') return undefined;
  let out = '';
  for (const key of Object.keys(data)) {
    const v = data[key];
    let text: string | undefined;
    if (v === undefined) continue;
    if (isDeepFrozen(v)) text = frozenJson(v);
    else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') text = JSON.stringify(v);
    else return undefined;
    out += (out === '' ? '{' : ',') + JSON.stringify(key) + ':' + text;
  }
  return out === '' ? '{}' : out + '}';
}
