/**
 * Segment-log throughput, against a baseline measured in the same run.
 *
 *   npm run build && node dist/bench/segments.js
 *
 * - append: 100-byte and 1 KiB records in batches of 100. Every batch is ENCODED here, record
 *   by record (a minimal RecordBatch v2 encoder: varint lengths and deltas, no key, no headers,
 *   CRC32C), then appended with `PartitionLog.append` (which copies it once into the mapping,
 *   checks it and stamps its offset). Baseline: the same encoder, then `fs.writeSync` of the
 *   same bytes to a plain file (no fsync on either side: flush policy `none`).
 * - read: `PartitionLog.read` of the whole log in 1 MiB views, DECODING every record (walking
 *   its varints). Baseline: `fs.readSync` of the plain file in 1 MiB chunks, same decoding.
 * - roll stall: the time of the appends that rolled to a new 64 MiB segment, with the next
 *   segment prepared in the background (piscina) and without (created zero-filled on the spot).
 */
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  BATCH_HEADER_SIZE_BYTES, RECORD_COUNT_OFFSET, RECORDS_OFFSET, batchSizeBytesAt,
} from '../src/records/index.js';
import { PartitionLog } from '../src/segments/index.js';
import { BatchEncoder } from './harness/batch-encoder.js';

const recordsPerBatch = 100;
const MiB = 1024 * 1024;

