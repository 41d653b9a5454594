/**
 * The record index: every record field of a batch decoded in one pass into reused typed arrays
 * (a struct of arrays), for readers that turn each record into an object of their own, as the
 * consumer does. `forEachRecord` hands each record to a callback through one shared, mutable
 * `RecordView`; a profile of the consume path put that callback, the view's field stores and
 * loads and the per-record call at about a third of the decode time. Here the loop stores plain
 * numbers into arrays and calls nothing per record but the varint reads, and the reader then
 * builds its objects in a loop of its own.
 *
 * The checks are `forEachRecord`'s: the batch's structure first, then each record's fields
 * against its length. Bytes that do not decode are re-read by `forEachRecord`, which throws the
 * `CORRUPT_BATCH` that names what is wrong, so both paths report damage the same way.
 */
import {
  ATTRIBUTE_COMPRESSION_MASK, ATTRIBUTE_TIMESTAMP_LOG_APPEND, ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET, BASE_TIMESTAMP_OFFSET, MAX_TIMESTAMP_OFFSET, RECORD_COUNT_OFFSET,
  RECORDS_OFFSET,
} from './batch-layout.js';
import { readInt16, readInt32, readInt64Number } from './big-endian.js';
import { RECORD_SIZE_BYTES_MIN } from './batch-check.js';
import { dataViewOf } from './batch-view.js';
import { decompressRecords } from './compression/index.js';
import { checkBatchStructure, forEachRecord } from './record-batch.js';
import { readVarint, readVarlong, type VarintCursor } from './varint.js';
import { MambaError } from '../errors.js';

const CAPACITY_INITIAL = 64;
const EMPTY_BYTES = new Uint8Array(0);

/**
 * The fields of the records of the batch last indexed, record `i` at index `i`. Positions are
 * byte positions in `records`; a size of -1 is a null key or value. Reused from batch to batch:
 * read what you need before indexing the next one.
 */
export class RecordIndex {
  /** Records indexed by the last `indexBatch`. */
  count = 0;
  /** The bytes the positions are in: the input, or a compressed batch's inflated records. */
  records: Uint8Array = EMPTY_BYTES;
  offsets = new Float64Array(CAPACITY_INITIAL);
  timestamps = new Float64Array(CAPACITY_INITIAL);
  keyPositions = new Int32Array(CAPACITY_INITIAL);
  keySizesBytes = new Int32Array(CAPACITY_INITIAL);
  valuePositions = new Int32Array(CAPACITY_INITIAL);
  valueSizesBytes = new Int32Array(CAPACITY_INITIAL);
  headersPositions = new Int32Array(CAPACITY_INITIAL);
  headerCounts = new Int32Array(CAPACITY_INITIAL);

  /** Makes room for `count` records (the arrays grow by doubling and never shrink). */
  reserve(count: number): void {
    if (count <= this.offsets.length) return;
    let capacity = this.offsets.length;
    while (capacity < count) capacity *= 2;
    this.offsets = new Float64Array(capacity);
    this.timestamps = new Float64Array(capacity);
    this.keyPositions = new Int32Array(capacity);
    this.keySizesBytes = new Int32Array(capacity);
    this.valuePositions = new Int32Array(capacity);
    this.valueSizesBytes = new Int32Array(capacity);
    this.headersPositions = new Int32Array(capacity);
    this.headerCounts = new Int32Array(capacity);
  }
}

/** One cursor for every index: the per-record loop allocates nothing. */
const cursor: VarintCursor = { position: 0 };

/**
 * Indexes the records of the batch at `position` into `index` and returns their number. A
 * compressed batch is inflated first (`index.records` is then the inflated bytes). Does not
 * check the CRC (`checkBatch` does). Throws `CORRUPT_BATCH` for bytes that do not decode, with
 * nothing of the batch indexed (`index.count` is 0).
 */
