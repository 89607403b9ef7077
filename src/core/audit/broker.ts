/**
 * The audit broker: keeps the enabled audit devices, renders each entry once per device
 * (every device has its own salt and settings) and hands the line to the device.
 *
 * Fail closed: with devices enabled, logRequest/logResponse resolve as soon as one device
 * has written the line and reject with `audit_failed` (500) when every device failed; core
 * then refuses the request. With no device enabled they resolve at once.
 *
 * Device trouble is reported once per state change (a device starts failing, a failing
 * device writes again), not once per request, so a broken disk does not flood the log.
 */
import { CofferError, badRequest } from '../errors.js';
import { normalizeMountPath } from '../paths.js';
import * as nodePath from 'node:path';
import { FileAuditDevice } from './file-device.js';
import { createEntryFormatter, type EntryFormatter } from './format.js';
import { hmacString } from './hash.js';
import type { CofferMetrics } from '../metrics/metrics.js';
import type {
  AuditDevice,
  AuditDeviceConfig,
  AuditDeviceFactory,
  AuditDeviceHooks,
  AuditDiskSpace,
  AuditDeviceInfo,
  AuditLogContext,
  AuditRequestEntry,
  AuditResponseEntry,
  AuditEntry,
} from './types.js';

/** The message of the fail-closed error (no secret, no path: it goes to the client). */
export const AUDIT_FAILED_MESSAGE =
  'audit log could not be written; request refused (fail closed). The server log names the failing audit device; ' +
  'a root or sudo token can still disable it (DELETE sys/audit/<path>) or enable a working one (PUT sys/audit/<path>)';

/** Default pause before a device that could not be opened is tried again. */
const DEFAULT_RETRY_OPEN_MS = 10_000;

/** Options of AuditBroker. */
export interface AuditBrokerOptions {
  /** Device types by name; defaults to `{ file: FileAuditDevice.factory }`. */
  factories?: Record<string, AuditDeviceFactory>;
  /**
   * Called when a device starts failing to write (once, not per line) or reports other
   * trouble (e.g. a rotation that could not happen), with its path and the error
   * (file-system errors name a path and an errno, never a secret).
   */
  onDeviceError?: (path: string, err: unknown) => void;
  /** Called when a device that was failing has written a line again. */
  onDeviceRecovered?: (path: string) => void;
  /** Pause in ms before a device that could not be opened (markFailed) is tried again; default 10 s. */
  retryOpenMs?: number;
  /** Receives each entry's write latency and every device's failed write. */
  metrics?: Pick<CofferMetrics, 'observeAuditWrite' | 'auditWriteFailed'>;
  /** The core's clock (ms), handed to devices (time-based rotation). */
  now?: () => number;
  /** Called when a device's free disk space falls below (or climbs back over) its min_free_space. */
  onDiskSpace?: (path: string, space: AuditDiskSpace) => void;
}

/** One enabled device. `device` is null while it could not be opened (markFailed). */
interface Slot {
  config: AuditDeviceConfig;
  salt: Buffer;
  device: AuditDevice | null;
  format: EntryFormatter | null;
  /** When an unopened device may be tried again (ms). */
  retryAt: number;
  retrying: boolean;
  /** The last write (or open) failed; flips report once per change, not per line. */
  failing: boolean;
}

/** Options of AuditBroker.enable. */
export interface EnableOptions {
  /**
   * A test entry (Vault's `sys/audit/test` probe) written through the new device before it
   * is added: a device that opens but cannot write (e.g. `/dev/full`, a full disk) is then
   * refused with a 400 instead of locking every later request out.
   */
  probe?: AuditEntry;
}

const RESOLVED: Promise<void> = Promise.resolve();
const NOT_OPEN = new Error('audit device is not open');

