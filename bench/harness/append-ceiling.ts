/**
 * The segment log alone, as the ceiling a produce figure is judged against: one thread calling
 * `PartitionLog.append` with pre-encoded batches (the same bytes every time, so no encoding is
 * counted), yielding to its event loop every 256 appends as a partition actor does between
 * drains. No ring, no thread hop, no acknowledgement: what is left is the copy into the mapping,
 * the batch check and the offset stamp, and the zero-filling of new segments in the background.
 *
 * Beside it, in the same run, its baseline: a plain copy of the same batch into a buffer
 * already touched, plus the CRC32C of the copy (what an append cannot do without), with the same
 * yields. On Linux the thread's own CPU time is read too (schedstat), so that time spent
 * waiting for a core on a shared machine is told apart from time spent appending.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { segmentSizeBytesDefault } from '../../src/constants.js';
import { CRC_SPAN_START, crc32c } from '../../src/records/index.js';
import { PartitionLog } from '../../src/segments/index.js';
import { BatchEncoder } from './batch-encoder.js';
import { nowNs } from './clock.js';

export interface AppendCeiling {
  readonly recordsPerSec: number;
  /** Payload megabytes (10^6 bytes of values) per second, as the produce figures count them. */
  readonly megabytesPerSec: number;
  readonly recordCount: number;
  readonly elapsedMs: number;
  /** Wall time per batch, and the thread's own CPU time per batch (NaN where unreadable). */
  readonly microsPerBatch: number;
  readonly cpuMicrosPerBatch: number;
  /** The same-run baseline: copy + CRC32C of the same batch, in records/s and CPU µs/batch. */
  readonly baselineRecordsPerSec: number;
  readonly baselineCpuMicrosPerBatch: number;
  /** Segments rolled, and how many of them onto a file prepared in the background. */
  readonly rollCount: number;
  readonly preparedRollCount: number;
}

export interface Pass {
  batches: number;
  elapsedMs: number;
  cpuMs: number;
  /** Pauses of the garbage collector during the measured part (ms), and how many were major. */
  gcMs: number;
  majorGcCount: number;
}

const appendsPerYield = 256;
const nsPerMs = 1e6;
/** The baseline copies into this many bytes of already-touched memory, round and round. */
const baselineTargetBytes = 64 * 1024 * 1024;

/** This thread's CPU time in ms (Linux schedstat: on-CPU ns), NaN where it cannot be read. */
function threadCpuMs(): number {
  try {
    const schedstat = fs.readFileSync(`/proc/thread-self/schedstat`, 'utf8');
    return Number(schedstat.split(' ')[0]) / nsPerMs;
  } catch {
    return Number.NaN; // Not Linux: wall time only.
  }
}

/**
 * Calls `step` (one batch) for `durationMs` after `warmupMs` (or until `stepsMax` calls),
 * yielding every `appendsPerYield` calls; counts the measured batches, their wall and CPU time.
 */
export async function timedPass(step: () => void, warmupMs: number, durationMs: number,
  stepsMax = Number.POSITIVE_INFINITY): Promise<Pass> {
  const startNs = nowNs();
  const measureStartNs = startNs + warmupMs * nsPerMs;
  const endNs = measureStartNs + durationMs * nsPerMs;
  let batches = 0;
  let countedFromNs = 0;
  let cpuFromMs = 0;
  let now = startNs;
  let steps = 0;
  const gc = watchGc();
  while (now < endNs && steps + appendsPerYield <= stepsMax) {
    const counting = now >= measureStartNs;
    if (counting && countedFromNs === 0) {
      countedFromNs = now;
      cpuFromMs = threadCpuMs();
      gc.reset();
    }
    for (let index = 0; index < appendsPerYield; index++) step();
    steps += appendsPerYield;
    if (counting) batches += appendsPerYield;
    await yieldToEventLoop();
    now = nowNs();
  }
  const cpuMs = threadCpuMs() - cpuFromMs;
  const { gcMs, majorGcCount } = await gc.stop();
  return { batches, elapsedMs: (now - countedFromNs) / nsPerMs, cpuMs, gcMs, majorGcCount };
}

/**
 * The collector's pauses on this thread from now (or from `reset`) on. Mapping a 64 MiB segment
 * reports 64 MiB of external memory to V8, which is what starts a major collection at a roll.
 */
function watchGc(): { reset(): void; stop(): Promise<{ gcMs: number; majorGcCount: number }> } {
  let gcMs = 0;
  let majorGcCount = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majorGcCount++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    reset(): void {
      observer.takeRecords();
      gcMs = 0;
      majorGcCount = 0;
    },
    async stop() {
      await yieldToEventLoop(); // Entries are delivered on a later turn.
      observer.disconnect();
      return { gcMs, majorGcCount };
    },
  };
}

/** Copy + CRC32C of `batch` into memory touched beforehand: what an append cannot skip. */
export async function copyCrcBaseline(batch: Uint8Array, durationMs: number): Promise<Pass> {
  const target = Buffer.alloc(baselineTargetBytes, 1);
  let position = 0;
  return timedPass(() => {
    if (position + batch.length > target.length) position = 0;
    target.set(batch, position);
    crc32c(target.subarray(position + CRC_SPAN_START, position + batch.length));
    position += batch.length;
  }, Math.min(200, durationMs), durationMs);
}

/** Values of `sizeBytes` with a repeating, not all-zero, pattern. */
export function patternedValues(count: number, sizeBytes: number): Uint8Array[] {
  return Array.from({ length: count }, (_, index) =>
    new Uint8Array(sizeBytes).map((_byte, at) => (at * 31 + index) & 0xff));
}

/**
 * Appends batches of `recordsPerBatch` records of `valueSizeBytes` for `durationMs` after a
 * `warmupMs` (whose appends are not counted), in a temporary directory removed afterwards.
 */
export async function measureAppendCeiling(options: {
  valueSizeBytes: number; recordsPerBatch: number; warmupMs: number; durationMs: number;
}): Promise<AppendCeiling> {
  const { valueSizeBytes, recordsPerBatch } = options;
  const encoder = new BatchEncoder(recordsPerBatch * (valueSizeBytes + 16) + 128);
  const batch = encoder.encode(patternedValues(recordsPerBatch, valueSizeBytes)).slice();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-bench-ceiling-'));
  const baseline = await copyCrcBaseline(batch, Math.min(1000, options.durationMs));
  const log = PartitionLog.open(dir, { segmentSizeBytes: segmentSizeBytesDefault });
  try {
    const pass = await timedPass(() => log.append(batch), options.warmupMs, options.durationMs);
    const { elapsedMs } = pass;
    const recordCount = pass.batches * recordsPerBatch;
    const recordsPerSec = recordCount / (elapsedMs / 1000);
    const { rollCount, preparedRollCount } = log.stats();
    return {
      recordsPerSec, recordCount, elapsedMs,
      megabytesPerSec: recordsPerSec * valueSizeBytes / 1e6,
      microsPerBatch: elapsedMs * 1000 / pass.batches,
      cpuMicrosPerBatch: pass.cpuMs * 1000 / pass.batches,
      baselineRecordsPerSec: baseline.batches * recordsPerBatch / (baseline.elapsedMs / 1000),
      baselineCpuMicrosPerBatch: baseline.cpuMs * 1000 / baseline.batches,
      rollCount, preparedRollCount,
    };
  } finally {
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
