/**
 * A test-only RecordBatch v2 builder: a valid header (magic 2, batchLength, lastOffsetDelta,
 * record count, producer fields, CRC32C) around arbitrary payload bytes standing in for the
 * records. The segment log never decodes records, so this is all its tests need.
 */
import {
  BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE_BYTES,
  BATCH_LENGTH_EXCLUDED_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET, CRC_SPAN_START,
  LAST_OFFSET_DELTA_OFFSET, MAGIC, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET,
} from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';

export interface BatchSpec {
  recordCount: number;
  payload: Uint8Array;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  maxTimestampMs?: number;
}

export function buildBatch(spec: BatchSpec): Uint8Array {
  const bytes = new Uint8Array(BATCH_HEADER_SIZE_BYTES + spec.payload.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(BATCH_LENGTH_OFFSET, bytes.length - BATCH_LENGTH_EXCLUDED_BYTES);
  view.setInt32(PARTITION_LEADER_EPOCH_OFFSET, -1);
  bytes[MAGIC_OFFSET] = MAGIC;
  view.setInt32(LAST_OFFSET_DELTA_OFFSET, spec.recordCount - 1);
  const timestamp = BigInt(spec.maxTimestampMs ?? 1_700_000_000_000);
  view.setBigInt64(BASE_TIMESTAMP_OFFSET, timestamp);
  view.setBigInt64(MAX_TIMESTAMP_OFFSET, timestamp);
  view.setBigInt64(PRODUCER_ID_OFFSET, BigInt(spec.producerId ?? -1));
  view.setInt16(PRODUCER_EPOCH_OFFSET, spec.producerEpoch ?? -1);
  view.setInt32(BASE_SEQUENCE_OFFSET, spec.baseSequence ?? -1);
  view.setInt32(RECORD_COUNT_OFFSET, spec.recordCount);
  bytes.set(spec.payload, BATCH_HEADER_SIZE_BYTES);
  view.setUint32(CRC_OFFSET, crc32c(bytes.subarray(CRC_SPAN_START)));
  return bytes;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same test case. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Payload bytes derived from a number, so that a reader can check what it got. */
export function payloadFor(tag: number, sizeBytes: number): Uint8Array {
  const random = seededRandom(tag + 1);
  const bytes = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i += 1) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Splits a view of whole stored batches into one view per batch. */
export function splitBatches(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const batches: Uint8Array[] = [];
  let position = 0;
  while (position < bytes.length) {
    const size = view.getInt32(position + BATCH_LENGTH_OFFSET) + BATCH_LENGTH_EXCLUDED_BYTES;
    batches.push(bytes.subarray(position, position + size));
    position += size;
  }
  return batches;
}

export interface BatchInfo {
  baseOffset: number;
  lastOffset: number;
  recordCount: number;
  payload: Uint8Array;
}

export function batchInfo(batch: Uint8Array): BatchInfo {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const baseOffset = Number(view.getBigInt64(0));
  return {
    baseOffset,
    lastOffset: baseOffset + view.getInt32(LAST_OFFSET_DELTA_OFFSET),
    recordCount: view.getInt32(RECORD_COUNT_OFFSET),
    payload: batch.subarray(BATCH_HEADER_SIZE_BYTES),
  };
}

/** Every batch of a log from `fromOffset`, read in chunks of `maxBytes`. */
export function readAll(
  read: (fromOffset: number, maxBytes: number) => Uint8Array, fromOffset: number,
  maxBytes = 64 * 1024,
): BatchInfo[] {
  const batches: BatchInfo[] = [];
  let next = fromOffset;
  for (;;) {
    const view = read(next, maxBytes);
    if (view.length === 0) return batches;
    for (const batch of splitBatches(view)) {
      const info = batchInfo(batch);
      batches.push(info);
      next = info.lastOffset + 1;
    }
  }
}
