/**
 * Reading due parked records back from `__mamba_delayed`. The offsets due in one tick are
 * scattered over many parked batches (a batch of sends holds delays of every length, and one
 * `sendBatch` of parked messages is a batch of up to the producer's batch size, a thousand
 * records and more), so each due record costs a read of its batch. Decoding the whole batch
 * for each due record (first as `RecordView`s, then with `indexBatch`) was a sixth of the main
 * thread in a profile of the bench, and walking the record lengths up to it each time still
 * most of that; so the start of every record of a batch is found once, by walking the length
 * varints, and kept (bounded, least recently read evicted), and only the due record is decoded.
 * A batch that is not a plain run of records (compressed, or with offset gaps) is indexed whole.
 */
import {
  ATTRIBUTE_COMPRESSION_MASK, RECORDS_OFFSET, RecordIndex, batchAttributes, batchBaseOffset,
  batchBaseTimestamp, batchCrc, batchIsLogAppendTime, batchLastOffset, batchMaxTimestamp,
  batchRecordCount, batchSizeBytesAt, dataViewOf, decodeHeaders, indexBatch, readVarint,
  readVarlong, type DecodedRecord, type VarintCursor,
} from '../records/index.js';
import type { LogReader } from '../segments/index.js';

/** One cursor for every walk: the per-record loop allocates nothing. */
const cursor: VarintCursor = { position: 0 };
const EMPTY_HEADERS: Array<[string, Uint8Array]> = [];

/**
 * Record start positions kept for recently read batches, at most (4 bytes each: 1 MiB). Ten
 * seconds of parked messages at 10 k/s fit, so at that rate each parked batch is walked once.
 */
const parkedStartCountMax = 262_144;

export class ParkedReader {
  private readonly index = new RecordIndex();
  /** By batch base offset, least recently read first. */
  private readonly starts = new Map<number, { crc: number; starts: Int32Array }>();
  private startCount = 0;

  constructor(private readonly reader: LogReader) {}

  /**
   * Calls `found` for each of `offsets` (ascending, below `upToOffset`) that the log holds, in
   * order, with the record decoded into an object of its own (key, value and header values are
   * views of the log's mapping: copy what must outlive the next read). Returns how many it found.
   */
  readEach(offsets: readonly number[], upToOffset: number, logStartOffset: number,
    found: (record: DecodedRecord) => void): number {
    let count = 0;
    let next = 0;
    while (next < offsets.length) {
      const from = offsets[next];
      // One batch per read: the batch that holds `from`, found through the sparse index.
      const bytes = this.reader.read(from, 1, upToOffset, logStartOffset);
      if (bytes.length === 0) break;
      const view = dataViewOf(bytes);
      const lastOffset = batchLastOffset(view, 0);
      if (lastOffset < from) break; // not expected: the reader returns the batch holding it
      let end = next;
      while (end < offsets.length && offsets[end] <= lastOffset) end++;
      const walked = this.walk(bytes, view, offsets, next, end, found);
      count += walked >= 0 ? walked : this.indexed(bytes, view, offsets, next, end, found);
      next = end;
    }
    return count;
  }

  /**
   * The records at `offsets[first..end)` of a plain batch, through its record start positions;
   * -1, having called back for none, when the batch is not one (then `indexed` reads it).
   */
  private walk(bytes: Uint8Array, view: DataView, offsets: readonly number[], first: number,
    end: number, found: (record: DecodedRecord) => void): number {
    const starts = this.recordStarts(bytes, view);
    if (starts === undefined) return -1;
    const batchEnd = batchSizeBytesAt(view, 0);
    const baseOffset = batchBaseOffset(view, 0);
    const records: DecodedRecord[] = [];
    for (let i = first; i < end; i++) {
      const delta = offsets[i] - baseOffset;
      cursor.position = starts[delta];
      const record = decodeAt(bytes, view, batchEnd, delta);
      if (record === undefined) return -1;
      records.push(record);
    }
    // Called back only now: a batch found not plain half-way is read whole, once.
    for (const record of records) found(record);
    return records.length;
  }

  /**
   * Where each record of a plain batch starts (walked once, by the length varints, then kept
   * while the batch is among the recently read), or undefined for a batch that is not plain:
   * compressed, or with offset gaps. A cached entry is used only for a batch with the same
   * CRC, so a batch rewritten at the same offsets (a repaired tail) is walked again.
   */
  private recordStarts(bytes: Uint8Array, view: DataView): Int32Array | undefined {
    const baseOffset = batchBaseOffset(view, 0);
    const crc = batchCrc(view, 0);
    const cached = this.starts.get(baseOffset);
    if (cached !== undefined && cached.crc === crc) {
      this.starts.delete(baseOffset); // Map order is the eviction order: now the newest.
      this.starts.set(baseOffset, cached);
      return cached.starts;
    }
    const recordCount = batchRecordCount(view, 0);
    const batchEnd = batchSizeBytesAt(view, 0);
    if ((batchAttributes(view, 0) & ATTRIBUTE_COMPRESSION_MASK) !== 0 ||
      batchEnd > bytes.length || recordCount !== batchLastOffset(view, 0) - baseOffset + 1) {
      return undefined;
    }
    const starts = new Int32Array(recordCount);
    cursor.position = RECORDS_OFFSET;
    for (let i = 0; i < recordCount; i++) {
      starts[i] = cursor.position;
      const bodySizeBytes = readVarint(bytes, cursor);
      if (!(bodySizeBytes > 0)) return undefined;
      cursor.position += bodySizeBytes;
    }
    if (cursor.position !== batchEnd) return undefined;
    if (cached !== undefined) this.forget(baseOffset);
    this.starts.set(baseOffset, { crc, starts });
    this.startCount += recordCount;
    for (const oldest of this.starts.keys()) {
      if (this.startCount <= parkedStartCountMax) break;
      this.forget(oldest);
    }
    return starts;
  }

