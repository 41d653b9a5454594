/**
 * The one validator of RecordBatch v2 bytes. Every reader uses it: the partition actor on each
 * batch a producer hands it (`INCOMING_BATCH`), recovery on each stored batch it scans, and
 * consumers on each batch they read (`STORED_BATCH`, or `STORED_BATCH_NO_CRC` with
 * `checkCrcs: false`). It never throws for any bytes; it returns a verdict, and each reader
 * decides what the verdict means for it:
 *
 * | verdict        | condition (checked in this order)                                       |
 * | -------------- | ----------------------------------------------------------------------- |
 * | `zero`         | every header byte before `limit` is 0                                   |
 * | `truncated`    | the header runs past `limit`                                            |
 * | `length`       | batchLength below a header's, past `limit`, or (a batch holding records)|
 * |                | over `batchSizeBytesMax`                                                |
 * | `magic`        | magic is not 2                                                          |
 * | `leader-epoch` | stored only: partitionLeaderEpoch is not `STORED_LEADER_EPOCH`          |
 * | `compression`  | attribute bits 0-2 name no codec (5, 6 or 7)                            |
 * | `count`        | record count out of 0..`batchRecordCountMax`; not lastOffsetDelta + 1  |
 * |                | (incoming: count >= 1 and equal; stored: at most, for gap markers); or, |
 * |                | uncompressed, more records than the bytes can hold                      |
 * | `crc`          | CRC32C over attributes..end differs from the stored one (if checked)    |
 * | `offset`       | baseOffset is not `expectedBaseOffset` (when that is >= 0)              |
 * | `valid`        | none of the above                                                       |
 *
 * What each reader does with a verdict:
 *
 * | reader               | `valid`  | `zero`            | `offset`              | any other     |
 * | -------------------- | -------- | ----------------- | --------------------- | ------------- |
 * | actor append         | append   | CORRUPT_BATCH     | (not checked)         | CORRUPT_BATCH |
 * | recovery             | take     | end of the data   | restamp if it chains  | torn tail, or |
 * |                      |          |                   |                       | corruption    |
 * | consumer (LogReader, | hand out | end of a segment  | CORRUPT_LOG           | CORRUPT_LOG   |
 * | consumer-message.ts) |          |                   |                       |               |
 *
 * A producer's bad batch leaves the log as it was; stored corruption carries path and byte
 * position. Recovery's own decision table (segments/recovery.ts) says when a bad batch is a
 * torn tail (above the recovery point) and when it is corruption (below it).
 *
 * The CRC does not cover baseOffset, batchLength or partitionLeaderEpoch: the log stamps the
 * first and third (segments/stored-batch.ts), so they are checked by value (`offset`,
 * `leader-epoch`), the second by the lengths around it. A compressed batch is checked exactly
 * like any other: the CRC covers the compressed bytes, the record count is the header's, and
 * nothing here decompresses (that is the consumer's decode, compression/).
 */
import {
  ATTRIBUTE_COMPRESSION_MASK, BATCH_HEADER_SIZE_BYTES, BATCH_LENGTH_EXCLUDED_BYTES,
  BATCH_LENGTH_OFFSET, CRC_SPAN_START, MAGIC, MAGIC_OFFSET,
} from './batch-layout.js';
import {
  COMPRESSION_CODEC_MAX, batchAttributes, batchBaseOffset, batchCrc, batchLastOffsetDelta,
  batchLeaderEpoch, batchRecordCount, batchSizeBytesAt,
} from './batch-view.js';
import { crc32c } from './crc32c.js';
import { batchRecordCountMax, batchSizeBytesMax } from '../constants.js';
import { MambaError } from '../errors.js';

/** Why bytes are not a valid batch, or `'valid'` (see the table above). */
export type BatchVerdict =
  | 'valid' | 'zero' | 'truncated' | 'length' | 'magic' | 'leader-epoch' | 'compression'
  | 'count' | 'crc' | 'offset';

/** The partition leader epoch stamped into every stored batch (one host, one leader). */
export const STORED_LEADER_EPOCH = 0;

/**
 * The smallest encoded record: seven one-byte fields (length, attributes, timestampDelta,
 * offsetDelta, keyLength, valueLength, headerCount). An uncompressed batch of n records is at
 * least `BATCH_HEADER_SIZE_BYTES + n * RECORD_SIZE_BYTES_MIN` bytes.
 */
export const RECORD_SIZE_BYTES_MIN = 7;

