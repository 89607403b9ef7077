/**
 * The `file` audit device: appends one JSON line per entry to a file (or stdout, or
 * nowhere), with Vault's options plus size-based rotation.
 *
 * Writing: lines logged while the device is idle wait for one setImmediate turn, then go
 * out together in one write(2); lines logged while a write is in flight queue up and go out
 * in the next write (group commit). Each log() promise settles after its own write, so a
 * caller can refuse a request whose audit line did not land (fail closed).
 *
 * Rotation: before a write that would take the file past `max_bytes`, `audit.log` is
 * renamed `audit.log.<UTC yyyymmddThhmmss.mmmZ>` (with `.1`, `.2`, ... appended if that name
 * is taken), a new file is opened with the device's mode, and the oldest rotated files
 * beyond `max_files` are deleted. With `rotate_period` (e.g. "24h") the file is also rotated
 * before the first write once it has been open that long (by the core's clock), size or not.
 *
 * Fail closed: once the file has been moved aside (rotation, reopen) and no new file can be
 * opened at the path (directory removed, disk full, ...), every write is refused, so core
 * refuses requests rather than writing into a file nobody will read. Opening is retried at
 * most once per second on later writes; service resumes by itself when it succeeds.
 */
import { constants as FS, promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { CofferError, badRequest } from '../errors.js';
import { optBool, optInt, optString, parseDuration } from '../fields.js';
import type { AuditDevice, AuditDeviceConfig, AuditDeviceHooks, AuditDiskSpace, AuditFormatSettings } from './types.js';

/** Default `max_bytes`: 100 MiB. */
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
/** Default `max_files`. */
export const DEFAULT_MAX_FILES = 10;

/** The file device's options, parsed. */
export interface FileDeviceSettings extends AuditFormatSettings {
  /** Absolute path, or `stdout` / `discard`. */
  filePath: string;
  /** File mode; 0 means "leave the mode alone" (Vault's `mode=0000`). */
  mode: number;
  /** Rotate before the file would grow past this many bytes; 0 disables rotation. */
  maxBytes: number;
  /** Rotated files to keep: N > 0 keeps the newest N, 0 keeps all, -1 keeps none. */
  maxFiles: number;
  /** Rotate a file once it has been open this long (ms); 0 disables time-based rotation. */
  rotatePeriodMs: number;
  /** Warn when the file's directory has less free space than this (bytes); 0 disables. */
  minFreeBytes: number;
}

/** Default `min_free_space`: 1 GiB. */
export const DEFAULT_MIN_FREE_BYTES = 1024 ** 3;
/** How often (core clock, ms) the free space is measured again while writing. */
const DISK_CHECK_MS = 60_000;

/**
 * Parses and checks the device options (Vault's names). Throws a 400 that names the bad
 * option. Values may be strings (as Vault's API sends them) or JSON booleans/numbers.
 */
export function parseFileDeviceOptions(options: Record<string, unknown>): FileDeviceSettings {
  const filePath = optString(options, 'file_path') || optString(options, 'path');
  if (!filePath) throw badRequest('missing "file_path" option: give an absolute file path, "stdout" or "discard"');
  const format = optString(options, 'format');
  if (format !== undefined && format !== '' && format !== 'json') {
    throw badRequest(`unsupported audit "format" "${format}": Coffer writes "json"`);
  }
  return {
    filePath,
    mode: parseMode(options.mode),
    hmacAccessor: optBool(options, 'hmac_accessor') ?? true,
    logRaw: optBool(options, 'log_raw') ?? false,
    elideListResponses: optBool(options, 'elide_list_responses') ?? false,
    prefix: optString(options, 'prefix') ?? '',
    maxBytes: parseSize(options.max_bytes),
    maxFiles: optInt(options, 'max_files', { min: -1 }) ?? DEFAULT_MAX_FILES,
    rotatePeriodMs: parsePeriod(options.rotate_period),
    minFreeBytes: parseSize(options.min_free_space, 'min_free_space', DEFAULT_MIN_FREE_BYTES),
  };
}

/** `rotate_period`: a duration such as "24h" (at least one minute), or 0 / unset for none. */
function parsePeriod(value: unknown): number {
  if (value === undefined || value === null || value === '' || value === '0' || value === 0) return 0;
  let seconds: number;
  try {
    seconds = parseDuration(value, 'rotate_period');
  } catch {
    seconds = NaN;
  }
  if (!(seconds >= 60)) throw badRequest('invalid value for "rotate_period": expected a duration of at least one minute such as "24h" or "1h" (0 disables time-based rotation)');
  return seconds * 1000;
}

/** Octal mode such as `0600` or `600` (a JSON number's digits are read as octal too). */
function parseMode(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0o600;
  const text = String(value).trim();
  if (!/^[0-7]{1,4}$/.test(text)) throw badRequest(`invalid value for "mode": "${text.slice(0, 20)}" is not an octal file mode such as "0600"`);
  return parseInt(text, 8);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

/** Bytes: an integer, or with a unit (`10MiB`, `500kb`). */
function parseSize(value: unknown, name = 'max_bytes', fallback = DEFAULT_MAX_BYTES): number {
  if (value === undefined || value === null || value === '') return fallback;
  const m = /^(\d+)\s*([a-z]*)$/i.exec(String(value).trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    const what = name === 'max_bytes' ? 'rotation' : 'the warning';
    throw badRequest(`invalid value for "${name}": expected a byte count such as 104857600 or "100MiB" (0 disables ${what})`);
  }
  return Number(m[1]) * unit;
}

/** Pause between rotation attempts after a rename failed (the current file is still in place and written). */
const ROTATION_RETRY_MS = 10_000;
/** Pause between attempts to open a new file while writes are refused (short: requests are failing meanwhile). */
const REOPEN_RETRY_MS = 1_000;

/** A pending line and the promise to settle once it is written. */
interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Where the lines go. */
interface Sink {
  write(lines: string[]): Promise<void>;
  reopen(): Promise<void>;
  close(): Promise<void>;
  diskSpace?(): AuditDiskSpace | undefined;
}

/** The `file` audit device. Create it with `FileAuditDevice.open`. */
export class FileAuditDevice implements AuditDevice {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    /** The parsed options. */
    readonly settings: FileDeviceSettings,
    private readonly sink: Sink,
  ) {}

  /** Rendering settings for the broker. */
  get format(): AuditFormatSettings {
    return this.settings;
  }

  /**
   * Parses the options and opens the output. Fails with a clear 400 when the options are
   * wrong or the file cannot be opened for appending (missing or unwritable directory, ...).
   */
  static async open(options: Record<string, unknown>, hooks: AuditDeviceHooks & { now?: () => number } = {}): Promise<FileAuditDevice> {
    const settings = parseFileDeviceOptions(options);
    let sink: Sink;
    if (settings.filePath === 'stdout') sink = new StdoutSink();
    else if (settings.filePath === 'discard') sink = new DiscardSink();
    else sink = await FileSink.open(settings, hooks.now ?? Date.now, hooks.onError, hooks.onDiskSpace);
    return new FileAuditDevice(settings, sink);
  }

  /** Free space at the file's directory, as last measured; undefined for stdout/discard. */
  diskSpace(): AuditDiskSpace | undefined {
    return this.sink.diskSpace?.();
  }

  /** An AuditDeviceFactory for the broker. */
  static factory(config: AuditDeviceConfig, hooks: AuditDeviceHooks): Promise<AuditDevice> {
    return FileAuditDevice.open(config.options, hooks);
  }

  /** Queues one line (no newline); resolves once it is written, rejects if the write failed. */
  log(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('audit device is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        // One turn lets every request handled in this tick join the same write.
        setImmediate(this.startFlush);
      }
    });
  }

  private readonly startFlush = (): void => {
    this.scheduled = false;
    // The queue may have been drained meanwhile by close()/reopen(); flush() needs work to do.
    if (!this.flushing && this.queue.length > 0) this.flushing = this.flush();
  };

  /** Writes batches until the queue is empty; lines queued during a write form the next batch. */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const lines = new Array<string>(batch.length);
      for (let i = 0; i < batch.length; i++) lines[i] = batch[i]!.line;
      try {
        await this.sink.write(lines);
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = null;
  }

  /** Reopens the file at its path (after an external logrotate moved it). */
  async reopen(): Promise<void> {
    await this.idle();
    await this.sink.reopen();
  }

  /** Writes what is queued, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle();
    await this.sink.close();
  }

  /** Waits until nothing is queued or being written. */
  private async idle(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
  }
}

