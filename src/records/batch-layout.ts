/**
 * The header of a record batch: Apache Kafka's RecordBatch v2 (magic 2), stored on disk and sent
 * through rings byte for byte as Kafka defines it. This module is the only place that knows the
 * header's byte offsets (STYLE.md §2). All integers are big-endian.
 *
 * ```
 *  0               8       12      16  17      21  23      27              35
 *  +---------------+-------+-------+---+-------+---+-------+---------------+---------------+
 *  | baseOffset    |batch  |leader |mag| crc32c|att|lastOff| baseTimestamp | maxTimestamp  |
 *  | int64         |Length |Epoch  |ic | uint32|r16|Delta32| int64         | int64         |
 *  +---------------+-------+-------+---+-------+---+-------+---------------+---------------+
 *  43              51  53      57      61
 *  +---------------+---+-------+-------+-----------------------------------------------
 *  | producerId    |pEp|baseSeq|count  | records (varint-encoded, `count` of them) ...
 *  | int64         |o16| int32 | int32 |
 *  +---------------+---+-------+-------+-----------------------------------------------
 * ```
 *
 * - `batchLength` counts the bytes after itself: the whole batch is `batchLength + 12` bytes.
 * - The CRC32C covers `attributes` to the end of the batch. It does not cover `baseOffset`,
 *   `batchLength` or `partitionLeaderEpoch`, so a partition actor can stamp the offsets it
 *   assigns into a batch without recomputing the checksum (Kafka's brokers do the same).
 * - `producerId = -1` means a non-idempotent producer; then epoch and sequence are -1 too.
 */
import { assert } from '../assert.js';

export const MAGIC = 2;

const int8 = 1;
const int16 = 2;
const int32 = 4;
const int64 = 8;

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = BASE_OFFSET_OFFSET + int64;
export const PARTITION_LEADER_EPOCH_OFFSET = BATCH_LENGTH_OFFSET + int32;
export const MAGIC_OFFSET = PARTITION_LEADER_EPOCH_OFFSET + int32;
export const CRC_OFFSET = MAGIC_OFFSET + int8;
export const ATTRIBUTES_OFFSET = CRC_OFFSET + int32;
export const LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + int16;
export const BASE_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + int32;
export const MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + int64;
export const PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + int64;
export const PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + int64;
export const BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + int16;
export const RECORD_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + int32;
export const RECORDS_OFFSET = RECORD_COUNT_OFFSET + int32;

/** Bytes before the records: 61. */
export const BATCH_HEADER_SIZE_BYTES = RECORDS_OFFSET;
/** Bytes of a batch not counted by `batchLength`: baseOffset and batchLength themselves. */
export const BATCH_LENGTH_EXCLUDED_BYTES = BATCH_LENGTH_OFFSET + int32;
/** The checksummed span starts here and runs to the end of the batch. */
export const CRC_SPAN_START = ATTRIBUTES_OFFSET;

/** Attribute bits (Kafka): compression in bits 0-2, timestamp type bit 3, transactional bit 4. */
export const ATTRIBUTE_COMPRESSION_MASK = 0x07;
export const ATTRIBUTE_TIMESTAMP_LOG_APPEND = 0x08;
export const ATTRIBUTE_TRANSACTIONAL = 0x10;
export const ATTRIBUTE_CONTROL = 0x20;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

assert(BATCH_HEADER_SIZE_BYTES === 61, 'RecordBatch v2 header is 61 bytes');
assert(CRC_SPAN_START === 21, 'the CRC span starts at attributes');
