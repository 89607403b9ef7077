/** A source of time; tests pass a controllable one so TTLs can expire without sleeping. */
export interface Clock {
  /** Unix milliseconds. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (tests). */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}
  now(): number {
    return this.current;
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }
}

/** RFC3339 with nanosecond digits, as Vault prints times (`2026-11-22T04:00:00.123000000Z`). */
export function rfc3339Nano(ms: number): string {
  // Called several times per request (audit entries, KV metadata), mostly for the same millisecond.
  if (ms === lastMs) return lastText;
  const iso = new Date(ms).toISOString(); // 2026-11-22T04:00:00.123Z
  lastMs = ms;
  lastText = `${iso.slice(0, 23)}000000Z`;
  return lastText;
}

let lastMs = NaN;
let lastText = '';
