/**
 * Where webhooks may be sent (the server's `events { ... }` block). A subscription's URL is
 * checked when it is written (a literal address, or a host name against the allow list) and
 * again at every delivery on the addresses the name resolves to — the check sits in the
 * connection's DNS lookup, so the address checked is the address connected to (a name that
 * later resolves to a metadata endpoint is refused, not followed).
 *
 * Default: any destination except link-local and cloud metadata addresses, which hand out
 * credentials to whoever asks from inside the host (169.254.0.0/16 with 169.254.169.254,
 * fe80::/10, fd00:ec2::254, 100.100.100.200) and the unspecified addresses.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isInCidrs } from '../../core/cidr.js';

/** The `events { ... }` server settings. */
export interface EventsOptions {
  /**
   * When non-empty, the only destinations: host names (`hooks.example.com`, `*.example.com`) or
   * address blocks (`10.20.0.0/16`, `192.0.2.7`). An address block here also overrides the deny list.
   */
  webhookAllowedHosts?: string[];
  /** Addresses never sent to unless an allowed block names them (default DEFAULT_DENIED_ADDRESSES). */
  webhookDeniedAddresses?: string[];
}

/** Link-local, cloud metadata and unspecified addresses. */
export const DEFAULT_DENIED_ADDRESSES: readonly string[] = Object.freeze([
  '169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', '100.100.100.200/32', '0.0.0.0/8', '::/128',
]);

/** Why a destination is refused, or undefined when it is allowed. */
export type Verdict = string | undefined;

/** A parsed destination policy. */
export class DestinationPolicy {
  private readonly names: string[];
  private readonly blocks: string[];
  private readonly denied: string[];

  constructor(options: EventsOptions = {}) {
    const allowed = options.webhookAllowedHosts ?? [];
    this.blocks = allowed.filter((h) => isIP(h.split('/')[0]!) !== 0);
    this.names = allowed.filter((h) => !this.blocks.includes(h)).map((h) => h.toLowerCase().replace(/\.$/, ''));
    this.denied = [...(options.webhookDeniedAddresses ?? DEFAULT_DENIED_ADDRESSES)];
  }

  private get restricted(): boolean {
    return this.names.length + this.blocks.length > 0;
  }

  private nameAllowed(host: string): boolean {
    const h = host.toLowerCase().replace(/\.$/, '');
    return this.names.some((n) => (n.startsWith('*.') ? h.endsWith(n.slice(1)) && h.length > n.length - 1 : h === n));
  }

  /** The check of one address the connection would use (`viaAllowedName`: the host name matched the allow list). */
  checkAddress(address: string, viaAllowedName: boolean): Verdict {
    const inAllowedBlock = this.blocks.length > 0 && isInCidrs(address, this.blocks);
    if (isInCidrs(address, this.denied) && !inAllowedBlock) {
      return `destination address ${address} is refused (a link-local or metadata address; allow it in the server's events { webhook_allowed_hosts } if it is really meant)`;
    }
    if (this.restricted && !viaAllowedName && !inAllowedBlock) return `destination address ${address} is not in the server's events { webhook_allowed_hosts }`;
    return undefined;
  }

  /**
   * The check when a subscription is written: a literal address is checked fully; a host name
   * is refused when an allow list exists that neither names it nor has address blocks its
   * addresses could fall in (those are checked at delivery).
   */
  checkUrl(url: URL): Verdict {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) return this.checkAddress(host, false);
    if (this.restricted && !this.nameAllowed(host) && this.blocks.length === 0) {
      return `host ${JSON.stringify(host)} is not in the server's events { webhook_allowed_hosts }`;
    }
    return undefined;
  }

  /**
   * A `lookup` for http.request: resolves like dns.lookup, then refuses the connection when any
   * address is refused (error code EDESTINATION, message saying why).
   */
  lookupFor(host: string): (hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => void {
    const viaName = this.nameAllowed(host);
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err);
        for (const a of addresses) {
          const why = this.checkAddress(a.address, viaName);
          if (why) return callback(Object.assign(new Error(why), { code: 'EDESTINATION' }));
        }
        if (options.all) return callback(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
  }
}