/** Discards everything (Vault's `file_path=discard`): useful to satisfy fail-closed in tests. */
class DiscardSink implements Sink {
  async write(): Promise<void> {}
  async reopen(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Writes to the process's stdout. */
class StdoutSink implements Sink {
  write(lines: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      process.stdout.write(lines.join('\n') + '\n', (err) => (err ? reject(err) : resolve()));
    });
  }
  async reopen(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Appends to a file, rotating by size. */
class FileSink implements Sink {
  /** Bytes in the current file. */
  private size = 0;
  /** A failed write left a partial line: start the next write on a new line. */
  private brokenLine = false;
  /**
   * The current file was moved aside (a rotation or reopen half-done) and must be replaced
   * by a new one at `path`; until then writes are refused with `openFailure`.
   */
  private needOpen = false;
  /** Why the new file could not be opened (what refused writes reject with). */
  private openFailure: Error | undefined;
  /** No new open attempt before this time (ms) while writes are refused. */
  private reopenBlockedUntil = 0;
  /** Only regular files rotate (not /dev/..., FIFOs). */
  private readonly rotates: boolean;
  /** After a failed rotation, no new attempt before this time (ms), so a broken directory does not cost a syscall per write. */
  private rotationBlockedUntil = 0;

  private constructor(
    private readonly path: string,
    private fd: number,
    size: number,
    regular: boolean,
    private readonly settings: FileDeviceSettings,
    private readonly now: () => number,
    private readonly onError?: (err: unknown) => void,
  ) {
    this.size = size;
    this.regular = regular;
    this.rotates = regular && settings.maxBytes > 0;
    this.openedAt = now();
  }

  /** Told when the free space crosses min_free_space (either way). */
  onDiskSpace?: (space: AuditDiskSpace) => void;
  private space: AuditDiskSpace | undefined;
  /** No new measurement before this time (core clock, ms). */
  private nextDiskCheck = 0;
  private checkingDisk = false;

  /** Free space at the file's directory, as last measured. */
  diskSpace(): AuditDiskSpace | undefined {
    return this.space;
  }

  /**
   * Measures the free space at the file's directory (fs.statfs) and reports a crossing of
   * min_free_space. A failed measurement changes nothing: it must never fail a write.
   */
  async checkDiskSpace(): Promise<void> {
    const min = this.settings.minFreeBytes;
    if (min <= 0 || !this.regular || this.checkingDisk) return;
    this.checkingDisk = true;
    this.nextDiskCheck = this.now() + DISK_CHECK_MS;
    try {
      const st = await fsp.statfs(nodePath.dirname(this.path));
      const freeBytes = Number(st.bavail) * Number(st.bsize);
      const low = freeBytes < min;
      const changed = this.space === undefined ? low : this.space.low !== low;
      this.space = { freeBytes, minFreeBytes: min, low };
      if (changed) this.onDiskSpace?.(this.space);
    } catch {
      // statfs unsupported or the directory is gone: the write path reports real failures.
    } finally {
      this.checkingDisk = false;
    }
  }

  /** When the current file was opened (core clock, ms), for rotate_period. */
  private openedAt: number;

  /** True when the current file has been open for rotate_period and holds something. */
  private periodElapsed(): boolean {
    return this.regular && this.settings.rotatePeriodMs > 0 && this.size > 0 && this.now() - this.openedAt >= this.settings.rotatePeriodMs;
  }

  /**
   * A regular file is written synchronously: an append to the page cache takes microseconds,
   * and skipping the thread-pool round trip halved audit's cost per request here. Pipes and
   * devices (which may block) keep asynchronous writes.
   */
  private readonly regular: boolean;

  static async open(settings: FileDeviceSettings, now: () => number, onError?: (err: unknown) => void, onDiskSpace?: (space: AuditDiskSpace) => void): Promise<FileSink> {
    const path = nodePath.resolve(settings.filePath);
    let fd: number;
    try {
      fd = await openAppend(path, settings.mode);
    } catch (err) {
      throw openError(path, err);
    }
    try {
      const st = await fstat(fd);
      if (st.isDirectory()) throw badRequest(`audit file_path "${path}" is a directory; give a file path`);
      const sink = new FileSink(path, fd, st.size, st.isFile(), settings, now, onError);
      sink.onDiskSpace = onDiskSpace;
      // Measured once before the device is used, so the warning shows from the start.
      await sink.checkDiskSpace();
      return sink;
    } catch (err) {
      fs.close(fd, () => {});
      throw err;
    }
  }

  async write(lines: string[]): Promise<void> {
    if (this.needOpen) {
      if (Date.now() >= this.reopenBlockedUntil) await this.tryOpenNew();
      if (this.needOpen) throw this.openFailure ?? new Error(`audit file "${this.path}" is not open`);
    }
    // Measured in the background, at most once a minute: a write never waits for it.
    if (this.now() >= this.nextDiskCheck) void this.checkDiskSpace();
    if (this.periodElapsed() && this.rotationAllowed()) {
      await this.rotate();
      if (this.needOpen) throw this.openFailure ?? new Error(`audit file "${this.path}" is not open`);
    }
    let text = lines.join('\n') + '\n';
    if (this.brokenLine) text = '\n' + text;
    const buf = Buffer.from(text, 'utf8');
    if (!this.rotates || this.size + buf.length <= this.settings.maxBytes || !this.rotationAllowed()) {
      await this.writeBuf(buf);
      return;
    }
    // Slow path: split the batch at rotation points so no file grows past max_bytes
    // (unless a single line is bigger than max_bytes on its own).
    const max = this.settings.maxBytes;
    let chunk: string[] = this.brokenLine ? [''] : [];
    let chunkBytes = this.brokenLine ? 1 : 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line, 'utf8') + 1;
      if (this.size + chunkBytes + bytes > max && this.size + chunkBytes > 0 && this.rotationAllowed()) {
        if (chunkBytes > 0) await this.writeBuf(Buffer.from(chunk.join('\n') + '\n', 'utf8'));
        chunk = [];
        chunkBytes = 0;
        await this.rotate();
        // The file was moved aside and no new one could be opened: refuse the rest (fail closed).
        if (this.needOpen) throw this.openFailure ?? new Error(`audit file "${this.path}" is not open`);
      }
      chunk.push(line);
      chunkBytes += bytes;
    }
    if (chunkBytes > 0) await this.writeBuf(Buffer.from(chunk.join('\n') + '\n', 'utf8'));
  }