/** Which rules apply: a batch as a producer sends it, or as the log stores it. */
export interface BatchRules {
  readonly stored: boolean;
  readonly checkCrc: boolean;
}

export const INCOMING_BATCH: BatchRules = Object.freeze({ stored: false, checkCrc: true });
export const STORED_BATCH: BatchRules = Object.freeze({ stored: true, checkCrc: true });
/** A consumer with `checkCrcs: false`: the structure is still checked, the CRC not. */
export const STORED_BATCH_NO_CRC: BatchRules = Object.freeze({ stored: true, checkCrc: false });

/** What each verdict says, for error messages. */
export const BATCH_VERDICT_REASONS: Readonly<Record<BatchVerdict, string>> = Object.freeze({
  'valid': 'valid batch',
  'zero': 'an all-zero header where a batch should be',
  'truncated': 'the batch header runs past the end of the data',
  'length': 'batchLength does not fit the data',
  'magic': `magic is not ${MAGIC}`,
  'leader-epoch': 'partitionLeaderEpoch is not the stored one',
  'compression': 'attributes name no compression codec',
  'count': 'record count does not match the batch',
  'crc': 'CRC32C mismatch',
  'offset': 'baseOffset does not continue the offsets before it',
});

/**
 * Checks the batch at `position` of `bytes` (with `view` over the same bytes), which must end
 * at or before `limit`. `expectedBaseOffset` is the offset that must come next, or -1 to
 * accept any. Allocates nothing.
 */
export function checkBatch(
  bytes: Uint8Array, view: DataView, position: number, limit: number,
  expectedBaseOffset: number, rules: BatchRules,
): BatchVerdict {
  const headerEnd = Math.min(position + BATCH_HEADER_SIZE_BYTES, limit);
  if (isZero(bytes, position, headerEnd)) return 'zero';
  if (position + BATCH_HEADER_SIZE_BYTES > limit) return 'truncated';
  const sizeBytes = batchSizeBytesAt(view, position);
  if (sizeBytes < BATCH_HEADER_SIZE_BYTES || sizeBytes > limit - position) return 'length';
  if (bytes[position + MAGIC_OFFSET] !== MAGIC) return 'magic';
  if (rules.stored && batchLeaderEpoch(view, position) !== STORED_LEADER_EPOCH) {
    return 'leader-epoch';
  }
  const compression = batchAttributes(view, position) & ATTRIBUTE_COMPRESSION_MASK;
  if (compression > COMPRESSION_CODEC_MAX) return 'compression';
  const recordCount = batchRecordCount(view, position);
  if (!countFits(view, position, recordCount, rules)) return 'count';
  if (recordCount > 0 && sizeBytes > batchSizeBytesMax) return 'length';
  if (compression === 0 &&
    sizeBytes < BATCH_HEADER_SIZE_BYTES + recordCount * RECORD_SIZE_BYTES_MIN) {
    return 'count';
  }
  if (rules.checkCrc && !crcMatches(bytes, view, position, sizeBytes)) return 'crc';
  if (expectedBaseOffset >= 0 && batchBaseOffset(view, position) !== expectedBaseOffset) {
    return 'offset';
  }
  return 'valid';
}

function countFits(
  view: DataView, position: number, recordCount: number, rules: BatchRules,
): boolean {
  const lastOffsetDelta = batchLastOffsetDelta(view, position);
  if (recordCount > batchRecordCountMax) return false;
  if (!rules.stored) return recordCount >= 1 && lastOffsetDelta === recordCount - 1;
  return recordCount >= 0 && lastOffsetDelta >= 0 && recordCount <= lastOffsetDelta + 1;
}

function crcMatches(bytes: Uint8Array, view: DataView, position: number, size: number): boolean {
  const span = bytes.subarray(position + CRC_SPAN_START, position + size);
  return crc32c(span) === batchCrc(view, position);
}

/**
 * The size of a batch a producer hands over whole, from its own `batchLength`, checked
 * against its byte count and `batchSizeBytesMax`. Throws `CORRUPT_BATCH` or
 * `RECORD_TOO_LARGE`.
 */
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

/** The error for a producer's batch that fails `checkBatch` (or cannot be sized). */
export function corruptBatch(reason: string, sizeBytes: number): MambaError {
  return new MambaError('CORRUPT_BATCH', `rejected batch of ${sizeBytes} bytes: ${reason}`, {
    detail: { sizeBytes, reason },
  });
}

export function isZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) if (bytes[i] !== 0) return false;
  return true;
}