/** Keeps the enabled audit devices and writes every entry to each of them. */
export class AuditBroker {
  private readonly byPath = new Map<string, Slot>();
  /** Snapshot of the slots for the hot path; replaced (never mutated) on enable/disable. */
  private slots: readonly Slot[] = [];
  /** Paths being enabled right now (enable is async). */
  private readonly opening = new Set<string>();
  private readonly factories: Record<string, AuditDeviceFactory>;
  private readonly onDeviceError?: (path: string, err: unknown) => void;
  private readonly onDeviceRecovered?: (path: string) => void;
  private readonly retryOpenMs: number;
  private readonly metrics?: Pick<CofferMetrics, 'observeAuditWrite' | 'auditWriteFailed'>;
  private readonly now?: () => number;
  private readonly onDiskSpace?: (path: string, space: AuditDiskSpace) => void;

  constructor(opts: AuditBrokerOptions = {}) {
    this.factories = opts.factories ?? { file: FileAuditDevice.factory };
    this.onDeviceError = opts.onDeviceError;
    this.onDeviceRecovered = opts.onDeviceRecovered;
    this.retryOpenMs = opts.retryOpenMs ?? DEFAULT_RETRY_OPEN_MS;
    this.metrics = opts.metrics;
    this.now = opts.now;
    this.onDiskSpace = opts.onDiskSpace;
  }

  /** Number of enabled devices (including ones that could not be opened). */
  get size(): number {
    return this.slots.length;
  }

  /**
   * Opens a device and starts logging to it. Throws a 400 for a path in use, an unknown
   * type, bad options, a file path another device already writes, a file that cannot be
   * opened (missing or unwritable directory), or (with `probe`) a device that cannot write.
   */
  async enable(config: AuditDeviceConfig, opts: EnableOptions = {}): Promise<void> {
    const cfg = this.check(config);
    const factory = this.factories[cfg.type]!;
    this.opening.add(cfg.path);
    try {
      const device = await factory(cfg, this.hooks(cfg.path));
      // The salt's UTF-8 bytes are the HMAC key, as in Vault (where it is a UUID string).
      const salt = Buffer.from(cfg.salt, 'utf8');
      const format = createEntryFormatter(device.format, salt);
      if (opts.probe) await probeDevice(cfg.path, device, format, opts.probe);
      this.add({ config: cfg, salt, device, format, retryAt: 0, retrying: false, failing: false });
    } finally {
      this.opening.delete(cfg.path);
    }
  }

  /**
   * Registers a device from the audit table that could not be opened (at unseal). It stays
   * listed, so persisting the table keeps it, and counts as a failing device: if it is the
   * only one, requests fail closed. It is reopened in the background on later writes, at
   * most once per `retryOpenMs`.
   */
  markFailed(config: AuditDeviceConfig): void {
    const cfg = this.check(config);
    // Core has logged why it could not be opened: the slot starts in the failing state.
    this.add({ config: cfg, salt: Buffer.from(cfg.salt, 'utf8'), device: null, format: null, retryAt: Date.now() + this.retryOpenMs, retrying: false, failing: true });
  }

  /** Stops logging to the device at `path` and closes it (after its pending lines). False when there was none. */
  async disable(path: string): Promise<boolean> {
    const key = normalizeMountPath(path);
    const slot = this.byPath.get(key);
    if (!slot) return false;
    this.byPath.delete(key);
    this.slots = [...this.byPath.values()];
    await slot.device?.close();
    return true;
  }

  /**
   * The enabled devices' configs, in enable order, **including their salts** (this is what
   * core persists in the audit table). Strip `salt` before showing them over the API.
   */
  list(): AuditDeviceConfig[] {
    return this.slots.map((s) => ({ ...s.config, options: { ...s.config.options } }));
  }

  /** The enabled devices without their salts (safe to show). */
  describe(): AuditDeviceInfo[] {
    return this.slots.map(({ config: c }) => ({ path: c.path, type: c.type, description: c.description, options: { ...c.options }, local: c.local }));
  }

  /** True when a device is enabled at `path` (with or without the trailing slash). */
  has(path: string): boolean {
    return this.byPath.has(normalizeMountPath(path));
  }

  /** `sys/audit-hash`: the `hmac-sha256:...` that the device at `path` writes for `input`. */
  hash(path: string, input: string): string {
    const slot = this.byPath.get(normalizeMountPath(path));
    if (!slot) throw badRequest(`unknown audit backend ${normalizeMountPath(path)}`);
    return hmacString(slot.salt, input);
  }