  /** Writes all of `buf`, looping over short writes. */
  private async writeBuf(buf: Buffer): Promise<void> {
    let off = 0;
    try {
      while (off < buf.length) off += this.regular ? fs.writeSync(this.fd, buf, off, buf.length - off, null) : await writeFd(this.fd, buf, off);
      this.brokenLine = false;
    } catch (err) {
      if (off > 0) this.brokenLine = true;
      throw err;
    } finally {
      this.size += off;
    }
  }

  /**
   * Moves the current file aside and starts a new one. If the move fails, writing continues
   * in the current file (still at its path) and rotation is tried again later. If the file
   * was moved (or is gone) but no new one can be opened, writes are refused until one can.
   */
  private async rotate(): Promise<void> {
    const keepNone = this.settings.maxFiles === -1;
    try {
      if (keepNone) await fsp.unlink(this.path);
      else await fsp.rename(this.path, await this.rotatedName());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.failedRotation(err);
        return; // keep writing to the current file
      }
    }
    this.needOpen = true;
    await this.tryOpenNew();
    if (!this.needOpen && !keepNone && this.settings.maxFiles > 0) await this.prune();
  }

  /**
   * Opens a fresh file at `path` and switches to it. On failure keeps the old descriptor
   * (never written while needOpen) and records why, for the refused writes.
   */
  private async tryOpenNew(): Promise<void> {
    try {
      const fd = await openAppend(this.path, this.settings.mode);
      const st = await fstat(fd).catch(() => ({ size: 0 }));
      const old = this.fd;
      this.fd = fd;
      this.size = st.size;
      this.openedAt = this.now();
      this.brokenLine = false;
      this.needOpen = false;
      this.openFailure = undefined;
      this.reopenBlockedUntil = 0;
      this.rotationBlockedUntil = 0;
      fs.close(old, () => {});
    } catch (err) {
      // No onError here: the refused writes carry this error, and the broker logs the
      // change to failing once.
      this.reopenBlockedUntil = Date.now() + REOPEN_RETRY_MS;
      this.openFailure = Object.assign(
        new Error(`${openError(this.path, err).message}; the previous file was moved aside, so audit writes are refused until a new file can be opened`),
        { code: (err as NodeJS.ErrnoException).code },
      );
    }
  }

  private rotationAllowed(): boolean {
    return this.rotationBlockedUntil === 0 || Date.now() >= this.rotationBlockedUntil;
  }

  /** Pauses further rotation attempts for a while; reports only the first failure in a row. */
  private failedRotation(err: unknown): void {
    const first = this.rotationBlockedUntil === 0;
    this.rotationBlockedUntil = Date.now() + ROTATION_RETRY_MS;
    if (first) this.onError?.(err);
  }

  /** `audit.log.20250102T030405.678Z`, or with `.1`, `.2`, ... if that name exists. */
  private async rotatedName(): Promise<string> {
    const stamp = new Date(this.now()).toISOString().replace(/[-:]/g, '');
    const base = `${this.path}.${stamp}`;
    for (let n = 0; ; n++) {
      const name = n === 0 ? base : `${base}.${n}`;
      try {
        await fsp.access(name);
      } catch {
        return name;
      }
    }
  }

  /** Deletes the oldest rotated files beyond max_files. */
  private async prune(): Promise<void> {
    try {
      const rotated = await listRotated(this.path);
      const excess = rotated.length - this.settings.maxFiles;
      for (let i = 0; i < excess; i++) await fsp.unlink(rotated[i]!).catch((err) => this.onError?.(err));
    } catch (err) {
      this.onError?.(err);
    }
  }

  async reopen(): Promise<void> {
    this.needOpen = true;
    await this.tryOpenNew();
    if (this.needOpen) throw this.openFailure ?? new Error('audit file could not be reopened');
  }

  close(): Promise<void> {
    return new Promise((resolve) => fs.close(this.fd, () => resolve()));
  }
}

