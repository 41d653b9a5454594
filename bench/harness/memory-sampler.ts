/**
 * The process's resident set split into anonymous memory (heaps, rings, buffers) and
 * file-backed pages (the segment mappings), sampled from /proc/self/status while a suite runs:
 * issue 15 bounds the first (≤ 200 MiB) and asks that the second not grow with the log. The
 * kernel keeps a peak only of the total (VmHWM), so the peaks of each part are sampled.
 */
import fs from 'node:fs';

export interface MemoryPeaks {
  /** Highest RssAnon sampled. */
  readonly anonBytesMax: number;
  /** Highest RssFile sampled. */
  readonly fileBytesMax: number;
  /** The kernel's peak resident set (VmHWM) at the end. */
  readonly totalBytesMax: number;
  readonly sampleCount: number;
}

/** The kB figures of /proc/self/status this module reads, in bytes; undefined off Linux. */
export function readResident(): { anon: number; file: number; peak: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match === null ? 0 : Number(match[1]) * 1024;
  };
  return { anon: kib('RssAnon'), file: kib('RssFile'), peak: kib('VmHWM') };
}

export class MemorySampler {
  private anonBytesMax = 0;
  private fileBytesMax = 0;
  private sampleCount = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Stops sampling; undefined where /proc is not there. */
  stop(): MemoryPeaks | undefined {
    clearInterval(this.timer);
    const last = this.sample();
    if (last === undefined) return undefined;
    return {
      anonBytesMax: this.anonBytesMax, fileBytesMax: this.fileBytesMax,
      totalBytesMax: last.peak, sampleCount: this.sampleCount,
    };
  }

  private sample(): ReturnType<typeof readResident> {
    const resident = readResident();
    if (resident === undefined) return undefined;
    this.sampleCount++;
    this.anonBytesMax = Math.max(this.anonBytesMax, resident.anon);
    this.fileBytesMax = Math.max(this.fileBytesMax, resident.file);
    return resident;
  }
}
