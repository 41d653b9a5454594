/**
 * Reading, checking and stamping the header of a RecordBatch v2 (offsets in batch-layout.ts).
 *
 * `validateBatch` is what the partition actor runs on every batch a producer hands it and what
 * recovery runs in a loop over a segment, so it returns a tagged result instead of throwing.
 * Its checks, in order, and what each failure means:
 *
 * | result        | condition                                               | recovery reads it |
 * | ------------- | ------------------------------------------------------- | ----------------- |
 * | `zero-header` | every header byte that is there is 0                    | the end of log    |
 * | `short`       | the header, or the batch it claims, ends past the limit | a torn tail       |
 * | `bad-magic`   | magic is not 2                                          | garbage           |
 * | `bad-length`  | batchLength below a header or over `batchSizeBytesMax`  | garbage           |
 * | `bad-crc`     | CRC32C over attributes..end differs from the stored one | torn/rotted batch |
 * | `bad-count`   | record count < 1, over `batchRecordCountMax`, not       | malformed batch   |
 * |               | lastOffsetDelta + 1, or more than the bytes can hold    |                   |
 *
 * For `bad-crc` and `bad-count` the length was plausible, so the result carries the claimed
 * `sizeBytes`: recovery can look past the batch for valid ones (bit rot) instead of treating
 * everything after it as a torn tail.
 */
import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE_BYTES, BATCH_LENGTH_EXCLUDED_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET,
  CRC_SPAN_START, LAST_OFFSET_DELTA_OFFSET, MAGIC, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET,
} from './batch-layout.js';
import {
  readInt16, readInt32, readInt64BigInt, readInt64Number, readUint32, writeInt64Number,
} from './big-endian.js';
import { crc32c } from './crc32c.js';
import { RECORD_SIZE_BYTES_MIN } from './record-batch.js';
import { assert } from '../assert.js';
import { batchRecordCountMax, batchSizeBytesMax } from '../constants.js';
import { MambaError } from '../errors.js';