/** Rotated files of `path`, oldest first. */
export async function listRotated(path: string): Promise<string[]> {
  const dir = nodePath.dirname(path);
  const base = nodePath.basename(path) + '.';
  const found: Array<{ file: string; stamp: string; seq: number }> = [];
  for (const name of await fsp.readdir(dir)) {
    if (!name.startsWith(base)) continue;
    const m = /^(\d{8}T\d{6}\.\d{3}Z)(?:\.(\d+))?$/.exec(name.slice(base.length));
    if (m) found.push({ file: nodePath.join(dir, name), stamp: m[1]!, seq: m[2] ? Number(m[2]) : 0 });
  }
  found.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.seq - b.seq));
  return found.map((f) => f.file);
}

/** Opens for appending (creating with `mode`) and enforces the mode (umask or an old file may differ). */
async function openAppend(path: string, mode: number): Promise<number> {
  const fd = await new Promise<number>((resolve, reject) => {
    fs.open(path, FS.O_WRONLY | FS.O_APPEND | FS.O_CREAT, mode || 0o600, (err, fd) => (err ? reject(err) : resolve(fd)));
  });
  if (mode !== 0) {
    try {
      const st = await fstat(fd);
      if (st.isFile() && (st.mode & 0o7777) !== mode) {
        await new Promise<void>((resolve, reject) => fs.fchmod(fd, mode, (err) => (err ? reject(err) : resolve())));
      }
    } catch (err) {
      fs.close(fd, () => {});
      throw err;
    }
  }
  return fd;
}

function fstat(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st))));
}

function writeFd(fd: number, buf: Buffer, off: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.write(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

/** A 400 that says why the audit file cannot be used and how to fix it. */
function openError(path: string, err: unknown): CofferError {
  const code = (err as NodeJS.ErrnoException).code;
  const dir = nodePath.dirname(path);
  switch (code) {
    case 'ENOENT':
      return badRequest(`cannot open audit file "${path}": directory "${dir}" does not exist; create it first`);
    case 'ENOTDIR':
      return badRequest(`cannot open audit file "${path}": a part of "${dir}" is not a directory`);
    case 'EACCES':
    case 'EPERM':
      return badRequest(`cannot open audit file "${path}": permission denied; the server needs write access to "${dir}" and the file`);
    case 'EISDIR':
      return badRequest(`audit file_path "${path}" is a directory; give a file path`);
    case 'EROFS':
      return badRequest(`cannot open audit file "${path}": the file system is read-only`);
    default:
      return badRequest(`cannot open audit file "${path}": ${code ?? 'error'}`);
  }
}