  /** Logs a request entry to every device; see the class comment for when it rejects. */
  logRequest(entry: AuditRequestEntry, ctx?: AuditLogContext): Promise<void> {
    return this.log(entry, ctx);
  }

  /** Logs a response entry to every device; see the class comment for when it rejects. */
  logResponse(entry: AuditResponseEntry, ctx?: AuditLogContext): Promise<void> {
    return this.log(entry, ctx);
  }

  private log(entry: AuditEntry, ctx?: AuditLogContext): Promise<void> {
    const slots = this.slots;
    if (slots.length === 0) return RESOLVED;
    const startMs = performance.now();
    if (slots.length === 1) return this.writeOnly(slots[0]!, entry, ctx, startMs);
    const writes = new Array<Promise<void>>(slots.length);
    for (let i = 0; i < slots.length; i++) writes[i] = this.writeTo(slots[i]!, entry, ctx);
    // Resolves with the first device that wrote; rejects only when all failed.
    const written = Promise.any(writes);
    const metrics = this.metrics;
    if (!metrics) return written.then(undefined, failClosed);
    return written.then(
      () => metrics.observeAuditWrite(startMs),
      () => {
        metrics.observeAuditWrite(startMs);
        failClosed();
      },
    );
  }

  /**
   * log() with a single device, in one promise step (each step costs promise-hook work per
   * entry): the same reports, metrics and fail-closed rejection as writeTo followed by log's
   * handlers, in the same order.
   */
  private writeOnly(slot: Slot, entry: AuditEntry, ctx: AuditLogContext | undefined, startMs: number): Promise<void> {
    const { device, format } = slot;
    const metrics = this.metrics;
    const refused = (): Promise<void> => {
      metrics?.observeAuditWrite(startMs);
      return Promise.reject(new CofferError('audit_failed', AUDIT_FAILED_MESSAGE));
    };
    if (!device || !format) {
      metrics?.auditWriteFailed(slot.config.path);
      this.retryOpen(slot);
      return refused();
    }
    let line: string;
    try {
      line = format(entry, ctx);
    } catch (err) {
      this.failed(slot, err);
      return refused();
    }
    return device.log(line).then(
      () => {
        if (slot.failing) this.recovered(slot);
        metrics?.observeAuditWrite(startMs);
      },
      (err: unknown) => {
        this.failed(slot, err);
        metrics?.observeAuditWrite(startMs);
        failClosed();
      },
    );
  }

  /** Renders the entry for one device and writes it; a failure is reported (on a state change), then rethrown. */
  private writeTo(slot: Slot, entry: AuditEntry, ctx?: AuditLogContext): Promise<void> {
    const { device, format } = slot;
    if (!device || !format) {
      this.metrics?.auditWriteFailed(slot.config.path);
      this.retryOpen(slot);
      return Promise.reject(NOT_OPEN);
    }
    let line: string;
    try {
      line = format(entry, ctx);
    } catch (err) {
      this.failed(slot, err);
      return Promise.reject(err);
    }
    return device.log(line).then(
      () => {
        if (slot.failing) this.recovered(slot);
      },
      (err: unknown) => {
        this.failed(slot, err);
        throw err;
      },
    );
  }

  /** Counts the failed write and marks the slot failing; reports only the change from writing to failing. */
  private failed(slot: Slot, err: unknown): void {
    this.metrics?.auditWriteFailed(slot.config.path);
    if (slot.failing) return;
    slot.failing = true;
    this.report(slot.config.path, err);
  }

  private recovered(slot: Slot): void {
    slot.failing = false;
    try {
      this.onDeviceRecovered?.(slot.config.path);
    } catch {
      // a failing reporter must not break logging
    }
  }

  /** Tries to open a device registered with markFailed, in the background, at most once per retryOpenMs. */
  private retryOpen(slot: Slot): void {
    if (slot.retrying || Date.now() < slot.retryAt) return;
    slot.retrying = true;
    const factory = this.factories[slot.config.type]!;
    factory(slot.config, this.hooks(slot.config.path)).then(
      (device) => {
        slot.retrying = false;
        if (this.byPath.get(slot.config.path) !== slot) {
          void device.close(); // disabled meanwhile
          return;
        }
        slot.format = createEntryFormatter(device.format, slot.salt);
        slot.device = device;
      },
      () => {
        // Still failing: already reported when it first failed, so no log line per attempt.
        slot.retrying = false;
        slot.retryAt = Date.now() + this.retryOpenMs;
      },
    );
  }

