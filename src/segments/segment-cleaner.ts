/**
 * The log cleaner's work on one partition: it reads sealed segments (never the active one) and
 * writes, beside each, a cleaned copy that keeps the latest record per key. It runs in a
 * background worker thread (cleaner-worker.ts) on real files, or in the test's own thread on
 * `MemoryStorage`; it only ever creates `.cleaned` files, and the partition's actor swaps them
 * in (clean-swap.ts), so nothing here can damage the log.
 *
 * What a cleaned segment holds, batch by batch, in the original order:
 *
 * | original batch                         | cleaned                                          |
 * | -------------------------------------- | ------------------------------------------------ |
 * | control batch (a gap marker, or a      | copied as it is (transaction markers are kept:   |
 * | transaction marker)                    | the simplest correct subset of Kafka's rule)     |
 * | batch of an aborted transaction        | dropped; its offsets join a gap marker           |
 * | every record kept                      | copied as it is                                  |
 * | some records kept                      | the same header (baseOffset, lastOffsetDelta,    |
 * |                                        | timestamps, producer fields, codec) with only    |
 * |                                        | the kept records: new count, length and CRC      |
 * | no record kept                         | dropped; its offsets join a gap marker           |
 *
 * A record is kept when its key is null (Kafka refuses those on compacted topics; Mamba keeps
 * them, see the README), or when it is the latest record of its key among the segments cleaned,
 * unless it is a tombstone (null value) whose timestamp is more than `deleteRetentionMs` old.
 *
 * Offsets never change. Records dropped inside a kept batch leave gaps in its offset deltas;
 * batches dropped whole are replaced by a gap marker (a control batch with no records,
 * stored-batch.ts) over their offsets, so that batches still continue each other and a segment
 * still starts at its base offset and ends where the next begins: recovery, the offset index
 * and every reader see the same chain of batches they always did.
 *
 * Transactions: a batch of an aborted transaction (the partition's aborted index,
 * aborted-index.ts) takes no part in choosing the latest record of a key, and is removed,
 * records and all, as Kafka's cleaner does. The actor offers only segments below the last stable
 * offset (PartitionLog.cleanPlan), so every transaction in them is decided and every abort
 * among them is in the index. Markers stay (Kafka drops one `deleteRetentionMs` after its
 * transaction's data is gone; keeping it costs one small batch and is always correct).
 *
 * Memory is bounded: the key map holds at most `cleanerKeysMax` keys; when the segments hold
 * more, only a prefix of them is cleaned (the rest waits for the next round).
 */
import nodePath from 'node:path';
import {
  ATTRIBUTES_OFFSET, ATTRIBUTE_COMPRESSION_MASK, BATCH_HEADER_SIZE_BYTES,
  BATCH_LENGTH_EXCLUDED_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET, CRC_SPAN_START, RECORDS_OFFSET,
  RECORD_COUNT_OFFSET, STORED_BATCH, STORED_BATCH_NO_CRC, batchBaseOffset, batchBaseTimestamp,
  batchCompression, batchIsControl, batchIsTransactional, batchProducerId,
  batchIsLogAppendTime, batchLastOffset, batchMaxTimestamp, batchRecordCount, batchSizeBytesAt,
  checkBatch, codecOf, compressBatch, crc32c, dataViewOf, decompressRecords, readVarint,
  readVarlong, type VarintCursor,
} from '../records/index.js';
import { assert } from '../assert.js';
import { cleanerKeysMax, pageSizeBytes } from '../constants.js';
import { corruptLog } from '../errors.js';
import {
  INDEX_BYTE_POSITION_OFFSET, INDEX_ENTRY_SIZE_BYTES, INDEX_RELATIVE_OFFSET_OFFSET,
  indexFileSizeBytes,
} from './offset-index.js';
import { writeGapBatch } from './stored-batch.js';
import { isAbortedBatch, readAbortedIndex } from './aborted-index.js';
import type { AbortedTransaction } from './transaction-state.js';
import {
  CLEANED_INDEX_SUFFIX, CLEANED_LOG_SUFFIX, LOG_SUFFIX, segmentFileName,
} from './segment.js';
import type { SegmentStorage } from './storage.js';

