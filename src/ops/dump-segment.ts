/**
 * Reading a segment file batch by batch, the way Kafka's DumpLogSegments does: every batch
 * header with its verdict (CRC and structure, records/batch-check.ts), and on request every
 * record. The same walk finds where a segment's valid data ends, which a backup needs (it
 * copies a segment only up to its last valid batch) and which `mamba stats` reports.
 *
 * A segment is pre-sized and zero-filled (segments/segment.ts), so the walk ends at the first
 * all-zero header (the clean end) or at the first batch that fails its checks (a torn tail
 * while a writer is busy, or damage): the verdict of that batch is reported, never hidden.
 */
import fs from 'node:fs';
import {
  BATCH_HEADER_SIZE_BYTES, BATCH_VERDICT_REASONS, COMPRESSION_NAMES, CONTROL_TYPE_ABORT,
  CONTROL_TYPE_COMMIT, STORED_BATCH, controlCoordinatorEpochAt, controlTypeAt,
  batchLastOffset, batchSizeBytesAt, checkBatch, dataViewOf, decodeBatch, readBatchHeader,
  type BatchHeader, type BatchVerdict,
} from '../records/index.js';
import { fromIoError } from '../errors.js';

/** One batch of a segment, as found. */
export interface DumpedBatch {
  bytePosition: number;
  header: BatchHeader;
  lastOffset: number;
  verdict: BatchVerdict;
}

/** Where the valid batches of a segment end, and why the walk stopped there. */
export interface SegmentEnd {
  /** The first offset after the last valid batch (the segment's base offset when empty). */
  nextOffset: number;
  /** The byte position after the last valid batch. */
  endBytePosition: number;
  validBatchCount: number;
  /** `zero` at a clean end (or `truncated` at the very end of the file); else the damage. */
  stopVerdict: BatchVerdict | 'end-of-file';
  stopBytePosition: number;
}

/**
 * Walks the valid batches of `bytes` (a segment whose first offset is `baseOffset`), calling
 * `onBatch` for each, and returns where they end. Checks CRCs. Allocates nothing per batch
 * unless `onBatch` does.
 */
export function walkSegment(
  bytes: Uint8Array, baseOffset: number,
  onBatch?: (bytePosition: number, lastOffset: number) => void,
): SegmentEnd {
  const view = dataViewOf(bytes);
  let position = 0;
  let nextOffset = baseOffset;
  let count = 0;
  while (position < bytes.length) {
    const verdict = checkBatch(bytes, view, position, bytes.length, nextOffset, STORED_BATCH);
    if (verdict !== 'valid') {
      return {
        nextOffset, endBytePosition: position, validBatchCount: count, stopVerdict: verdict,
        stopBytePosition: position,
      };
    }
    const lastOffset = batchLastOffset(view, position);
    onBatch?.(position, lastOffset);
    position += batchSizeBytesAt(view, position);
    nextOffset = lastOffset + 1;
    count += 1;
  }
  return {
    nextOffset, endBytePosition: position, validBatchCount: count, stopVerdict: 'end-of-file',
    stopBytePosition: position,
  };
}

/**
 * Every batch of a segment, with its verdict; after the first invalid batch the walk goes on
 * only if that batch's length still lands inside the file (so that one bad CRC does not hide
 * the batches after it, as DumpLogSegments shows them), and stops at a zero header.
 */
export function dumpBatches(bytes: Uint8Array, baseOffset: number, batchCountMax: number):
  DumpedBatch[] {
  const view = dataViewOf(bytes);
  const batches: DumpedBatch[] = [];
  let position = 0;
  let expected = baseOffset;
  while (position + BATCH_HEADER_SIZE_BYTES <= bytes.length && batches.length < batchCountMax) {
    const verdict = checkBatch(bytes, view, position, bytes.length, expected, STORED_BATCH);
    if (verdict === 'zero') break;
    const header = readBatchHeader(bytes, position);
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    batches.push({ bytePosition: position, header, lastOffset, verdict });
    const lands = header.sizeBytes >= BATCH_HEADER_SIZE_BYTES &&
      position + header.sizeBytes <= bytes.length;
    if (!lands) break;
    position += header.sizeBytes;
    expected = verdict === 'valid' ? lastOffset + 1 : -1;
  }
  return batches;
}

/** A record of a dumped batch, its key and value shown as text up to `previewChars`. */
export interface DumpedRecord {
  offset: number;
  timestamp: number;
  keyPreview: string | null;
  valuePreview: string | null;
  valueSizeBytes: number;
  headerCount: number;
}

/** The records of a valid batch (compressed ones inflated). */
export function dumpRecords(bytes: Uint8Array, batch: DumpedBatch, previewChars: number):
  DumpedRecord[] {
  return decodeBatch(bytes, batch.bytePosition).map((record) => ({
    offset: record.offset,
    timestamp: record.timestamp,
    keyPreview: preview(record.key, previewChars),
    valuePreview: preview(record.value, previewChars),
    valueSizeBytes: record.value?.length ?? 0,
    headerCount: record.headers.length,
  }));
}

/** What a transaction marker (a valid control batch) says, as Kafka's dump shows it. */
export interface DumpedMarker {
  /** `COMMIT`, `ABORT`, or `UNKNOWN(<type>)` for another control type. */
  type: string;
  coordinatorEpoch: number;
}

/** The marker of a valid control batch; undefined for any other batch. */
export function dumpMarker(bytes: Uint8Array, batch: DumpedBatch): DumpedMarker | undefined {
  if (!batch.header.control || batch.verdict !== 'valid') return undefined;
  const type = controlTypeAt(bytes, batch.bytePosition);
  const name = type === CONTROL_TYPE_COMMIT ? 'COMMIT'
    : type === CONTROL_TYPE_ABORT ? 'ABORT' : `UNKNOWN(${type})`;
  return { type: name, coordinatorEpoch: controlCoordinatorEpochAt(bytes, batch.bytePosition) };
}

export function compressionName(codec: number): string {
  return COMPRESSION_NAMES[codec] ?? `unknown(${codec})`;
}

export function verdictText(verdict: BatchVerdict): string {
  return verdict === 'valid' ? 'valid' : `INVALID: ${BATCH_VERDICT_REASONS[verdict]}`;
}

function preview(bytes: Uint8Array | null, chars: number): string | null {
  if (bytes === null) return null;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f\ufffd]/g, '.');
  return printable.length > chars ? `${printable.slice(0, chars)}…` : printable;
}

/** The bytes of a file, or a typed error naming it. */
export function readWholeFile(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw fromIoError(error, `reading ${file}`);
  }
}
