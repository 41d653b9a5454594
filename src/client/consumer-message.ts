/**
 * What a consumer hands out: one `ConsumedMessage` per record, built straight over the bytes of
 * the segment mapping, and the decoding of a fetched run of batches into them.
 *
 * Zero copy: `key`, `value` and the header values are `Uint8Array` views into the consumer's
 * own read-only mapping of the segment file; nothing is copied until `keyCopy()` /
 * `valueCopy()` is called. Each access to `key` or `value` returns a fresh view of the same
 * bytes (a view costs ~25 ns; the message itself holds only positions).
 *
 * How long a view stays valid. Guaranteed: until the handler that received the message
 * returns (the promise it returned settles), or until the iterator is asked for the next
 * message. In practice a view never faults and its bytes never change afterwards either: a
 * view keeps its mapping alive (the mapping is released only when no view of it is left),
 * segment files are never made shorter (DESIGN.md invariant 5), bytes below the high-watermark
 * are never rewritten, and retention or topic deletion only unlinks files, so an old mapping
 * keeps the old bytes. What holding a view costs is memory: it pins the whole segment mapping
 * (up to `segmentBytes` of address space and page cache) until it is collected, also after
 * retention deleted the file. Copy what you keep beyond the handler.
 */
import { MambaError } from '../errors.js';
import {
  ATTRIBUTES_OFFSET, ATTRIBUTE_TIMESTAMP_LOG_APPEND, BASE_OFFSET_OFFSET, BASE_TIMESTAMP_OFFSET,
  LAST_OFFSET_DELTA_OFFSET, MAGIC, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, RECORDS_OFFSET,
  RECORD_COUNT_OFFSET, RecordView,
  batchSizeBytesAt, forEachRecord,
} from '../records/index.js';

export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Milliseconds since the epoch (the producer's, or the log-append time). */
  readonly timestamp: number;
  /** A zero-copy view into the segment mapping, or null. */
  readonly key: Uint8Array | null;
  /** A zero-copy view into the segment mapping, or null. */
  readonly value: Uint8Array | null;
  /** Header values are zero-copy views too; decoded on first access. */
  readonly headers: Record<string, Uint8Array>;
  /** The key in memory of its own, valid for as long as it is kept. */
  keyCopy(): Uint8Array | null;
  /** The value in memory of its own, valid for as long as it is kept. */
  valueCopy(): Uint8Array | null;
}

/** What `eachBatch` receives: the records of one partition fetched together, in order. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly ConsumedMessage[];
  /** The partition's high-watermark when the batch was fetched. */
  readonly highWatermark: number;
  /** The offset after the last one this batch covers (what a commit after it records). */
  readonly nextOffset: number;
}

const noHeaders: Record<string, Uint8Array> = Object.freeze({}) as Record<string, Uint8Array>;

/** Positions are absolute in `buffer` (the mapping), so a view costs one constructor call. */
class MappedMessage implements ConsumedMessage {
  private decodedHeaders: Record<string, Uint8Array> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: number,
    private readonly buffer: ArrayBufferLike,
    private readonly keyPosition: number,
    private readonly keySizeBytes: number,
    private readonly valuePosition: number,
    private readonly valueSizeBytes: number,
    private readonly headersPosition: number,
    private readonly headerCount: number,
  ) {}

  get key(): Uint8Array | null {
    if (this.keySizeBytes < 0) return null;
    return new Uint8Array(this.buffer, this.keyPosition, this.keySizeBytes);
  }

  get value(): Uint8Array | null {
    if (this.valueSizeBytes < 0) return null;
    // A Buffer view (still zero-copy), so that value.toString() is the text, as in kafkajs.
    return Buffer.from(this.buffer, this.valuePosition, this.valueSizeBytes);
  }

  get headers(): Record<string, Uint8Array> {
    if (this.headerCount === 0) return noHeaders;
    if (this.decodedHeaders === undefined) {
      const view = new RecordView(new Uint8Array(this.buffer));
      view.headerCount = this.headerCount;
      view.headersPosition = this.headersPosition;
      this.decodedHeaders = Object.fromEntries(view.headers);
    }
    return this.decodedHeaders;
  }

  keyCopy(): Uint8Array | null {
    return this.key?.slice() ?? null;
  }

  valueCopy(): Uint8Array | null {
    return this.value?.slice() ?? null;
  }
}

export interface DecodedChunk {
  messages: ConsumedMessage[];
  /** The offset after the last batch of the chunk. */
  nextOffset: number;
}

/**
 * The records at or above `fromOffset` in `bytes`, whole batches as a `LogReader` returns them
 * (the first may start below `fromOffset`; gap markers hold no records). Allocates one message
 * per record (flagged: the hot path's only allocation besides the array). The batches were
 * checked (CRC included) when appended; decoding still checks every record's bounds.
 */