  /** Reopens every device's output (after an external logrotate; call it on SIGHUP). */
  async reopen(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        if (!slot.device) {
          slot.retryAt = 0;
          this.retryOpen(slot);
          return;
        }
        try {
          await slot.device.reopen();
        } catch (err) {
          this.report(slot.config.path, err);
        }
      }),
    );
  }

  /** Flushes and closes every device (at seal or shutdown); the broker is then empty. */
  async close(): Promise<void> {
    const slots = this.slots;
    this.byPath.clear();
    this.slots = [];
    await Promise.all(slots.map((s) => s.device?.close().catch((err: unknown) => this.report(s.config.path, err))));
  }

  /** Validates a config and returns a normalized copy. */
  private check(config: AuditDeviceConfig): AuditDeviceConfig {
    const path = normalizeMountPath(config.path ?? '');
    if (this.byPath.has(path) || this.opening.has(path)) throw badRequest(`path already in use: ${path}`);
    const type = config.type;
    if (!type || !Object.prototype.hasOwnProperty.call(this.factories, type)) {
      const known = Object.keys(this.factories).map((t) => `"${t}"`).join(', ');
      throw badRequest(`unsupported audit device type "${type ?? ''}": Coffer supports ${known}`);
    }
    if (typeof config.salt !== 'string' || config.salt === '') {
      throw new CofferError('internal', 'audit device config has no salt');
    }
    const options = { ...(config.options ?? {}) };
    const target = outputOf(options);
    if (target) {
      for (const slot of this.slots) {
        if (outputOf(slot.config.options) === target) {
          throw badRequest(`audit file "${target}" is already written by the audit device at ${slot.config.path}; use another file_path`);
        }
      }
    }
    return { path, type, description: config.description ?? '', options, salt: config.salt, local: config.local ?? false };
  }

  private add(slot: Slot): void {
    this.byPath.set(slot.config.path, slot);
    this.slots = [...this.byPath.values()];
  }

  /** What a device opened at `path` reports to. */
  private hooks(path: string): AuditDeviceHooks {
    return { onError: (err) => this.report(path, err), now: this.now, onDiskSpace: (space) => this.onDiskSpace?.(path, space) };
  }

  /**
   * Free space where each file device writes, as last measured (for sys/health and metrics):
   * `low` means the disk is about to fill, after which audit, and so every request, fails.
   */
  diskSpace(): Array<{ path: string } & AuditDiskSpace> {
    const out: Array<{ path: string } & AuditDiskSpace> = [];
    for (const slot of this.slots) {
      const space = slot.device?.diskSpace?.();
      if (space) out.push({ path: slot.config.path, ...space });
    }
    return out;
  }

  private report(path: string, err: unknown): void {
    try {
      this.onDeviceError?.(path, err);
    } catch {
      // a failing reporter must not break logging
    }
  }
}

/** The resolved file a device writes, or undefined for stdout/discard/none. */
function outputOf(options: Record<string, string>): string | undefined {
  const p = options.file_path || options.path;
  if (!p || p === 'stdout' || p === 'discard') return undefined;
  return nodePath.resolve(p);
}

/**
 * Writes the probe through a freshly opened device; on failure closes it and throws a 400
 * that says why (the errno, never a secret) and that nothing was enabled.
 */
async function probeDevice(path: string, device: AuditDevice, format: EntryFormatter, probe: AuditEntry): Promise<void> {
  try {
    await device.log(format(probe));
  } catch (err) {
    await device.close().catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    const why = e?.code ? `${e.code}${e.code === 'ENOSPC' ? ', no space left on the device' : ''}` : 'write failed';
    throw badRequest(`audit device ${path} failed its test write (${why}); nothing was enabled: give a target the server can write to`);
  }
}

function failClosed(): never {
  throw new CofferError('audit_failed', AUDIT_FAILED_MESSAGE);
}
