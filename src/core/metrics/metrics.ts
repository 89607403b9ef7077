/**
 * Coffer's metrics: one prom-client registry per Core (several servers can share a process in
 * tests and embedders, so the global registry is never used).
 *
 * Labels are bounded by design: front (vault|azure|internal), operation, mount TYPE and HTTP
 * status, never a path, a token or a value. Counters are per node: on a cluster, sum them across
 * nodes. Gauges (seal state, cluster role) are computed when scraped, so they cost nothing on the
 * request path.
 */
import { statfs } from 'node:fs/promises';
import { Counter, Gauge, Registry } from 'prom-client';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from './fast.js';
import type { LogicalResponse, Operation } from '../logical.js';

/** Latency buckets in seconds: sub-millisecond KV reads up to slow storage or audit sinks. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the scrape-time gauges read from core. */
export interface MetricsSources {
  sealed(): boolean;
  /** Several nodes share the storage (fixed for a Core's life). */
  clustered: boolean;
  isLeader(): boolean;
  /** The change feed confirms this node has seen the other nodes' writes. */
  isCurrent(): boolean;
  /** Tokens in the token store (a key listing, no decryption); only asked while unsealed. */
  activeTokens(): Promise<number>;
  /** Leases in the lease store (a key listing of the expiry index); only asked while unsealed. */
  activeLeases(): Promise<number>;
  /** This node's cache lookups since start: token entries and compiled ACLs. */
  cacheStats(): Record<'token' | 'acl', { readonly hits: number; readonly misses: number }>;
  /** This node's failed logins and lockouts since start. */
  loginStats(): { readonly failures: number; readonly lockouts: number };
  /** Free space at each file audit device's directory, as last measured (devices with min_free_space). */
  auditDiskSpace(): Array<{ path: string; freeBytes: number; minFreeBytes: number; low: boolean }>;
  /** The directory holding the storage's data on this node (SQLite), else undefined (fixed for a Core's life). */
  storageDir?: string;
}

/** One series in Vault's JSON metrics shape (`Gauges` entries; `Counters` and `Samples` add Count/Sum/Mean). */
export interface VaultMetric {
  Name: string;
  Labels: Record<string, string>;
  Value?: number;
  Count?: number;
  Sum?: number;
  Mean?: number;
}

/** `GET sys/metrics` without `format`: Vault's shape (go-metrics' in-memory sink). */
export interface VaultMetricsJson {
  Timestamp: string;
  Gauges: VaultMetric[];
  Points: never[];
  Counters: VaultMetric[];
  Samples: VaultMetric[];
}

/** Settings from the server config's `telemetry { ... }` block. */
export interface TelemetryOptions {
  /** Serve sys/metrics without a token (Vault's `unauthenticated_metrics_access`). */
  unauthenticatedMetricsAccess?: boolean;
}

type Front = 'vault' | 'azure' | 'internal';
/** The storage operations timed for `coffer_storage_operation_duration_seconds`. */
export type StorageOperation = 'get' | 'put' | 'delete' | 'list' | 'scan' | 'batch';

/** The bound series of one (front, operation, mount type): looked up without allocating. */
interface RequestSeries {
  latency: HistogramSeries;
  byStatus: Map<number, CounterSeries>;
  front: Front;
  operation: string;
  mountType: string;
}

/** The metrics of one Core. */
export class CofferMetrics {
  /** The prom-client registry rendered by sys/metrics. */
  readonly registry = new Registry();
  readonly unauthenticatedAccess: boolean;
  private readonly requests: FastCounter;
  private readonly requestSeconds: FastHistogram;
  private readonly auditSeconds: FastHistogram;
  private readonly auditSeries: HistogramSeries;
  private readonly auditFailures: Counter<'device'>;
  private readonly storageSeconds: FastHistogram;
  private readonly storageSeries: Record<StorageOperation, HistogramSeries>;
  /** front -> operation -> mount type -> series. */
  private readonly series = new Map<string, Map<string, Map<string, RequestSeries>>>();

