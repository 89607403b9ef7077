/**
 * `GET sys/host-info` (a sudo path, as in Vault): CPU, CPU times, disk, host and memory facts in
 * the shape of Vault's `hostutil.HostInfo` (gopsutil's field names). Collection is best effort:
 * what cannot be read is left out and reported in `warnings`, like Vault's partial results.
 */
import { statfs } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Route } from '../backend.js';
import { rfc3339Nano } from '../clock.js';
import type { Core } from '../core.js';

/** statfs magic numbers of common file systems → gopsutil's names. */
const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4', 0x58465342: 'xfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x9123683e: 'btrfs', 0x2fc12fc1: 'zfs',
};

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `/etc/os-release` as a map (Linux), empty elsewhere. */
async function osRelease(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await readText('/etc/os-release'))?.split('\n') ?? []) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return out;
}

/** `/proc/meminfo` in bytes (Linux), empty elsewhere. */
async function memInfo(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await readText('/proc/meminfo'))?.split('\n') ?? []) {
    const m = /^(\w+):\s+(\d+)(?: kB)?$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]) * (line.includes('kB') ? 1024 : 1);
  }
  return out;
}

async function diskUsage(path: string): Promise<Record<string, unknown>> {
  const s = await statfs(path);
  const total = s.blocks * s.bsize;
  const free = s.bavail * s.bsize;
  const used = (s.blocks - s.bfree) * s.bsize;
  const inodesUsed = s.files - s.ffree;
  return {
    path,
    fstype: FS_TYPES[s.type] ?? '',
    total,
    free,
    used,
    usedPercent: used + free > 0 ? (used / (used + free)) * 100 : 0,
    inodesTotal: s.files,
    inodesUsed,
    inodesFree: s.ffree,
    inodesUsedPercent: s.files > 0 ? (inodesUsed / s.files) * 100 : 0,
  };
}

/** Collects the host facts; `warnings` lists what could not be read. */
export async function collectHostInfo(now: number): Promise<{ data: Record<string, unknown>; warnings: string[] }> {
  const warnings: string[] = [];
  const cpus = os.cpus();
  const cpu = cpus.map((c, i) => ({
    cpu: i, vendorId: '', family: '', model: '', stepping: 0, physicalId: '', coreId: String(i), cores: 1,
    modelName: c.model, mhz: c.speed, cacheSize: 0, flags: [], microcode: '',
  }));
  // gopsutil reports CPU times in seconds; Node gives milliseconds.
  const seconds = (ms: number) => ms / 1000;
  const cpuTimes = cpus.map((c, i) => ({
    cpu: `cpu${i}`, user: seconds(c.times.user), system: seconds(c.times.sys), idle: seconds(c.times.idle),
    nice: seconds(c.times.nice), iowait: 0, irq: seconds(c.times.irq), softirq: 0, steal: 0, guest: 0, guestNice: 0,
  }));

  const disk: Record<string, unknown>[] = [];
  try {
    disk.push(await diskUsage('/'));
  } catch (err) {
    warnings.push(`disk usage could not be read: ${(err as Error).message}`);
  }

  const release = await osRelease();
  const procs = (await readText('/proc/loadavg'))?.split(' ')[3]?.split('/')[1];
  const uptime = Math.floor(os.uptime());
  const host = {
    hostname: os.hostname(),
    uptime,
    bootTime: Math.floor(Date.now() / 1000) - uptime,
    procs: procs ? Number(procs) : 0,
    os: process.platform,
    platform: release.ID ?? '',
    platformFamily: release.ID_LIKE?.split(' ')[0] ?? release.ID ?? '',
    platformVersion: release.VERSION_ID ?? '',
    kernelVersion: os.release(),
    kernelArch: os.machine(),
    virtualizationSystem: '',
    virtualizationRole: '',
    hostid: ((await readText('/etc/machine-id')) ?? '').trim(),
  };

  const mi = await memInfo();
  const total = os.totalmem();
  const free = os.freemem();
  const available = mi.MemAvailable ?? free;
  const memory = {
    total,
    available,
    used: total - available,
    usedPercent: total > 0 ? ((total - available) / total) * 100 : 0,
    free,
    buffers: mi.Buffers ?? 0,
    cached: mi.Cached ?? 0,
    shared: mi.Shmem ?? 0,
    swaptotal: mi.SwapTotal ?? 0,
    swapfree: mi.SwapFree ?? 0,
  };
  return { data: { cpu, cpu_times: cpuTimes, disk, host, memory, timestamp: rfc3339Nano(now) }, warnings };
}

/** The `sys/host-info` route. */
export function hostInfoRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^host-info\/?$/,
      fields: [],
      sudo: true,
      operations: {
        read: async () => {
          const { data, warnings } = await collectHostInfo(core.clock.now());
          return { data, warnings: warnings.length > 0 ? warnings : undefined };
        },
      },
      help: 'Information about the host the server runs on: CPU, CPU times, disk, host and memory. Needs sudo.',
    },
  ];
}