/** Reads a zigzag varint at `state.at`; returns the value and advances. */
function readVarint(bytes: Uint8Array, state: { at: number }): number {
  let result = 0;
  let shift = 1;
  for (;;) {
    const byte = bytes[state.at++];
    result += (byte & 0x7f) * shift;
    if (byte < 0x80) break;
    shift *= 128;
  }
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

/** Decodes every record of the whole batches in `bytes`; returns the record count. */
function decodeBatches(bytes: Uint8Array, view: DataView, end: number): number {
  let position = 0;
  let records = 0;
  let checksum = 0;
  const state = { at: 0 };
  while (position + BATCH_HEADER_SIZE_BYTES <= end) {
    const sizeBytes = batchSizeBytesAt(view, position);
    if (position + sizeBytes > end) break;
    const count = view.getInt32(position + RECORD_COUNT_OFFSET);
    state.at = position + RECORDS_OFFSET;
    for (let i = 0; i < count; i += 1) {
      const length = readVarint(bytes, state);
      const recordEnd = state.at + length;
      state.at += 1; // attributes
      readVarint(bytes, state); // timestampDelta
      const offsetDelta = readVarint(bytes, state);
      const keyLength = readVarint(bytes, state);
      if (keyLength > 0) state.at += keyLength;
      const valueLength = readVarint(bytes, state);
      checksum += bytes[state.at] + offsetDelta + valueLength;
      state.at = recordEnd;
      records += 1;
    }
    position += sizeBytes;
  }
  if (checksum < 0) throw new Error('unreachable');
  return records;
}

function valuesOf(recordSizeBytes: number): Uint8Array[] {
  return Array.from({ length: recordsPerBatch }, (_, i) =>
    new Uint8Array(recordSizeBytes).fill(i & 0xff));
}

interface Figure { recordsPerSecond: number; megabytesPerSecond: number }

function figure(records: number, bytes: number, ms: number): Figure {
  return { recordsPerSecond: records / (ms / 1000), megabytesPerSecond: bytes / MiB / (ms / 1000) };
}

function show(label: string, ours: Figure, baseline: Figure): void {
  const m = (n: number) => (n / 1e6).toFixed(2).padStart(6);
  console.log(`${label.padEnd(28)} ${m(ours.recordsPerSecond)} M rec/s ` +
    `${ours.megabytesPerSecond.toFixed(0).padStart(5)} MB/s | baseline ` +
    `${m(baseline.recordsPerSecond)} M rec/s ` +
    `${baseline.megabytesPerSecond.toFixed(0).padStart(5)}` +
    ` MB/s | ratio ${(ours.recordsPerSecond / baseline.recordsPerSecond).toFixed(2)}x`);
}

async function appendAndRead(root: string, recordSizeBytes: number, totalRecords: number) {
  const values = valuesOf(recordSizeBytes);
  const encoder = new BatchEncoder(recordsPerBatch * (recordSizeBytes + 16) + 128);
  const batches = totalRecords / recordsPerBatch;

  // Baseline append: encode, fs.writeSync.
  const plainPath = nodePath.join(root, `plain-${recordSizeBytes}.bin`);
  const fd = fs.openSync(plainPath, 'w');
  let bytes = 0;
  let started = performance.now();
  for (let i = 0; i < batches; i += 1) {
    const batch = encoder.encode(values);
    fs.writeSync(fd, batch);
    bytes += batch.length;
  }
  const baselineAppend = figure(totalRecords, bytes, performance.now() - started);
  fs.closeSync(fd);

  // Ours: encode, PartitionLog.append (segments prepared in the background).
  const log = PartitionLog.open(nodePath.join(root, `log-${recordSizeBytes}`), {
    segmentSizeBytes: 64 * MiB,
  });
  started = performance.now();
  for (let i = 0; i < batches; i += 1) {
    log.append(encoder.encode(values));
    // A partition actor returns to its event loop between drains of its ring.
    if (i % 256 === 255) await yieldToEventLoop();
  }
  const oursAppend = figure(totalRecords, bytes, performance.now() - started);
  show(`append ${recordSizeBytes} B records`, oursAppend, baselineAppend);

  // Reads, with record decoding.
  started = performance.now();
  let records = 0;
  let next = 0;
  while (next < log.logEndOffset) {
    const view = log.read(next, 1 * MiB);
    const dataView = new DataView(view.buffer, view.byteOffset, view.byteLength);
    records += decodeBatches(view, dataView, view.length);
    next = log.logStartOffset + records;
  }
  const oursRead = figure(records, bytes, performance.now() - started);
  started = performance.now();
  const chunk = new Uint8Array(4 * MiB);
  const chunkView = new DataView(chunk.buffer);
  const readFd = fs.openSync(plainPath, 'r');
  let plainRecords = 0;
  let filePosition = 0;
  for (;;) {
    const got = fs.readSync(readFd, chunk, 0, chunk.length, filePosition);
    if (got === 0) break;
    // Decode whole batches; the partial one at the end of the chunk is read again next time.
    let consumed = 0;
    while (consumed + BATCH_HEADER_SIZE_BYTES <= got) {
      const size = batchSizeBytesAt(chunkView, consumed);
      if (consumed + size > got) break;
      plainRecords += chunkView.getInt32(consumed + RECORD_COUNT_OFFSET);
      consumed += size;
    }
    decodeBatches(chunk, chunkView, consumed);
    filePosition += consumed;
  }
  fs.closeSync(readFd);
  const baselineRead = figure(plainRecords, bytes, performance.now() - started);
  show(`read+decode ${recordSizeBytes} B records`, oursRead, baselineRead);
  if (records !== totalRecords || plainRecords !== totalRecords) {
    throw new Error(`read ${records} / ${plainRecords} records of ${totalRecords}`);
  }
  log.close();
  return { oursAppend, baselineAppend, oursRead, baselineRead };
}

/**
 * Appends 100 KiB batches until six rolls, at `paceMegabytesPerSecond` (0: as fast as
 * possible), timing the appends that rolled.
 */
async function rollStall(root: string, prepare: boolean, paceMegabytesPerSecond: number) {
  const values = valuesOf(1024);
  const encoder = new BatchEncoder(recordsPerBatch * 1040 + 128);
  const dir = nodePath.join(root, `roll-${prepare}-${paceMegabytesPerSecond}`);
  const log = PartitionLog.open(dir, {
    segmentSizeBytes: 64 * MiB, prepareNextSegment: prepare,
  });
  const rollMs: number[] = [];
  const preparedRollMs: number[] = [];
  const otherMs: number[] = [];
  let i = 0;
  let appendedBytes = 0;
  const begun = performance.now();
  while (log.stats().rollCount < 6) {
    const batch = encoder.encode(values);
    appendedBytes += batch.length;
    if (paceMegabytesPerSecond > 0) {
      const dueMs = begun + (appendedBytes / MiB / paceMegabytesPerSecond) * 1000;
      while (performance.now() < dueMs - 1) await new Promise((r) => setTimeout(r, 1));
    }
    const before = log.stats();
    const started = performance.now();
    log.append(batch);
    const ms = performance.now() - started;
    const after = log.stats();
    if (after.rollCount === before.rollCount) otherMs.push(ms);
    else if (after.preparedRollCount > before.preparedRollCount) preparedRollMs.push(ms);
    else rollMs.push(ms);
    i += 1;
    if (i % 64 === 0) await yieldToEventLoop();
  }
  log.close();
  otherMs.sort((a, b) => a - b);
  const all = [...rollMs, ...preparedRollMs];
  const mean = (ms: number[]) =>
    (ms.length === 0 ? NaN : ms.reduce((a, b) => a + b, 0) / ms.length);
  return {
    rollMsMax: Math.max(...all),
    rollMsMean: mean(all),
    preparedRollMsMean: mean(preparedRollMs),
    onTheSpotRollMsMean: mean(rollMs),
    appendMsP50: otherMs[Math.floor(otherMs.length / 2)],
    prepared: preparedRollMs.length, rolls: all.length,
  };
}

export async function run(): Promise<void> {
  const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'mamba-bench-segments-'));
  try {
    console.log('segments: append (encoding included) and read (decoding included), ' +
      `batches of ${recordsPerBatch} records, baseline = fs.writeSync / fs.readSync`);
    await appendAndRead(root, 100, 3_000_000);
    await appendAndRead(root, 1024, 500_000);
    for (const pace of [256, 0]) {
      const without = await rollStall(root, false, pace);
      const withPrepared = await rollStall(root, true, pace);
      const paced = pace === 0 ? 'full speed' : `${pace} MB/s`;
      const line = (label: string, r: typeof without) =>
        console.log(`roll stall ${paced}, ${label.padEnd(22)} mean ${r.rollMsMean.toFixed(2)} ` +
          `ms, max ${r.rollMsMax.toFixed(2)} ms over ${r.rolls} rolls (${r.prepared} ` +
          `prepared: ${r.preparedRollMsMean.toFixed(2)} ms each, others ` +
          `${r.onTheSpotRollMsMean.toFixed(2)} ms); other appends p50 ` +
          `${(r.appendMsP50 * 1000).toFixed(1)} us`);
      line('created on the spot', without);
      line('prepared in background', withPrepared);
      console.log(`roll stall ratio ${paced}: on the spot / prepared roll ` +
        `${(without.rollMsMean / withPrepared.preparedRollMsMean).toFixed(1)}x, on the spot / ` +
        `all rolls with preparation ${(without.rollMsMean / withPrepared.rollMsMean).toFixed(1)}x`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
