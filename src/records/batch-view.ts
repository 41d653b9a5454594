/**
 * The batch view: header accessors over the bytes of a RecordBatch v2, wherever they are (a
 * segment mapping, a ring, a network buffer). Functions of `(view, position)` rather than an
 * object, so that a scan over a segment (recovery, the consumer's reader) allocates nothing per
 * batch. Field offsets come from batch-layout.ts; nothing here copies or checks: see
 * batch-check.ts for whether the bytes are a valid batch.
 *
 * Offsets and timestamps are read as JavaScript numbers: 64-bit fields are read as two 32-bit
 * halves (exact below 2^53, 28 years at 10 M records/s), which allocates nothing.
 *
 * The attribute bits (Kafka's, all read here, acted on as noted):
 *
 * | bits | meaning                              | Mamba                                     |
 * | ---- | ------------------------------------ | ----------------------------------------- |
 * | 0-2  | compression: 0 none, 1 gzip, 2       | decoded by consumers (compression/), kept |
 * |      | snappy, 3 lz4, 4 zstd; 5-7 invalid   | as sent by the log; 5-7 fail batch-check  |
 * | 3    | timestamp type: 1 = log-append time  | records take the batch's maxTimestamp     |
 * | 4    | transactional                        | read, not yet acted on                    |
 * | 5    | control batch                        | read; a control batch with no records is  |
 * |      |                                      | a gap marker left by a repair             |
 */
import {
  ATTRIBUTE_COMPRESSION_MASK, ATTRIBUTE_CONTROL, ATTRIBUTE_TIMESTAMP_LOG_APPEND,
  ATTRIBUTE_TRANSACTIONAL, ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE_BYTES, BATCH_LENGTH_EXCLUDED_BYTES,
  BATCH_LENGTH_OFFSET, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET,
} from './batch-layout.js';
import { assert } from '../assert.js';
import { MambaError } from '../errors.js';

const twoPow32 = 2 ** 32;

/** Kafka's compression codec ids (attribute bits 0-2). */
export const CODEC_ID = {
  NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4,
} as const;
export type CompressionCodecId = (typeof CODEC_ID)[keyof typeof CODEC_ID];
/** The highest codec id Kafka defines; 5-7 are invalid. */
export const COMPRESSION_CODEC_MAX = CODEC_ID.ZSTD;

export function readInt64(view: DataView, position: number): number {
  return view.getInt32(position) * twoPow32 + view.getUint32(position + 4);
}

export function writeInt64(view: DataView, position: number, value: number): void {
  assert(Number.isSafeInteger(value), 'a 64-bit field holds a safe integer');
  view.setInt32(position, Math.floor(value / twoPow32));
  view.setUint32(position + 4, value >>> 0);
}

/** A DataView over exactly the bytes of `bytes`. */
export function dataViewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Total size in bytes of the batch at `position` (`batchLength` + 12), unchecked. */
export function batchSizeBytesAt(view: DataView, position: number): number {
  return view.getInt32(position + BATCH_LENGTH_OFFSET) + BATCH_LENGTH_EXCLUDED_BYTES;
}

export function batchBaseOffset(view: DataView, position: number): number {
  return readInt64(view, position + BASE_OFFSET_OFFSET);
}

export function batchLastOffsetDelta(view: DataView, position: number): number {
  return view.getInt32(position + LAST_OFFSET_DELTA_OFFSET);
}

/** The last offset the batch at `position` takes. */
export function batchLastOffset(view: DataView, position: number): number {
  return batchBaseOffset(view, position) + batchLastOffsetDelta(view, position);
}

export function batchLeaderEpoch(view: DataView, position: number): number {
  return view.getInt32(position + PARTITION_LEADER_EPOCH_OFFSET);
}

/** The stored CRC32C, unsigned. */
export function batchCrc(view: DataView, position: number): number {
  return view.getUint32(position + CRC_OFFSET);
}

export function batchRecordCount(view: DataView, position: number): number {
  return view.getInt32(position + RECORD_COUNT_OFFSET);
}

export function batchBaseTimestamp(view: DataView, position: number): number {
  return readInt64(view, position + BASE_TIMESTAMP_OFFSET);
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

export function batchAttributes(view: DataView, position: number): number {
  return view.getInt16(position + ATTRIBUTES_OFFSET);
}

/** The compression codec id (bits 0-2); 5-7 are not valid codecs (batch-check rejects them). */
export function batchCompression(view: DataView, position: number): number {
  return batchAttributes(view, position) & ATTRIBUTE_COMPRESSION_MASK;
}

/** Whether record timestamps are the log-append time (the batch's maxTimestamp). */
export function batchIsLogAppendTime(view: DataView, position: number): boolean {
  return (batchAttributes(view, position) & ATTRIBUTE_TIMESTAMP_LOG_APPEND) !== 0;
}

export function batchIsTransactional(view: DataView, position: number): boolean {
  return (batchAttributes(view, position) & ATTRIBUTE_TRANSACTIONAL) !== 0;
}

export function batchIsControl(view: DataView, position: number): boolean {
  return (batchAttributes(view, position) & ATTRIBUTE_CONTROL) !== 0;
}

/** Every field of a batch header, plus what the attribute bits say. */
export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  /** `batchLength` + 12: the whole batch in bytes. */
  sizeBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** Unsigned. */
  crc: number;
  attributes: number;
  compression: number;
  logAppendTime: boolean;
  transactional: boolean;
  control: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Reads the header at `position` into one object (for tools and the actor's producer check,
 * not for scans); the fields are as stored, unchecked. Throws `CORRUPT_BATCH` if the header
 * runs past the end of the bytes.
 */
export function readBatchHeader(bytes: Uint8Array, position: number): BatchHeader {
  if (!Number.isInteger(position) || position < 0
    || position + BATCH_HEADER_SIZE_BYTES > bytes.length) {
    throw new MambaError('CORRUPT_BATCH',
      `batch header at byte ${position} runs past the end (${bytes.length} bytes)`,
      { corruption: { path: '', bytePosition: position, reason: 'short header' } });
  }
  const view = dataViewOf(bytes);
  const attributes = batchAttributes(view, position);
  return {
    baseOffset: batchBaseOffset(view, position),
    batchLength: view.getInt32(position + BATCH_LENGTH_OFFSET),
    sizeBytes: batchSizeBytesAt(view, position),
    partitionLeaderEpoch: batchLeaderEpoch(view, position),
    magic: view.getInt8(position + MAGIC_OFFSET),
    crc: batchCrc(view, position),
    attributes,
    compression: attributes & ATTRIBUTE_COMPRESSION_MASK,
    logAppendTime: (attributes & ATTRIBUTE_TIMESTAMP_LOG_APPEND) !== 0,
    transactional: (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0,
    control: (attributes & ATTRIBUTE_CONTROL) !== 0,
    lastOffsetDelta: batchLastOffsetDelta(view, position),
    baseTimestamp: batchBaseTimestamp(view, position),
    maxTimestamp: batchMaxTimestamp(view, position),
    producerId: view.getBigInt64(position + PRODUCER_ID_OFFSET),
    producerEpoch: batchProducerEpoch(view, position),
    baseSequence: batchBaseSequence(view, position),
    recordCount: batchRecordCount(view, position),
  };
}