export function decodeChunk(
  bytes: Uint8Array, topic: string, partition: number, fromOffset: number,
): DecodedChunk {
  const messages: ConsumedMessage[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = 0;
  let nextOffset = fromOffset;
  while (position < bytes.byteLength) {
    const baseOffset = Number(view.getBigInt64(position + BASE_OFFSET_OFFSET));
    const lastOffset = baseOffset + view.getInt32(position + LAST_OFFSET_DELTA_OFFSET);
    const sizeBytes = batchSizeBytesAt(view, position);
    if (lastOffset >= fromOffset && view.getInt32(position + RECORD_COUNT_OFFSET) > 0) {
      decodeBatchRecords(bytes, view, position, sizeBytes, fromOffset, topic, partition,
        messages);
    }
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1;
    position += sizeBytes;
  }
  return { messages, nextOffset };
}

// The read position of the varint decoding below: one module-level cursor instead of an object
// per call keeps the per-record loop free of allocation.
let cursor = 0;

/** A zigzag varint at `cursor` (one-byte fast path); NaN past 5 bytes. */
function varint(bytes: Uint8Array): number {
  let byte = bytes[cursor++];
  if (byte < 0x80) return (byte >>> 1) ^ -(byte & 1);
  let zigzag = byte & 0x7f;
  for (let shift = 7; byte & 0x80; shift += 7) {
    if (shift === 35) return NaN;
    byte = bytes[cursor++];
    zigzag |= (byte & 0x7f) << shift;
  }
  zigzag >>>= 0;
  return (zigzag >>> 1) ^ -(zigzag & 1);
}

/** A zigzag varlong at `cursor` as a number (timestamp deltas fit 2^53). */
function varlong(bytes: Uint8Array): number {
  let byte = bytes[cursor++];
  if (byte < 0x80) return (byte >>> 1) ^ -(byte & 1);
  let zigzag = byte & 0x7f;
  let scale = 128;
  for (let count = 1; byte & 0x80; count++) {
    if (count === 10) return NaN;
    byte = bytes[cursor++];
    zigzag += (byte & 0x7f) * scale;
    scale *= 128;
  }
  return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
}

/** Decodes one batch's records into `out`, like `forEachRecord` but with no callback. */
function decodeBatchRecords(
  bytes: Uint8Array, view: DataView, position: number, sizeBytes: number, fromOffset: number,
  topic: string, partition: number, out: ConsumedMessage[],
): void {
  if (bytes[position + MAGIC_OFFSET] !== MAGIC) forEachRecord(bytes, position, () => undefined);
  const end = position + sizeBytes;
  const baseOffset = Number(view.getBigInt64(position + BASE_OFFSET_OFFSET));
  const baseTimestamp = Number(view.getBigInt64(position + BASE_TIMESTAMP_OFFSET));
  const logAppendTime = (view.getInt16(position + ATTRIBUTES_OFFSET) &
    ATTRIBUTE_TIMESTAMP_LOG_APPEND) !== 0;
  const maxTimestamp = Number(view.getBigInt64(position + MAX_TIMESTAMP_OFFSET));
  const count = view.getInt32(position + RECORD_COUNT_OFFSET);
  const buffer = bytes.buffer;
  const base = bytes.byteOffset;
  cursor = position + RECORDS_OFFSET;
  for (let index = 0; index < count; index++) {
    const start = cursor;
    const bodySizeBytes = varint(bytes);
    const recordEnd = cursor + bodySizeBytes;
    cursor++; // attributes: unused
    const timestampDelta = varlong(bytes);
    const offset = baseOffset + varint(bytes);
    const keySizeBytes = varint(bytes);
    const keyPosition = cursor;
    if (keySizeBytes > 0) cursor += keySizeBytes;
    const valueSizeBytes = varint(bytes);
    const valuePosition = cursor;
    if (valueSizeBytes > 0) cursor += valueSizeBytes;
    const headerCount = varint(bytes);
    const headersPosition = cursor;
    if (headerCount > 0) skipHeaders(bytes, headerCount);
    if (!(recordEnd <= end && cursor === recordEnd && keySizeBytes >= -1 &&
      valueSizeBytes >= -1 && headerCount >= 0 && timestampDelta === timestampDelta)) {
      // Let the full decoder name what is wrong (it throws CORRUPT_BATCH).
      forEachRecord(bytes, position, () => undefined);
      throw new MambaError('CORRUPT_BATCH', `corrupt record at byte ${start}`);
    }
    if (offset < fromOffset) continue;
    out.push(new MappedMessage(topic, partition, offset,
      logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta, buffer, base + keyPosition,
      keySizeBytes, base + valuePosition, valueSizeBytes, base + headersPosition, headerCount));
  }
}

function skipHeaders(bytes: Uint8Array, headerCount: number): void {
  for (let index = 0; index < headerCount; index++) {
    const keySizeBytes = varint(bytes);
    if (keySizeBytes > 0) cursor += keySizeBytes;
    const valueSizeBytes = varint(bytes);
    if (valueSizeBytes > 0) cursor += valueSizeBytes;
    if (!(keySizeBytes >= 0 && valueSizeBytes >= -1)) return;
  }
}

/**
 * The first offset at or after `fromOffset` in `bytes` whose record's timestamp is at least
 * `timestampMs` (undefined if none), and the offset after the last batch scanned. Reads batch
 * headers only, and decodes just the batches whose `maxTimestamp` reaches `timestampMs`.
 */
export function firstOffsetAtTimestamp(
  bytes: Uint8Array, fromOffset: number, timestampMs: number,
): { offset: number | undefined; nextOffset: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = 0;
  let nextOffset = fromOffset;
  while (position < bytes.byteLength) {
    const baseOffset = Number(view.getBigInt64(position + BASE_OFFSET_OFFSET));
    const lastOffset = baseOffset + view.getInt32(position + LAST_OFFSET_DELTA_OFFSET);
    if (lastOffset >= fromOffset && view.getInt32(position + RECORD_COUNT_OFFSET) > 0 &&
      Number(view.getBigInt64(position + MAX_TIMESTAMP_OFFSET)) >= timestampMs) {
      let found: number | undefined;
      forEachRecord(bytes, position, (r) => {
        if (found === undefined && r.offset >= fromOffset && r.timestamp >= timestampMs) {
          found = r.offset;
        }
      });
      if (found !== undefined) return { offset: found, nextOffset: lastOffset + 1 };
    }
    nextOffset = Math.max(nextOffset, lastOffset + 1);
    position += batchSizeBytesAt(view, position);
  }
  return { offset: undefined, nextOffset };
}