/** Every field of a batch header, plus the batch's total size. */
export interface BatchHeader {
  /** Offsets stay below 2^53, so a number holds them exactly. */
  baseOffset: number;
  batchLength: number;
  /** `batchLength` + 12: the whole batch in bytes. */
  sizeBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** Unsigned. */
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export type BatchCheckFailure =
  'zero-header' | 'short' | 'bad-length' | 'bad-magic' | 'bad-crc' | 'bad-count';

export type BatchCheck =
  | { readonly ok: true; readonly sizeBytes: number }
  | {
    readonly ok: false;
    readonly reason: BatchCheckFailure;
    /** The size the header claims when its length was plausible (bad-crc, bad-count), else 0. */
    readonly sizeBytes: number;
  };

/**
 * Reads the header at `position`; the fields are as stored, unchecked (see `validateBatch`).
 * Throws `CORRUPT_BATCH` if the header runs past the end of the bytes.
 */
export function readBatchHeader(view: DataView | Uint8Array, position: number): BatchHeader {
  const bytes = view instanceof Uint8Array
    ? view
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (!Number.isInteger(position) || position < 0
    || position + BATCH_HEADER_SIZE_BYTES > bytes.length) {
    throw new MambaError('CORRUPT_BATCH',
      `batch header at byte ${position} runs past the end (${bytes.length} bytes)`,
      { corruption: { path: '', bytePosition: position, reason: 'short header' } });
  }
  const batchLength = readInt32(bytes, position + BATCH_LENGTH_OFFSET);
  return {
    baseOffset: readInt64Number(bytes, position + BASE_OFFSET_OFFSET),
    batchLength,
    sizeBytes: batchLength + BATCH_LENGTH_EXCLUDED_BYTES,
    partitionLeaderEpoch: readInt32(bytes, position + PARTITION_LEADER_EPOCH_OFFSET),
    magic: bytes[position + MAGIC_OFFSET] << 24 >> 24,
    crc: readUint32(bytes, position + CRC_OFFSET),
    attributes: readInt16(bytes, position + ATTRIBUTES_OFFSET),
    lastOffsetDelta: readInt32(bytes, position + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64Number(bytes, position + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64Number(bytes, position + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64BigInt(bytes, position + PRODUCER_ID_OFFSET),
    producerEpoch: readInt16(bytes, position + PRODUCER_EPOCH_OFFSET),
    baseSequence: readInt32(bytes, position + BASE_SEQUENCE_OFFSET),
    recordCount: readInt32(bytes, position + RECORD_COUNT_OFFSET),
  };
}

// Failures without a size are shared constants: a recovery scan allocates nothing for them.
const ZERO_HEADER: BatchCheck = Object.freeze({ ok: false, reason: 'zero-header', sizeBytes: 0 });
const SHORT: BatchCheck = Object.freeze({ ok: false, reason: 'short', sizeBytes: 0 });
const BAD_MAGIC: BatchCheck = Object.freeze({ ok: false, reason: 'bad-magic', sizeBytes: 0 });
const BAD_LENGTH: BatchCheck = Object.freeze({ ok: false, reason: 'bad-length', sizeBytes: 0 });

/**
 * Checks the batch at `position` of `bytes`, which may use at most `limitBytes` bytes from
 * there (the written end of a segment or ring minus `position`; clipped to the array's end).
 * Never throws for any bytes; see the table at the top of this file.
 */
export function validateBatch(bytes: Uint8Array, position: number, limitBytes: number): BatchCheck {
  assert(Number.isInteger(position) && position >= 0, 'validateBatch position is a byte position');
  const available = Math.max(0, Math.min(limitBytes, bytes.length - position));
  if (available < BATCH_HEADER_SIZE_BYTES) {
    return isZero(bytes, position, position + available) ? ZERO_HEADER : SHORT;
  }
  const batchLength = readInt32(bytes, position + BATCH_LENGTH_OFFSET);
  if (batchLength === 0 && isZero(bytes, position, position + BATCH_HEADER_SIZE_BYTES)) {
    return ZERO_HEADER;
  }
  if (bytes[position + MAGIC_OFFSET] !== MAGIC) return BAD_MAGIC;
  const sizeBytes = batchLength + BATCH_LENGTH_EXCLUDED_BYTES;
  if (batchLength < BATCH_HEADER_SIZE_BYTES - BATCH_LENGTH_EXCLUDED_BYTES
    || sizeBytes > batchSizeBytesMax) {
    return BAD_LENGTH;
  }
  if (sizeBytes > available) return SHORT;
  const end = position + sizeBytes;
  const crc = crc32c(bytes.subarray(position + CRC_SPAN_START, end));
  if (crc !== readUint32(bytes, position + CRC_OFFSET)) {
    return { ok: false, reason: 'bad-crc', sizeBytes };
  }
  const count = readInt32(bytes, position + RECORD_COUNT_OFFSET);
  if (count < 1 || count > batchRecordCountMax
    || readInt32(bytes, position + LAST_OFFSET_DELTA_OFFSET) !== count - 1
    || count * RECORD_SIZE_BYTES_MIN > sizeBytes - BATCH_HEADER_SIZE_BYTES) {
    return { ok: false, reason: 'bad-count', sizeBytes };
  }
  return { ok: true, sizeBytes };
}

function isZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    if (bytes[index] !== 0) return false;
  }
  return true;
}

/**
 * Stamps the offset the partition actor assigned to the batch's first record. The CRC does not
 * cover `baseOffset`, so the batch stays valid.
 */
export function setBaseOffset(bytes: Uint8Array, position: number, baseOffset: number): void {
  assert(Number.isSafeInteger(baseOffset), 'baseOffset is a safe integer');
  assert(baseOffset >= 0, 'baseOffset is not negative');
  assert(position + BATCH_HEADER_SIZE_BYTES <= bytes.length, 'the header lies within the bytes');
  writeInt64Number(bytes, position + BASE_OFFSET_OFFSET, baseOffset);
}
