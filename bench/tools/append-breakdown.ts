/**
 * Where the time of `PartitionLog.append` goes, for one batch size, in one run: the copy +
 * CRC32C of the batch into touched memory (what no append can skip), the append into one
 * segment large enough never to roll (a 1 GiB file, zero-filled before the clock starts), and
 * the append with the default 64 MiB segments, as the produce suite's ceiling runs it (rolls,
 * the next segment prepared in the background). CPU time is the thread's own (Linux
 * schedstat), so a shared machine's waiting for a core shows as wall minus CPU.
 *
 *   npm run build && node dist/bench/tools/append-breakdown.js [seconds per pass, default 3] \\
 *     [segment MiB of the rolling pass, default 64]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { segmentSizeBytesDefault } from '../../src/constants.js';
import { PartitionLog } from '../../src/segments/index.js';
import {
  copyCrcBaseline, patternedValues, timedPass, type Pass,
} from '../harness/append-ceiling.js';
import { BatchEncoder } from '../harness/batch-encoder.js';

const recordsPerBatch = 100;
const valueSizeBytes = 100;
const MiB = 1024 * 1024;
const noRollSegmentBytes = 1024 * MiB;

function line(name: string, pass: Pass): string {
  const wallMicros = pass.elapsedMs * 1000 / pass.batches;
  const cpuMicros = pass.cpuMs * 1000 / pass.batches;
  const perCore = recordsPerBatch / cpuMicros;
  const gcMicros = pass.gcMs * 1000 / pass.batches;
  return `${name.padEnd(40)} ${cpuMicros.toFixed(2).padStart(6)} µs CPU/batch ` +
    `(${perCore.toFixed(1)} M records/s a core), wall ${wallMicros.toFixed(2)} µs, ` +
    `GC ${gcMicros.toFixed(2)} µs (${pass.majorGcCount} major)`;
}

async function appendPass(segmentSizeBytes: number, batch: Uint8Array, durationMs: number):
Promise<{ pass: Pass; rolls: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-append-breakdown-'));
  // The 1 GiB pass never rolls, so it prepares no next segment: a 1 GiB zero-fill left running
  // in the background would take the preparation thread (and the disk) from the pass after it.
  const rolls = segmentSizeBytes !== noRollSegmentBytes;
  const log = PartitionLog.open(dir, { segmentSizeBytes, prepareNextSegment: rolls });
  try {
    // A 1 GiB segment holds ~97 k batches: the pass stops before it would roll.
    const fits = rolls ? Number.POSITIVE_INFINITY : Math.floor(segmentSizeBytes / batch.length) - 1;
    const pass = await timedPass(() => log.append(batch), 200, durationMs, fits);
    const stats = log.stats();
    return { pass, rolls: `${stats.rollCount} rolls, ${stats.preparedRollCount} prepared` };
  } finally {
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const durationMs = Number(process.argv[2] ?? 3) * 1000;
  const encoder = new BatchEncoder(recordsPerBatch * (valueSizeBytes + 16) + 128);
  const batch = encoder.encode(patternedValues(recordsPerBatch, valueSizeBytes)).slice();
  console.log(`batches of ${recordsPerBatch} × ${valueSizeBytes} B (${batch.length} bytes); ` +
    `load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(line('copy + CRC32C (baseline)', await copyCrcBaseline(batch, durationMs)));
  // A time-bounded pass into a segment that must not roll: at most ~10 s of appends fit.
  const noRoll = await appendPass(noRollSegmentBytes, batch, Math.min(durationMs, 2000));
  console.log(line('append, no roll (1 GiB segment)', noRoll.pass));
  const segmentSizeBytes = Number(process.argv[3] ?? segmentSizeBytesDefault / MiB) * MiB;
  const rolling = await appendPass(segmentSizeBytes, batch, durationMs);
  const name = `append, ${segmentSizeBytes / MiB} MiB segments` +
    (segmentSizeBytes === segmentSizeBytesDefault ? ' (the ceiling)' : '');
  console.log(`${line(name, rolling.pass)}; ${rolling.rolls}`);
}

await main();
