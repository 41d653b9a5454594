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
import {
  BASE_OFFSET_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAX_TIMESTAMP_OFFSET, RECORD_COUNT_OFFSET,
  RecordView,
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

class MappedMessage implements ConsumedMessage {
  private decodedHeaders: Record<string, Uint8Array> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: number,
    private readonly source: Uint8Array,
    private readonly keyPosition: number,
    private readonly keySizeBytes: number,
    private readonly valuePosition: number,
    private readonly valueSizeBytes: number,
    private readonly headersPosition: number,
    private readonly headerCount: number,
  ) {}

  get key(): Uint8Array | null {
    if (this.keySizeBytes < 0) return null;
    const source = this.source;
    return new Uint8Array(source.buffer, source.byteOffset + this.keyPosition, this.keySizeBytes);
  }

  get value(): Uint8Array | null {
    if (this.valueSizeBytes < 0) return null;
    const source = this.source;
    return new Uint8Array(source.buffer, source.byteOffset + this.valuePosition,
      this.valueSizeBytes);
  }

  get headers(): Record<string, Uint8Array> {
    if (this.headerCount === 0) return noHeaders;
    if (this.decodedHeaders === undefined) {
      const view = new RecordView(this.source);
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
 * per record (flagged: the hot path's only allocation besides the array).
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
    if (lastOffset >= fromOffset && view.getInt32(position + RECORD_COUNT_OFFSET) > 0) {
      forEachRecord(bytes, position, (r) => {
        if (r.offset < fromOffset) return;
        messages.push(new MappedMessage(topic, partition, r.offset, r.timestamp, bytes,
          r.keyPosition, r.keySizeBytes, r.valuePosition, r.valueSizeBytes, r.headersPosition,
          r.headerCount));
      });
    }
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1;
    position += batchSizeBytesAt(view, position);
  }
  return { messages, nextOffset };
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
