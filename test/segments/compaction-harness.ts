/**
 * Shared set-up for the compaction tests of the segment log: a keyed update stream appended as
 * real RecordBatch v2 batches, the cleaner run in the test's thread (as the worker runs it), and
 * a reader that decodes every record a log holds.
 */
import {
  BASE_OFFSET_OFFSET, LAST_OFFSET_DELTA_OFFSET, batchIsControl, codecNamed, compressBatch,
  encodeBatch, forEachRecord,
  type CompressionName, type RecordInput,
} from '../../src/records/index.js';
import {
  cleanSegments, type CleanResult, type PartitionLog, type SegmentStorage,
} from '../../src/segments/index.js';
import { splitBatches } from './batch-builder.js';

export interface StoredRecord {
  offset: number;
  /** The key as text, or null. */
  key: string | null;
  /** The value as text, or null for a tombstone. */
  value: string | null;
  timestamp: number;
}

export interface UpdateStream {
  keyCount: number;
  updateCount: number;
  recordsPerBatch: number;
  /** Every `tombstoneEvery`-th update is a tombstone (0: none). */
  tombstoneEvery?: number;
  /** Every `nullKeyEvery`-th update has a null key (0: none). */
  nullKeyEvery?: number;
  compression?: CompressionName;
  timestampMs?: (update: number) => number;
}

const encoder = new TextEncoder();

/** Appends the stream's updates to `log`: update i sets key `k<i % keyCount>` to `v<i>`. */
export function appendUpdates(log: PartitionLog, stream: UpdateStream): void {
  const codec = stream.compression === undefined ? undefined : codecNamed(stream.compression);
  for (let first = 0; first < stream.updateCount; first += stream.recordsPerBatch) {
    const records: RecordInput[] = [];
    const last = Math.min(stream.updateCount, first + stream.recordsPerBatch);
    for (let i = first; i < last; i += 1) {
      const nullKey = (stream.nullKeyEvery ?? 0) > 0 && i % stream.nullKeyEvery! === 0;
      const tombstone = (stream.tombstoneEvery ?? 0) > 0 && i % stream.tombstoneEvery! === 0;
      records.push({
        key: nullKey ? null : encoder.encode(`k${i % stream.keyCount}`),
        value: tombstone && !nullKey ? null : encoder.encode(`v${i}`),
        timestamp: stream.timestampMs?.(i) ?? 1_700_000_000_000 + i,
      });
    }
    const batch = encodeBatch(records);
    log.append(codec === undefined ? batch : compressBatch(batch, codec));
  }
}

const decoder = new TextDecoder();

/** Every record of the batches in `bytes` (control batches hold none). */
export function recordsOf(bytes: Uint8Array): StoredRecord[] {
  const records: StoredRecord[] = [];
  for (const batch of splitBatches(bytes)) {
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    if (batchIsControl(view, 0)) continue;
    forEachRecord(batch, 0, (record) => {
      records.push({
        offset: record.offset, timestamp: record.timestamp,
        key: record.key === null ? null : decoder.decode(record.key),
        value: record.value === null ? null : decoder.decode(record.value),
      });
    });
  }
  return records;
}

/** Every record `read` yields from `fromOffset` on, following batch ends across gaps. */
export function readRecords(
  read: (fromOffset: number, maxBytes: number) => Uint8Array, fromOffset = 0,
): StoredRecord[] {
  const records: StoredRecord[] = [];
  let next = fromOffset;
  for (;;) {
    const bytes = read(next, 256 * 1024);
    if (bytes.length === 0) return records;
    for (const record of recordsOf(bytes)) if (record.offset >= fromOffset) records.push(record);
    const batches = splitBatches(bytes);
    const lastBatch = batches[batches.length - 1];
    const view = new DataView(lastBatch.buffer, lastBatch.byteOffset, lastBatch.byteLength);
    next = Number(view.getBigInt64(BASE_OFFSET_OFFSET)) +
      view.getInt32(LAST_OFFSET_DELTA_OFFSET) + 1;
  }
}

/** What compaction must leave: per key its latest record (tombstones per `dropTombstone`). */
export function expectedAfterCleaning(
  before: StoredRecord[], dropTombstone: (record: StoredRecord) => boolean = () => false,
): StoredRecord[] {
  const latest = new Map<string, number>();
  for (const record of before) if (record.key !== null) latest.set(record.key, record.offset);
  return before.filter((record) => record.key === null ||
    (latest.get(record.key) === record.offset && !(record.value === null &&
      dropTombstone(record))));
}

/** The table a consumer from the beginning rebuilds: key → value, deleted by tombstones. */
export function tableOf(records: StoredRecord[]): Map<string, string> {
  const table = new Map<string, string>();
  for (const record of records) {
    if (record.key === null) continue;
    if (record.value === null) table.delete(record.key);
    else table.set(record.key, record.value);
  }
  return table;
}

/** One cleaning round in this thread: plan, clean, swap (what the broker's cleaner does). */
export function compactLog(
  log: PartitionLog, storage: SegmentStorage, options: { nowMs?: number;
    deleteRetentionMs?: number; rollActive?: boolean; keysMax?: number } = {},
): { result: CleanResult; swapped: boolean } {
  const plan = log.cleanPlan(options.rollActive ?? true);
  const result = cleanSegments(storage, {
    dir: log.dir, segments: plan.segments, indexIntervalBytes: log.config.indexIntervalBytes,
    nowMs: options.nowMs ?? Date.now(), deleteRetentionMs: options.deleteRetentionMs ?? 1e12,
    keysMax: options.keysMax,
  });
  const swapped = log.swapCleaned(result.segments);
  return { result, swapped };
}
