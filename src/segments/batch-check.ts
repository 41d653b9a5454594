/**
 * What the segment log reads and writes in a stored batch's header, and how it decides that a
 * batch is valid. Field positions come from the RecordBatch v2 descriptor
 * (src/records/batch-layout.ts); this file adds the rules for batches at rest:
 *
 * - the log stamps `baseOffset` (the offset it assigns) and `partitionLeaderEpoch` (always
 *   `STORED_LEADER_EPOCH` on this single-host broker) into every batch it stores. Neither is
 *   covered by the CRC, so both are checked here by value: the base offset must continue the
 *   offsets before it, the leader epoch must be the constant. Together with the CRC over
 *   attributes..end, every byte of a stored batch is checked.
 * - a batch with zero records and `ATTRIBUTE_CONTROL` set is a gap marker written by
 *   `repairLog`; it takes the offsets of data lost to corruption so that offsets stay dense.
 *
 * Offsets are handled as JavaScript numbers (exact below 2^53: 28 years at 10 M records/s);
 * 64-bit fields are read and written as two 32-bit halves, which allocates nothing.
 */
import {
  ATTRIBUTES_OFFSET, ATTRIBUTE_COMPRESSION_MASK, ATTRIBUTE_CONTROL,
  BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE_BYTES, BATCH_LENGTH_EXCLUDED_BYTES,
  BATCH_LENGTH_OFFSET, CRC_OFFSET, CRC_SPAN_START, LAST_OFFSET_DELTA_OFFSET, MAGIC, MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET, NO_PRODUCER_EPOCH, NO_SEQUENCE, PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET, batchSizeBytesAt,
} from '../records/batch-layout.js';
import { crc32c } from '../records/crc32c.js';
import { batchRecordCountMax, batchSizeBytesMax } from '../constants.js';
import { MambaError } from '../errors.js';
import { assert } from '../assert.js';

/** The partition leader epoch stamped into every stored batch (one host, one leader). */
export const STORED_LEADER_EPOCH = 0;

/**
 * The smallest encoded record: seven one-byte fields (length, attributes, timestampDelta,
 * offsetDelta, keyLength, valueLength, headerCount). A batch of n records is at least
 * `BATCH_HEADER_SIZE_BYTES + n * RECORD_SIZE_BYTES_MIN` bytes, which bounds how many offsets a
 * run of bytes can hold; recovery uses that bound to reject implausible resume points.
 */
export const RECORD_SIZE_BYTES_MIN = 7;

const twoPow32 = 2 ** 32;

export function readInt64(view: DataView, position: number): number {
  return view.getInt32(position) * twoPow32 + view.getUint32(position + 4);
}

export function writeInt64(view: DataView, position: number, value: number): void {
  assert(Number.isSafeInteger(value), 'a 64-bit field holds a safe integer');
  view.setInt32(position, Math.floor(value / twoPow32));
  view.setUint32(position + 4, value >>> 0);
}

export function batchBaseOffset(view: DataView, position: number): number {
  return readInt64(view, position + BASE_OFFSET_OFFSET);
}

/** The last offset the batch at `position` takes. */
export function batchLastOffset(view: DataView, position: number): number {
  return batchBaseOffset(view, position) + view.getInt32(position + LAST_OFFSET_DELTA_OFFSET);
}

export function batchLastOffsetDelta(view: DataView, position: number): number {
  return view.getInt32(position + LAST_OFFSET_DELTA_OFFSET);
}

export function batchRecordCount(view: DataView, position: number): number {
  return view.getInt32(position + RECORD_COUNT_OFFSET);
}

export function batchMaxTimestamp(view: DataView, position: number): number {
  return readInt64(view, position + MAX_TIMESTAMP_OFFSET);
}

export function batchProducerId(view: DataView, position: number): number {
  return readInt64(view, position + PRODUCER_ID_OFFSET);
}

export function batchProducerEpoch(view: DataView, position: number): number {
  return view.getInt16(position + PRODUCER_EPOCH_OFFSET);
}

