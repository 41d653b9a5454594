/**
 * Record batches: Kafka RecordBatch v2 encoding and decoding, its header layout, varints and
 * CRC32C. Other folders import from here only.
 */
export * from './batch-layout.js';
export { crc32c } from './crc32c.js';
export {
  VARINT_INVALID, VARINT_SIZE_BYTES_MAX, VARLONG_SIZE_BYTES_MAX, isInt32, readVarint,
  readVarlong, readVarlongBigInt, varintSizeBytes, varlongSizeBytes, writeVarint, writeVarlong,
  writeVarlongBigInt, type VarintCursor,
} from './varint.js';
export {
  RECORD_SIZE_BYTES_MIN, RecordView, batchSizeBytes, decodeBatch, encodeBatch, encodeBatchInto,
  forEachRecord, type BatchMeta, type DecodedRecord, type RecordInput,
} from './record-batch.js';
export {
  readBatchHeader, setBaseOffset, validateBatch, type BatchCheck, type BatchCheckFailure,
  type BatchHeader,
} from './batch-header.js';