export function indexBatch(bytes: Uint8Array, position: number, index: RecordIndex): number {
  index.count = 0;
  const end = checkBatchStructure(bytes, position);
  const attributes = readInt16(bytes, position + ATTRIBUTES_OFFSET);
  const count = readInt32(bytes, position + RECORD_COUNT_OFFSET);
  let records = bytes;
  let recordsEnd = end;
  cursor.position = position + RECORDS_OFFSET;
  if ((attributes & ATTRIBUTE_COMPRESSION_MASK) !== 0) {
    records = decompressRecords(bytes, dataViewOf(bytes), position);
    recordsEnd = records.length;
    cursor.position = 0;
  }
  index.reserve(count);
  index.records = records;
  const baseOffset = readInt64Number(bytes, position + BASE_OFFSET_OFFSET);
  const logAppendTime = (attributes & ATTRIBUTE_TIMESTAMP_LOG_APPEND) !== 0;
  const baseTimestamp = logAppendTime ? readInt64Number(bytes, position + MAX_TIMESTAMP_OFFSET)
    : readInt64Number(bytes, position + BASE_TIMESTAMP_OFFSET);
  const { offsets, timestamps, keyPositions, keySizesBytes, valuePositions, valueSizesBytes,
    headersPositions, headerCounts } = index;
  for (let i = 0; i < count; i++) {
    const bodySizeBytes = readVarint(records, cursor);
    const recordEnd = cursor.position + bodySizeBytes;
    if (!(bodySizeBytes >= RECORD_SIZE_BYTES_MIN - 1) || recordEnd > recordsEnd) {
      return notDecodable(bytes, position, index);
    }
    cursor.position++; // Record attributes: unused.
    const timestampDelta = readVarlong(records, cursor);
    const offsetDelta = readVarint(records, cursor);
    const keySizeBytes = readVarint(records, cursor);
    keyPositions[i] = cursor.position;
    if (keySizeBytes > 0) cursor.position += keySizeBytes;
    const valueSizeBytes = readVarint(records, cursor);
    valuePositions[i] = cursor.position;
    if (valueSizeBytes > 0) cursor.position += valueSizeBytes;
    const headerCount = readVarint(records, cursor);
    headersPositions[i] = cursor.position;
    if (headerCount > 0) cursor.position = skipHeaders(records, cursor.position, headerCount,
      recordEnd);
    if (!(timestampDelta === timestampDelta && offsetDelta >= 0 && keySizeBytes >= -1 &&
      valueSizeBytes >= -1 && headerCount >= 0 && cursor.position === recordEnd)) {
      return notDecodable(bytes, position, index);
    }
    offsets[i] = baseOffset + offsetDelta;
    timestamps[i] = logAppendTime ? baseTimestamp : baseTimestamp + timestampDelta;
    keySizesBytes[i] = keySizeBytes;
    valueSizesBytes[i] = valueSizeBytes;
    headerCounts[i] = headerCount;
  }
  if (cursor.position !== recordsEnd) return notDecodable(bytes, position, index);
  index.count = count;
  return count;
}

/** The position after `headerCount` headers at `position`, or -1 if they do not fit. */
function skipHeaders(
  records: Uint8Array, position: number, headerCount: number, recordEnd: number,
): number {
  const local: VarintCursor = headerCursor;
  local.position = position;
  for (let i = 0; i < headerCount && local.position <= recordEnd; i++) {
    const keySizeBytes = readVarint(records, local);
    if (!(keySizeBytes >= 0)) return -1;
    local.position += keySizeBytes;
    const valueSizeBytes = readVarint(records, local);
    if (!(valueSizeBytes >= -1)) return -1;
    if (valueSizeBytes > 0) local.position += valueSizeBytes;
  }
  return local.position;
}

const headerCursor: VarintCursor = { position: 0 };

/** Lets `forEachRecord` name the damage; indexes nothing either way. */
function notDecodable(bytes: Uint8Array, position: number, index: RecordIndex): never {
  index.count = 0;
  forEachRecord(bytes, position, () => undefined);
  throw new MambaError('CORRUPT_BATCH', `corrupt record batch at byte ${position}`, {
    corruption: { path: '', bytePosition: position, reason: 'records do not decode' },
  });
}