/** A sealed segment as its actor describes it to the cleaner. */
export interface CleanSegmentSpec {
  baseOffset: number;
  /** Bytes `[0, endPosition)` of its `.log` hold its batches. */
  endPosition: number;
  /** The offset after its last batch: the next segment's base offset. */
  nextOffset: number;
}

export interface CleanTask {
  dir: string;
  /** Consecutive sealed segments, ascending. */
  segments: CleanSegmentSpec[];
  indexIntervalBytes: number;
  nowMs: number;
  deleteRetentionMs: number;
  /** Keys the map may hold; default `cleanerKeysMax` (tests pass a small one). */
  keysMax?: number;
}

export interface CleanResult {
  /** The segments that now have `.cleaned` files, ascending (a prefix of the task's). */
  segments: CleanSegmentSpec[];
  keyCount: number;
  recordsBefore: number;
  recordsAfter: number;
  tombstonesRemoved: number;
  /** Records of aborted transactions removed. */
  abortedRecordsRemoved?: number;
  /** Batch bytes of the segments cleaned, before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

/** One record's place and identity inside its batch's (inflated) records. */
interface RecordSpan {
  start: number;
  end: number;
  offset: number;
  timestampMs: number;
  /** Latin-1 of the key bytes (one char per byte), or null for a null key. */
  key: string | null;
  tombstone: boolean;
}

/** Writes the `.cleaned` files of a prefix of `task.segments`; returns what it did. */
export function cleanSegments(storage: SegmentStorage, task: CleanTask): CleanResult {
  const sources = task.segments.map((spec) => ({
    spec, path: nodePath.join(task.dir, segmentFileName(spec.baseOffset, LOG_SUFFIX)),
    bytes: storage.mapReadOnly(nodePath.join(task.dir, segmentFileName(spec.baseOffset,
      LOG_SUFFIX))),
  }));
  const last = task.segments[task.segments.length - 1];
  const aborted = readAbortedIndex(storage, task.dir).filter((entry) =>
    entry.lastOffset >= task.segments[0].baseOffset && entry.firstOffset < last.nextOffset);
  const latest = new Map<string, number>();
  const keysMax = task.keysMax ?? cleanerKeysMax;
  let cleanCount = 0;
  // The map is complete for every segment read into it, so those can be cleaned; once it holds
  // `keysMax` keys the rest waits for a later round (memory: keysMax + one segment's keys).
  while (cleanCount < sources.length && latest.size < keysMax) {
    const source = sources[cleanCount];
    const view = dataViewOf(source.bytes);
    forEachBatch(source.bytes, source.spec, source.path, (position, records) => {
      if (isAborted(view, position, aborted)) return;
      for (const record of records) {
        if (record.key !== null) latest.set(record.key, record.offset);
      }
    });
    cleanCount += 1;
  }
  const result: CleanResult = {
    segments: [], keyCount: latest.size, recordsBefore: 0, recordsAfter: 0,
    tombstonesRemoved: 0, abortedRecordsRemoved: 0, bytesBefore: 0, bytesAfter: 0,
  };
  try {
    for (const source of sources.slice(0, cleanCount)) {
      const cleaned = rewriteSegment(source.bytes, source.spec, source.path, latest, task,
        result, aborted);
      result.segments.push(source.spec);
      writeCleanedFiles(storage, task, source.spec, cleaned);
      result.bytesBefore += source.spec.endPosition;
      result.bytesAfter += cleaned.length;
    }
    if (result.segments.length > 0) storage.syncDirectory(task.dir);
  } catch (error) {
    // A full disk (or damage found) ends the round with nothing changed: the log is as it
    // was, and the space the round took is given back at once.
    try {
      removeCleanedFiles(storage, task.dir, result.segments);
    } catch {
      // The error that ended the round is the one to report; opening the log removes the rest.
    }
    throw error;
  }
  return result;
}

/**
 * Calls `visit` with each batch's position and its records (empty for control batches), after
 * checking the batch whole (CRC included): the cleaner never rewrites bytes it cannot vouch for.
 */
function forEachBatch(
  bytes: Uint8Array, spec: CleanSegmentSpec, path: string,
  visit: (position: number, records: RecordSpan[], recordBytes: Uint8Array) => void,
): void {
  const view = dataViewOf(bytes);
  let position = 0;
  let expected = spec.baseOffset;
  while (position < spec.endPosition) {
    const verdict = checkBatch(bytes, view, position, spec.endPosition, expected, STORED_BATCH);
    if (verdict !== 'valid') {
      throw corruptLog({ path, bytePosition: position, reason: `cleaner: ${verdict}` });
    }
    if (batchIsControl(view, position)) {
      visit(position, [], bytes);
    } else {
      const { records, recordBytes } = recordSpans(bytes, view, position, path);
      visit(position, records, recordBytes);
    }
    expected = batchLastOffset(view, position) + 1;
    position += batchSizeBytesAt(view, position);
  }
  if (expected !== spec.nextOffset) {
    throw corruptLog({ path, bytePosition: position,
      reason: `cleaner: the batches end at offset ${expected}, not ${spec.nextOffset}` });
  }
}

const cursor: VarintCursor = { position: 0 };

/** Where each record of the batch at `position` lies, with its offset, time, key and kind. */
function recordSpans(bytes: Uint8Array, view: DataView, position: number, path: string):
  { records: RecordSpan[]; recordBytes: Uint8Array } {
  const compressed = batchCompression(view, position) !== 0;
  const recordBytes = compressed ? decompressRecords(bytes, view, position) : bytes;
  const start = compressed ? 0 : position + RECORDS_OFFSET;
  const end = compressed ? recordBytes.length : position + batchSizeBytesAt(view, position);
  const baseOffset = batchBaseOffset(view, position);
  const baseTimestampMs = batchBaseTimestamp(view, position);
  const logAppendTime = batchIsLogAppendTime(view, position);
  const count = batchRecordCount(view, position);
  const records: RecordSpan[] = [];
  const bad = (reason: string) => corruptLog({ path, bytePosition: position,
    reason: `cleaner: record ${records.length}: ${reason}` });
  cursor.position = start;
  for (let i = 0; i < count; i += 1) {
    const recordStart = cursor.position;
    const length = readVarint(recordBytes, cursor);
    const recordEnd = cursor.position + length;
    if (!(length > 0) || recordEnd > end) throw bad('length');
    cursor.position += 1; // attributes
    const timestampDelta = readVarlong(recordBytes, cursor);
    const offsetDelta = readVarint(recordBytes, cursor);
    const keyLength = readVarint(recordBytes, cursor);
    const keyStart = cursor.position;
    if (keyLength > 0) cursor.position += keyLength;
    const valueLength = readVarint(recordBytes, cursor);
    if (Number.isNaN(timestampDelta + offsetDelta + keyLength + valueLength) ||
      cursor.position > recordEnd) throw bad('fields');
    records.push({
      start: recordStart, end: recordEnd, offset: baseOffset + offsetDelta,
      timestampMs: logAppendTime ? batchMaxTimestamp(view, position)
        : baseTimestampMs + timestampDelta,
      key: keyLength < 0 ? null
        : Buffer.from(recordBytes.buffer, recordBytes.byteOffset + keyStart, keyLength)
          .toString('latin1'),
      tombstone: valueLength < 0,
    });
    cursor.position = recordEnd;
  }
  if (cursor.position !== end) throw bad('bytes after the last record');
  return { records, recordBytes };
}

/** The cleaned batches of one segment, end to end (see the table at the top). */
function rewriteSegment(
  bytes: Uint8Array, spec: CleanSegmentSpec, path: string, latest: Map<string, number>,
  task: CleanTask, result: CleanResult, aborted: readonly AbortedTransaction[],
): Uint8Array {
  // Kept batches are never larger than they were, and a gap marker only replaces a dropped
  // batch (which held a header and a record, more than a marker's header), so the cleaned data
  // fits in the original's size plus one marker.
  const out = new Uint8Array(spec.endPosition + BATCH_HEADER_SIZE_BYTES);
  const outView = dataViewOf(out);
  const view = dataViewOf(bytes);
  let outEnd = 0;
  let covered = spec.baseOffset;
  const coverGap = (upTo: number) => {
    if (upTo <= covered) return;
    writeGapBatch(out, outView, outEnd, BATCH_HEADER_SIZE_BYTES, covered, upTo - covered);
    outEnd += BATCH_HEADER_SIZE_BYTES;
    covered = upTo;
  };
  forEachBatch(bytes, spec, path, (position, records, recordBytes) => {
    const sizeBytes = batchSizeBytesAt(view, position);
    let kept: RecordSpan[] | undefined;
    if (batchIsControl(view, position)) {
      kept = undefined;
    } else if (isAborted(view, position, aborted)) {
      kept = [];
      result.abortedRecordsRemoved = (result.abortedRecordsRemoved ?? 0) + records.length;
    } else {
      kept = records.filter((record) => keeps(record, latest, task, result));
    }
    result.recordsBefore += records.length;
    if (kept !== undefined && kept.length === 0) return;
    coverGap(batchBaseOffset(view, position));
    if (kept === undefined || kept.length === records.length) {
      out.set(bytes.subarray(position, position + sizeBytes), outEnd);
      outEnd += sizeBytes;
    } else {
      const batch = rebuildBatch(bytes, position, kept, recordBytes);
      out.set(batch, outEnd);
      outEnd += batch.length;
    }
    result.recordsAfter += kept?.length ?? 0;
    covered = batchLastOffset(view, position) + 1;
  });
  coverGap(spec.nextOffset);
  assert(outEnd <= out.length, 'cleaned data fits its bound');
  return out.subarray(0, outEnd);
}

/** Whether the (data) batch at `position` belongs to an aborted transaction. */
function isAborted(view: DataView, position: number,
  aborted: readonly AbortedTransaction[]): boolean {
  return aborted.length > 0 && batchIsTransactional(view, position) &&
    !batchIsControl(view, position) &&
    isAbortedBatch(aborted, batchProducerId(view, position), batchBaseOffset(view, position));
}

function keeps(
  record: RecordSpan, latest: Map<string, number>, task: CleanTask, result: CleanResult,
): boolean {
  if (record.key === null) return true;
  // Every key of the segments cleaned is in the map, with its latest offset among them.
  const newest = latest.get(record.key);
  if (newest !== undefined && newest > record.offset) return false;
  if (record.tombstone && task.nowMs - record.timestampMs > task.deleteRetentionMs) {
    result.tombstonesRemoved += 1;
    return false;
  }
  return true;
}

/** The batch at `position` with only the `kept` records: same header, new count/length/CRC. */
function rebuildBatch(
  bytes: Uint8Array, position: number, kept: RecordSpan[], recordBytes: Uint8Array,
): Uint8Array {
  let recordsSizeBytes = 0;
  for (const record of kept) recordsSizeBytes += record.end - record.start;
  const batch = new Uint8Array(BATCH_HEADER_SIZE_BYTES + recordsSizeBytes);
  batch.set(bytes.subarray(position, position + BATCH_HEADER_SIZE_BYTES), 0);
  let at = BATCH_HEADER_SIZE_BYTES;
  for (const record of kept) {
    batch.set(recordBytes.subarray(record.start, record.end), at);
    at += record.end - record.start;
  }
  const view = dataViewOf(batch);
  const codecId = batchCompression(view, 0);
  view.setInt16(ATTRIBUTES_OFFSET, view.getInt16(ATTRIBUTES_OFFSET) & ~ATTRIBUTE_COMPRESSION_MASK);
  view.setInt32(RECORD_COUNT_OFFSET, kept.length);
  view.setInt32(BATCH_LENGTH_OFFSET, batch.length - BATCH_LENGTH_EXCLUDED_BYTES);
  view.setUint32(CRC_OFFSET, crc32c(batch.subarray(CRC_SPAN_START)));
  // A compressed batch stays compressed with its codec (compressBatch keeps it plain if that
  // is no smaller, as producers may).
  const codec = codecId === 0 ? undefined : codecOf(codecId);
  return codec === undefined ? batch : compressBatch(batch, codec);
}

/**
 * Writes `<base>.log.cleaned` (the batches, then zeros: at least one all-zero header ends the
 * data, in whole pages) and `<base>.index.cleaned` (the sparse index of those batches), both
 * made durable. Their names are made durable by the caller's one directory sync.
 */
function writeCleanedFiles(
  storage: SegmentStorage, task: CleanTask, spec: CleanSegmentSpec, data: Uint8Array,
): void {
  const logPath = nodePath.join(task.dir, segmentFileName(spec.baseOffset, CLEANED_LOG_SUFFIX));
  const indexPath = nodePath.join(task.dir,
    segmentFileName(spec.baseOffset, CLEANED_INDEX_SUFFIX));
  const logSizeBytes = Math.ceil((data.length + BATCH_HEADER_SIZE_BYTES) / pageSizeBytes) *
    pageSizeBytes;
  for (const path of [logPath, indexPath]) storage.unlink(path);
  storage.createFile(logPath, logSizeBytes);
  const log = storage.mapReadWrite(logPath);
  log.bytes.set(data, 0);
  log.sync(0, logSizeBytes);
  log.close();
  storage.createFile(indexPath, indexFileSizeBytes(logSizeBytes, task.indexIntervalBytes));
  const index = storage.mapReadWrite(indexPath);
  const indexView = dataViewOf(index.bytes);
  const dataView = dataViewOf(data);
  let entries = 0;
  let lastIndexed = -1;
  for (let position = 0; position < data.length;
    position += batchSizeBytesAt(dataView, position)) {
    if (lastIndexed >= 0 && position - lastIndexed < task.indexIntervalBytes) continue;
    const at = entries * INDEX_ENTRY_SIZE_BYTES;
    indexView.setUint32(at + INDEX_RELATIVE_OFFSET_OFFSET,
      batchBaseOffset(dataView, position) - spec.baseOffset, true);
    indexView.setUint32(at + INDEX_BYTE_POSITION_OFFSET, position, true);
    entries += 1;
    lastIndexed = position;
  }
  index.sync(0, index.bytes.length);
  index.close();
}

/**
 * Swap step 2: whether `<base>.log.cleaned` holds batches that continue each other from the
 * segment's base offset to its next offset, followed by an end (zeros). Header hops only: the
 * cleaner checked each batch it copied and computed each CRC it wrote.
 */
export function cleanedFileChains(
  storage: SegmentStorage, dir: string, spec: CleanSegmentSpec,
): boolean {
  const logPath = nodePath.join(dir, segmentFileName(spec.baseOffset, CLEANED_LOG_SUFFIX));
  const indexPath = nodePath.join(dir, segmentFileName(spec.baseOffset, CLEANED_INDEX_SUFFIX));
  if (!storage.exists(logPath) || !storage.exists(indexPath)) return false;
  const bytes = storage.mapReadOnly(logPath);
  const view = dataViewOf(bytes);
  let position = 0;
  let expected = spec.baseOffset;
  while (expected < spec.nextOffset) {
    const verdict = checkBatch(bytes, view, position, bytes.length, expected,
      STORED_BATCH_NO_CRC);
    if (verdict !== 'valid') return false;
    expected = batchLastOffset(view, position) + 1;
    position += batchSizeBytesAt(view, position);
  }
  return expected === spec.nextOffset &&
    checkBatch(bytes, view, position, bytes.length, -1, STORED_BATCH_NO_CRC) === 'zero';
}

/** Removes the `.cleaned` files of `specs` (a swap that did not happen). */
export function removeCleanedFiles(
  storage: SegmentStorage, dir: string, specs: readonly CleanSegmentSpec[],
): void {
  for (const spec of specs) {
    for (const suffix of [CLEANED_LOG_SUFFIX, CLEANED_INDEX_SUFFIX]) {
      storage.unlink(nodePath.join(dir, segmentFileName(spec.baseOffset, suffix)));
    }
  }
}
