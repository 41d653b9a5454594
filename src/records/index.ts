/**
 * Record batches: Kafka RecordBatch v2, the one codec layer. Its header layout
 * (batch-layout.ts), the batch view (batch-view.ts, header accessors over bytes), the one
 * validator (batch-check.ts, `checkBatch` and its verdict table), the record encoder and
 * decoder (record-batch.ts), compression codecs (compression/), varints and CRC32C. Other
 * folders import from here only.
 */
export * from './batch-layout.js';
export * from './batch-view.js';
export * from './batch-check.js';
export { crc32c } from './crc32c.js';
export {
  VARINT_INVALID, VARINT_SIZE_BYTES_MAX, VARLONG_SIZE_BYTES_MAX, isInt32, readVarint,
  readVarlong, readVarlongBigInt, varintSizeBytes, varlongSizeBytes, writeVarint, writeVarlong,
  writeVarlongBigInt, type VarintCursor,
} from './varint.js';
export { RecordIndex, indexBatch } from './record-index.js';
export {
  RecordView, batchSizeBytes, decodeBatch, decodeHeaders, encodeBatch, encodeBatchInto,
  encodePlannedBatchInto,
  forEachRecord, writeBatchMeta,
  type BatchMeta, type DecodedRecord, type RecordInput,
} from './record-batch.js';
export {
  COMPRESSION_NAMES, codecNamed, codecOf, compressBatch, compressionReady, decompressRecords,
  initCompression, type CompressionCodec, type CompressionName,
} from './compression/index.js';
export {
  CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT, controlCoordinatorEpochAt, controlTypeAt,
  encodeMarkerBatch, type TxnMarker,
} from './control-record.js';