  constructor(sources: MetricsSources, options: TelemetryOptions = {}) {
    this.unauthenticatedAccess = options.unauthenticatedMetricsAccess === true;
    const registers = [this.registry];
    this.requests = new FastCounter('coffer_requests_total', 'Requests handled by core, by front, operation, mount type and HTTP status (per node).', this.registry);
    this.requestSeconds = new FastHistogram(
      'coffer_request_duration_seconds',
      'Time core took to handle a request (authentication, ACL, audit, backend), by front, operation and mount type.',
      LATENCY_BUCKETS,
      this.registry,
    );
    this.auditSeconds = new FastHistogram(
      'coffer_audit_write_duration_seconds',
      'Time to write one audit entry to the enabled devices (until the first device has written it).',
      LATENCY_BUCKETS,
      this.registry,
    );
    this.auditSeries = this.auditSeconds.bind();
    this.auditFailures = new Counter({
      name: 'coffer_audit_write_failures_total',
      help: 'Audit entries an audit device failed to write, by device path (per node).',
      labelNames: ['device'],
      registers,
    });
    this.storageSeconds = new FastHistogram(
      'coffer_storage_operation_duration_seconds',
      'Latency of physical storage operations (get, put, delete, list, batch = a transaction commit).',
      LATENCY_BUCKETS,
      this.registry,
    );
    const op = (operation: StorageOperation) => this.storageSeconds.bind({ operation });
    this.storageSeries = { get: op('get'), put: op('put'), delete: op('delete'), list: op('list'), scan: op('scan'), batch: op('batch') };
    // Kept as plain numbers where they happen (a `++` on the hot path) and copied in when scraped.
    new Counter({
      name: 'coffer_cache_lookups_total',
      help: 'Cache lookups of this node by cache (token, acl) and result (hit, miss); hit ratio = hit / (hit + miss).',
      labelNames: ['cache', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [cache, s] of Object.entries(sources.cacheStats())) {
          this.inc({ cache, result: 'hit' }, s.hits);
          this.inc({ cache, result: 'miss' }, s.misses);
        }
      },
    });
    new Counter({
      name: 'coffer_login_failures_total',
      help: 'Failed logins (wrong credentials) on this node, on every auth method with lockout accounting.',
      registers,
      collect() {
        this.reset();
        this.inc(sources.loginStats().failures);
      },
    });
    new Counter({
      name: 'coffer_login_lockouts_total',
      help: 'Failed logins on this node that locked a user or role out (lockout threshold reached).',
      registers,
      collect() {
        this.reset();
        this.inc(sources.loginStats().lockouts);
      },
    });
    new Gauge({
      name: 'coffer_tokens',
      help: 'Tokens in the token store (shared by every node: counted from storage when scraped; from 10,000 tokens a count up to 5 minutes old is reused).',
      registers,
      async collect() {
        // While sealed the token store cannot be read: report nothing rather than a wrong 0.
        if (!sources.sealed()) this.set(await sources.activeTokens());
      },
    });
    new Gauge({
      name: 'coffer_leases',
      help: 'Leases not yet revoked (shared by every node: counted from storage when scraped; from 10,000 leases a count up to 5 minutes old is reused).',
      registers,
      async collect() {
        if (!sources.sealed()) this.set(await sources.activeLeases());
      },
    });
    new Gauge({
      name: 'coffer_sealed',
      help: '1 while this node is sealed, 0 when unsealed.',
      registers,
      collect() {
        this.set(sources.sealed() ? 1 : 0);
      },
    });
    // Disk space: the audit file's disk filling up fails every request (audit fails closed).
    new Gauge({
      name: 'coffer_audit_disk_free_bytes',
      help: 'Free bytes on the disk of a file audit device, by device path (measured at most once a minute; devices with min_free_space only).',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset();
        for (const d of sources.auditDiskSpace()) this.set({ device: d.path }, d.freeBytes);
      },
    });
    new Gauge({
      name: 'coffer_audit_disk_low',
      help: '1 when a file audit device\'s free disk space is below its min_free_space (sys/health then reports audit_disk_low), by device path.',
      labelNames: ['device'],
      registers,
      collect() {
        this.reset();
        for (const d of sources.auditDiskSpace()) this.set({ device: d.path }, d.low ? 1 : 0);
      },
    });
    const storageDir = sources.storageDir;
    if (storageDir !== undefined) {
      new Gauge({
        name: 'coffer_storage_disk_free_bytes',
        help: 'Free bytes on the disk holding the SQLite database of this node (measured when scraped).',
        registers,
        async collect() {
          try {
            const st = await statfs(storageDir);
            this.set(Number(st.bavail) * Number(st.bsize));
          } catch {
            // Not measurable (directory gone, statfs unsupported): the last value stays.
          }
        },
      });
    }
    // Cluster gauges exist only on a cluster, so a single server does not report a meaningless role.
    if (sources.clustered) {
      new Gauge({
        name: 'coffer_cluster_leader',
        help: '1 on the node that runs background work (token and lease expiry), else 0.',
        registers,
        collect() {
          this.set(sources.isLeader() ? 1 : 0);
        },
      });
      new Gauge({
        name: 'coffer_cluster_change_feed_current',
        help: '1 while the change feed confirms this node has seen the other nodes\' writes; 0 means it answers 503.',
        registers,
        collect() {
          this.set(sources.isCurrent() ? 1 : 0);
        },
      });
    }
  }

  /** Records one request handled by core; `startMs` is from performance.now(). */
  observeRequest(front: Front | undefined, operation: Operation, mountType: string | undefined, status: number, startMs: number): void {
    const s = this.requestSeries(front ?? 'internal', operation, mountType ?? '');
    this.requestSeconds.observe(s.latency, (performance.now() - startMs) / 1000);
    let counter = s.byStatus.get(status);
    if (!counter) {
      counter = this.requests.bind({ front: s.front, operation: s.operation, mount_type: s.mountType, status: String(status) });
      s.byStatus.set(status, counter);
    }
    counter.value++;
  }

  /** Records one audit entry's write (to all devices); `startMs` is from performance.now(). */
  observeAuditWrite(startMs: number): void {
    this.auditSeconds.observe(this.auditSeries, (performance.now() - startMs) / 1000);
  }

  /** Counts a failed write of the audit device at `device` (its mount path, never its target). */
  auditWriteFailed(device: string): void {
    this.auditFailures.inc({ device });
  }

  /** Records one physical storage operation; `startMs` is from performance.now(). */
  observeStorage(operation: StorageOperation, startMs: number): void {
    this.storageSeconds.observe(this.storageSeries[operation], (performance.now() - startMs) / 1000);
  }

  /** The Prometheus text exposition format and its content type. */
  async prometheus(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /** The same values in Vault's JSON shape: gauges, counters, and histograms as samples (count, sum, mean in seconds). */
  async vaultJson(now: Date): Promise<VaultMetricsJson> {
    const out: VaultMetricsJson = { Timestamp: now.toISOString(), Gauges: [], Points: [], Counters: [], Samples: [] };
    for (const metric of await this.registry.getMetricsAsJSON()) {
      const type = String(metric.type);
      if (type === 'gauge') {
        for (const v of metric.values) out.Gauges.push({ Name: metric.name, Value: v.value, Labels: stringLabels(v.labels) });
      } else if (type === 'counter') {
        for (const v of metric.values) out.Counters.push({ Name: metric.name, Count: v.value, Sum: v.value, Mean: 1, Labels: stringLabels(v.labels) });
      } else if (type === 'histogram') {
        // A histogram's values are its buckets, then `_sum` and `_count` per label set.
        const sums = new Map<string, { labels: Record<string, string>; sum: number; count: number }>();
        for (const v of metric.values) {
          const name = (v as { metricName?: string }).metricName ?? '';
          if (!name.endsWith('_sum') && !name.endsWith('_count')) continue;
          const labels = stringLabels(v.labels);
          const key = JSON.stringify(labels);
          const acc = sums.get(key) ?? { labels, sum: 0, count: 0 };
          if (name.endsWith('_sum')) acc.sum = v.value;
          else acc.count = v.value;
          sums.set(key, acc);
        }
        for (const { labels, sum, count } of sums.values()) {
          out.Samples.push({ Name: metric.name, Count: count, Sum: sum, Mean: count ? sum / count : 0, Labels: labels });
        }
      }
    }
    return out;
  }

  /** Bound children per label set, so the hot path does not hash label objects. */
  private requestSeries(front: Front, operation: string, mountType: string): RequestSeries {
    let byOp = this.series.get(front);
    if (!byOp) this.series.set(front, (byOp = new Map()));
    let byMount = byOp.get(operation);
    if (!byMount) byOp.set(operation, (byMount = new Map()));
    let s = byMount.get(mountType);
    if (!s) {
      s = { latency: this.requestSeconds.bind({ front, operation, mount_type: mountType }), byStatus: new Map(), front, operation, mountType };
      byMount.set(mountType, s);
    }
    return s;
  }
}

/**
 * The HTTP status a successful response is sent with on the Vault front (the `status` label):
 * an explicit or raw status, 204 for an empty answer, else 200.
 */
export function successStatus(res: LogicalResponse): number {
  if (res.raw) return res.raw.status;
  if (res.status !== undefined) return res.status;
  if (res.wrapInfo || res.auth || (res.data !== undefined && res.data !== null) || (res.warnings?.length ?? 0) > 0) return 200;
  return 204;
}

function stringLabels(labels: Record<string, string | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (v !== undefined) out[k] = String(v);
  return out;
}