export function batchBaseSequence(view: DataView, position: number): number {
  return view.getInt32(position + BASE_SEQUENCE_OFFSET);
}

/** Writes the fields the log owns; the CRC does not cover them, so it stays valid. */
export function stampBatch(view: DataView, position: number, baseOffset: number): void {
  writeInt64(view, position + BASE_OFFSET_OFFSET, baseOffset);
  view.setInt32(position + PARTITION_LEADER_EPOCH_OFFSET, STORED_LEADER_EPOCH);
}

/** Why a stored batch is not valid, or `'valid'`. */
export type BatchVerdict =
  | 'valid' | 'zero' | 'truncated' | 'length' | 'magic' | 'leader-epoch' | 'count' | 'crc'
  | 'offset';

/**
 * Checks the stored batch at `position`, which must end at or before `limit`. `'zero'` means an
 * all-zero header (or all-zero bytes to `limit` when fewer than a header remain): the end of the
 * data. `expectedBaseOffset` is the offset that must come next, or -1 to accept any.
 */
export function checkStoredBatch(
  bytes: Uint8Array, view: DataView, position: number, limit: number, expectedBaseOffset: number,
): BatchVerdict {
  const headerEnd = Math.min(position + BATCH_HEADER_SIZE_BYTES, limit);
  if (isZero(bytes, position, headerEnd)) return 'zero';
  if (position + BATCH_HEADER_SIZE_BYTES > limit) return 'truncated';
  const sizeBytes = batchSizeBytesAt(view, position);
  if (sizeBytes < BATCH_HEADER_SIZE_BYTES || sizeBytes > limit - position) return 'length';
  if (bytes[position + MAGIC_OFFSET] !== MAGIC) return 'magic';
  if (view.getInt32(position + PARTITION_LEADER_EPOCH_OFFSET) !== STORED_LEADER_EPOCH) {
    return 'leader-epoch';
  }
  const recordCount = batchRecordCount(view, position);
  const lastOffsetDelta = batchLastOffsetDelta(view, position);
  if (recordCount < 0 || recordCount > batchRecordCountMax) return 'count';
  if (lastOffsetDelta < 0 || recordCount > lastOffsetDelta + 1) return 'count';
  if (recordCount > 0 && sizeBytes > batchSizeBytesMax) return 'length';
  if (!isCompressed(view, position) &&
    sizeBytes < BATCH_HEADER_SIZE_BYTES + recordCount * RECORD_SIZE_BYTES_MIN) return 'count';
  if (!crcMatches(bytes, view, position, sizeBytes)) return 'crc';
  if (expectedBaseOffset >= 0 && batchBaseOffset(view, position) !== expectedBaseOffset) {
    return 'offset';
  }
  return 'valid';
}

function crcMatches(bytes: Uint8Array, view: DataView, position: number, size: number): boolean {
  const span = bytes.subarray(position + CRC_SPAN_START, position + size);
  return crc32c(span) === view.getUint32(position + CRC_OFFSET);
}

/** The size of an incoming batch, from its own `batchLength`, checked against its byte count. */
export function incomingBatchSizeBytes(batch: Uint8Array): number {
  if (batch.length < BATCH_HEADER_SIZE_BYTES) {
    throw corruptBatch(`a batch is at least ${BATCH_HEADER_SIZE_BYTES} bytes`, batch.length);
  }
  if (batch.length > batchSizeBytesMax) {
    throw new MambaError('RECORD_TOO_LARGE',
      `a batch is at most ${batchSizeBytesMax} bytes (got ${batch.length})`,
      { detail: { sizeBytes: batch.length } });
  }
  const at = BATCH_LENGTH_OFFSET;
  const batchLength =
    ((batch[at] << 24) | (batch[at + 1] << 16) | (batch[at + 2] << 8) | batch[at + 3]) >>> 0;
  if (batchLength + BATCH_LENGTH_EXCLUDED_BYTES !== batch.length) {
    throw corruptBatch('batchLength + 12 must equal the bytes given', batch.length);
  }
  return batch.length;
}

