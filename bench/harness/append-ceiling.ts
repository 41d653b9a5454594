/**
 * The segment log alone, as the ceiling a produce figure is judged against: one thread calling
 * `PartitionLog.append` with pre-encoded batches (the same bytes every time, so no encoding is
 * counted), yielding to its event loop every 256 appends as a partition actor does between
 * drains. No ring, no thread hop, no acknowledgement: what is left is the copy into the mapping,
 * the batch check and the offset stamp, and the zero-filling of new segments in the background.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { segmentSizeBytesDefault } from '../../src/constants.js';
import { PartitionLog } from '../../src/segments/index.js';
import { BatchEncoder } from './batch-encoder.js';
import { nowNs } from './clock.js';

export interface AppendCeiling {
  readonly recordsPerSec: number;
  /** Payload megabytes (10^6 bytes of values) per second, as the produce figures count them. */
  readonly megabytesPerSec: number;
  readonly recordCount: number;
  readonly elapsedMs: number;
}

const appendsPerYield = 256;
const nsPerMs = 1e6;

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
  const log = PartitionLog.open(dir, { segmentSizeBytes: segmentSizeBytesDefault });
  try {
    const startNs = nowNs();
    const measureStartNs = startNs + options.warmupMs * nsPerMs;
    const endNs = measureStartNs + options.durationMs * nsPerMs;
    let measuredAppends = 0;
    let countedFromNs = 0;
    let now = startNs;
    while (now < endNs) {
      const counting = now >= measureStartNs;
      if (counting && countedFromNs === 0) countedFromNs = now;
      for (let index = 0; index < appendsPerYield; index++) log.append(batch);
      if (counting) measuredAppends += appendsPerYield;
      await yieldToEventLoop();
      now = nowNs();
    }
    const elapsedMs = (now - countedFromNs) / nsPerMs;
    const recordCount = measuredAppends * recordsPerBatch;
    const recordsPerSec = recordCount / (elapsedMs / 1000);
    return {
      recordsPerSec, recordCount, elapsedMs,
      megabytesPerSec: recordsPerSec * valueSizeBytes / 1e6,
    };
  } finally {
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
