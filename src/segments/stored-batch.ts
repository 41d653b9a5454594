/**
 * What the segment log writes into the batches it stores. Field positions come from the
 * RecordBatch v2 descriptor (src/records/batch-layout.ts), and whether stored bytes are a
 * valid batch is decided by the one validator, `checkBatch` in src/records/batch-check.ts;
 * this file adds the log's own writes:
 *
 * - the log stamps `baseOffset` (the offset it assigns) and `partitionLeaderEpoch` (always
 *   `STORED_LEADER_EPOCH` on this single-host broker) into every batch it stores. Neither is
 *   covered by the CRC, so `checkBatch` checks both by value under `STORED_BATCH`.
 * - a batch with zero records and `ATTRIBUTE_CONTROL` set is a gap marker written by
 *   `repairLog`; it takes the offsets of data lost to corruption so that offsets stay dense.
 */
import {
  ATTRIBUTES_OFFSET, ATTRIBUTE_CONTROL, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE_BYTES,
  BATCH_LENGTH_EXCLUDED_BYTES, BATCH_LENGTH_OFFSET, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET,
  CRC_OFFSET, CRC_SPAN_START, LAST_OFFSET_DELTA_OFFSET, MAGIC, MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET, NO_PRODUCER_EPOCH, NO_SEQUENCE, PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET, STORED_LEADER_EPOCH,
  batchIsControl, batchRecordCount, crc32c, writeInt64,
} from '../records/index.js';
import { assert } from '../assert.js';

/** Writes the fields the log owns; the CRC does not cover them, so it stays valid. */
export function stampBatch(view: DataView, position: number, baseOffset: number): void {
  writeInt64(view, position + BASE_OFFSET_OFFSET, baseOffset);
  view.setInt32(position + PARTITION_LEADER_EPOCH_OFFSET, STORED_LEADER_EPOCH);
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

/** Whether the batch at `position` is a gap marker left by a repair. */
export function isGapBatch(view: DataView, position: number): boolean {
  return batchRecordCount(view, position) === 0 && batchIsControl(view, position);
}