  private forget(baseOffset: number): void {
    this.startCount -= this.starts.get(baseOffset)?.starts.length ?? 0;
    this.starts.delete(baseOffset);
  }

  /** The records at `offsets[first..end)` of any batch, by indexing it whole. */
  private indexed(bytes: Uint8Array, view: DataView, offsets: readonly number[], first: number,
    end: number, found: (record: DecodedRecord) => void): number {
    const index = this.index;
    const recordCount = batchRecordCount(view, 0) === 0 ? 0 : indexBatch(bytes, 0, index);
    let count = 0;
    let position = 0;
    for (let i = first; i < end; i++) {
      // Offsets ascend within a batch: continue from the last record found.
      while (position < recordCount && index.offsets[position] < offsets[i]) position++;
      if (position === recordCount || index.offsets[position] !== offsets[i]) continue;
      found(indexedRecord(index, position));
      count++;
    }
    return count;
  }
}

/**
 * Decodes the record at the cursor, which must be the batch's record number `delta`; leaves
 * the cursor after it. Undefined when its fields do not fit its length or its offset delta is
 * not `delta`.
 */
function decodeAt(bytes: Uint8Array, view: DataView, batchEnd: number, delta: number):
DecodedRecord | undefined {
  const bodySizeBytes = readVarint(bytes, cursor);
  const recordEnd = cursor.position + bodySizeBytes;
  if (!(bodySizeBytes > 0) || recordEnd > batchEnd) return undefined;
  cursor.position++; // Record attributes: unused.
  const timestampDelta = readVarlong(bytes, cursor);
  const offsetDelta = readVarint(bytes, cursor);
  const keySizeBytes = readVarint(bytes, cursor);
  const keyPosition = cursor.position;
  if (keySizeBytes > 0) cursor.position += keySizeBytes;
  const valueSizeBytes = readVarint(bytes, cursor);
  const valuePosition = cursor.position;
  if (valueSizeBytes > 0) cursor.position += valueSizeBytes;
  const headerCount = readVarint(bytes, cursor);
  // A NaN (bad varint) fails each comparison; a length past the record leaves the cursor there.
  if (!(offsetDelta === delta && timestampDelta === timestampDelta && keySizeBytes >= -1 &&
    valueSizeBytes >= -1 && headerCount >= 0 && cursor.position <= recordEnd)) {
    return undefined;
  }
  const headersPosition = cursor.position;
  if (!headersFit(bytes, headerCount, recordEnd)) return undefined;
  const headers = headerCount === 0 ? EMPTY_HEADERS
    : decodeHeaders(bytes, headersPosition, headerCount);
  const timestamp = batchIsLogAppendTime(view, 0) ? batchMaxTimestamp(view, 0)
    : batchBaseTimestamp(view, 0) + timestampDelta;
  return {
    offset: batchBaseOffset(view, 0) + delta,
    timestamp,
    key: keySizeBytes < 0 ? null : bytes.subarray(keyPosition, keyPosition + keySizeBytes),
    value: valueSizeBytes < 0 ? null
      : bytes.subarray(valuePosition, valuePosition + valueSizeBytes),
    headers,
  };
}

/** Walks `headerCount` headers from the cursor: true when they end exactly at `recordEnd`. */
function headersFit(bytes: Uint8Array, headerCount: number, recordEnd: number): boolean {
  for (let i = 0; i < headerCount && cursor.position <= recordEnd; i++) {
    const keySizeBytes = readVarint(bytes, cursor);
    if (!(keySizeBytes >= 0)) return false;
    cursor.position += keySizeBytes;
    const valueSizeBytes = readVarint(bytes, cursor);
    if (!(valueSizeBytes >= -1)) return false;
    if (valueSizeBytes > 0) cursor.position += valueSizeBytes;
  }
  return cursor.position === recordEnd;
}

function indexedRecord(index: RecordIndex, i: number): DecodedRecord {
  const records = index.records;
  const keySizeBytes = index.keySizesBytes[i];
  const valueSizeBytes = index.valueSizesBytes[i];
  return {
    offset: index.offsets[i],
    timestamp: index.timestamps[i],
    key: keySizeBytes < 0 ? null
      : records.subarray(index.keyPositions[i], index.keyPositions[i] + keySizeBytes),
    value: valueSizeBytes < 0 ? null
      : records.subarray(index.valuePositions[i], index.valuePositions[i] + valueSizeBytes),
    headers: index.headerCounts[i] === 0 ? []
      : decodeHeaders(records, index.headersPositions[i], index.headerCounts[i]),
  };
}