/**
 * Checks an incoming batch after it was copied to `position` (so the check also covers the
 * copy): magic, one offset per record, record count bounds, CRC. Returns a reason, or undefined.
 */
export function incomingBatchProblem(
  bytes: Uint8Array, view: DataView, position: number, sizeBytes: number,
): string | undefined {
  if (bytes[position + MAGIC_OFFSET] !== MAGIC) return `magic must be ${MAGIC}`;
  const recordCount = batchRecordCount(view, position);
  if (recordCount < 1 || recordCount > batchRecordCountMax) {
    return `record count must be 1..${batchRecordCountMax} (got ${recordCount})`;
  }
  if (!isCompressed(view, position) &&
    sizeBytes < BATCH_HEADER_SIZE_BYTES + recordCount * RECORD_SIZE_BYTES_MIN) {
    return `${recordCount} records cannot fit in ${sizeBytes} bytes`;
  }
  if (batchLastOffsetDelta(view, position) !== recordCount - 1) {
    return 'lastOffsetDelta must be record count - 1';
  }
  if (!crcMatches(bytes, view, position, sizeBytes)) return 'CRC32C mismatch';
  return undefined;
}

export function corruptBatch(reason: string, sizeBytes: number): MambaError {
  return new MambaError('CORRUPT_BATCH', `rejected batch of ${sizeBytes} bytes: ${reason}`, {
    detail: { sizeBytes, reason },
  });
}

/**
 * Writes a gap marker over `[position, position + sizeBytes)`: a valid control batch with no
 * records that takes `offsetCount` offsets starting at `baseOffset`.
 */
export function writeGapBatch(
  bytes: Uint8Array, view: DataView, position: number, sizeBytes: number,
  baseOffset: number, offsetCount: number,
): void {
  assert(sizeBytes >= BATCH_HEADER_SIZE_BYTES, 'a gap batch holds a header');
  assert(offsetCount >= 1, 'a gap batch takes at least one offset');
  bytes.fill(0, position, position + sizeBytes);
  stampBatch(view, position, baseOffset);
  view.setInt32(position + BATCH_LENGTH_OFFSET, sizeBytes - BATCH_LENGTH_EXCLUDED_BYTES);
  bytes[position + MAGIC_OFFSET] = MAGIC;
  view.setInt16(position + ATTRIBUTES_OFFSET, ATTRIBUTE_CONTROL);
  view.setInt32(position + LAST_OFFSET_DELTA_OFFSET, offsetCount - 1);
  writeInt64(view, position + BASE_TIMESTAMP_OFFSET, -1);
  writeInt64(view, position + MAX_TIMESTAMP_OFFSET, -1);
  writeInt64(view, position + PRODUCER_ID_OFFSET, -1);
  view.setInt16(position + PRODUCER_EPOCH_OFFSET, NO_PRODUCER_EPOCH);
  view.setInt32(position + BASE_SEQUENCE_OFFSET, NO_SEQUENCE);
  view.setInt32(position + RECORD_COUNT_OFFSET, 0);
  const span = bytes.subarray(position + CRC_SPAN_START, position + sizeBytes);
  view.setUint32(position + CRC_OFFSET, crc32c(span));
}

/**
 * Whether the batch at `position` is compressed (attribute bits 0-2): its records are one
 * compressed blob, which may be far smaller than the minimum size of its records, so the
 * records-fit-the-bytes bound applies to uncompressed batches only.
 */
function isCompressed(view: DataView, position: number): boolean {
  return (view.getInt16(position + ATTRIBUTES_OFFSET) & ATTRIBUTE_COMPRESSION_MASK) !== 0;
}

/** Whether the batch at `position` is a gap marker left by a repair. */
export function isGapBatch(view: DataView, position: number): boolean {
  return batchRecordCount(view, position) === 0 &&
    (view.getInt16(position + ATTRIBUTES_OFFSET) & ATTRIBUTE_CONTROL) !== 0;
}

export function isZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) if (bytes[i] !== 0) return false;
  return true;
}
