/**
 * What a consumer hands out: one `ConsumedMessage` per record, built straight over the bytes of
 * the segment mapping, and the decoding of a fetched run of batches into them. The batches
 * are read by the one codec layer (src/records: `checkBatch`, then `indexBatch`, the record
 * index), which also inflates compressed batches.
 *
 * Checked before handed out: each batch's CRC32C (unless `checkCrcs: false`) and structure.
 * A bad batch is `CORRUPT_LOG` with topic, partition, offset, file and byte position; the
 * records of the good batches before it in the same chunk are handed out first, and the
 * consumer's position stops at the bad batch (docs/CRASH-MODEL.md).
 *
 * Zero copy: `key`, `value` and the header values are `Buffer` views (a Buffer is a
 * Uint8Array) into the consumer's own read-only mapping of the segment file, so
 * `m.value.toString()` is the text; nothing is copied until `keyCopy()` / `valueCopy()`.
 * For a compressed batch they are views into the batch's inflated records instead. They are
 * own properties, so `{ ...m }` keeps them; `toJSON()` and `util.inspect` print a readable
 * form, never the mapping behind the views.
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
import { isUtf8 } from 'node:buffer';
import { inspect } from 'node:util';
import { corruptRead, MambaError } from '../errors.js';
import {
  BATCH_VERDICT_REASONS, STORED_BATCH, STORED_BATCH_NO_CRC, batchBaseOffset, batchLastOffset,
  batchMaxTimestamp, batchRecordCount, batchSizeBytesAt, checkBatch, dataViewOf, readVarint,
  forEachRecord, indexBatch, RecordIndex, RecordView, batchIsControl, batchIsTransactional,
  batchProducerId, type VarintCursor,
} from '../records/index.js';
import { isAbortedBatch, type AbortedTransaction } from '../segments/index.js';

/** Whether a consumer's filter keeps a record (record-filter.ts). */
type RecordPredicate = (record: RecordView) => boolean;

export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Milliseconds since the epoch (the producer's, or the log-append time). */
  readonly timestamp: number;
  /** A zero-copy `Buffer` view (of the segment mapping, or of inflated records), or null. */
  readonly key: Buffer | null;
  /** A zero-copy `Buffer` view (of the segment mapping, or of inflated records), or null. */
  readonly value: Buffer | null;
  /** Header values are zero-copy `Buffer` views too. */
  readonly headers: Record<string, Buffer>;
  /** The key in memory of its own, valid for as long as it is kept. */
  keyCopy(): Buffer | null;
  /** The value in memory of its own, valid for as long as it is kept. */
  valueCopy(): Buffer | null;
  /** A plain object: key, value and header values as `jsonBytes` gives them. */
  toJSON(): ConsumedMessageJson;
}

/** Bytes in JSON: a string when they are valid UTF-8, else `{ base64 }`; null stays null. */
export type JsonBytes = string | { base64: string } | null;

export interface ConsumedMessageJson {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: JsonBytes;
  value: JsonBytes;
  headers: Record<string, JsonBytes>;
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

const noHeaders: Record<string, Buffer> = Object.freeze({}) as Record<string, Buffer>;

/** The rule of `toJSON` for one byte field (documented in the README). */
export function jsonBytes(bytes: Uint8Array | null): JsonBytes {
  if (bytes === null) return null;
  const buffer = Buffer.isBuffer(bytes) ? bytes : bufferView(bytes.buffer, bytes.byteOffset,
    bytes.byteLength);
  return isUtf8(buffer) ? buffer.toString('utf8') : { base64: buffer.toString('base64') };
}

const PREVIEW_BYTES_MAX = 48;

/** A short, printable form of bytes for `util.inspect`: text, or hex when not text. */
function previewBytes(bytes: Buffer | null): string {
  if (bytes === null) return 'null';
  const head = bytes.subarray(0, PREVIEW_BYTES_MAX);
  const more = bytes.length > head.length ? `… (${bytes.length} bytes)` : '';
  // A cut inside a multi-byte character fails isUtf8; the hex form is the honest one then.
  if (isUtf8(head) && isPrintable(head)) return JSON.stringify(head.toString('utf8')) + more;
  return `<${head.toString('hex')}${more === '' ? '' : ' '}${more}>`;
}

/** No control bytes but tab, newline and carriage return: text worth showing as text. */
function isPrintable(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) {
      return false;
    }
  }
  return true;
}

/**
 * A Buffer over existing memory, built the way Node builds its own (`FastBuffer` is a
 * `Uint8Array` subclass whose prototype is `Buffer.prototype`): `Buffer.isBuffer` holds and
 * every Buffer method works, at the cost of a plain typed-array view. `Buffer.from(arrayBuffer,
 * …)` validates its arguments first and costs about twice as much (measured ~90 ns against
 * ~180 ns here), and this is two calls per record on the consume path.
 */
class ViewBuffer extends Uint8Array {}
Object.setPrototypeOf(ViewBuffer.prototype, Buffer.prototype);

function bufferView(buffer: ArrayBufferLike, byteOffset: number, sizeBytes: number): Buffer {
  return new ViewBuffer(buffer as ArrayBuffer, byteOffset, sizeBytes) as unknown as Buffer;
}

/**
 * A record handed out. Every field is an own enumerable data property, set once here, so
 * spreading or `Object.keys` sees what the type says; the methods are on the prototype.
 */
class MappedMessage implements ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;

  constructor(topic: string, partition: number, index: RecordIndex, i: number,
    buffer: ArrayBufferLike, base: number) {
    this.topic = topic;
    this.partition = partition;
    this.offset = index.offsets[i];
    this.timestamp = index.timestamps[i];
    // Two views per record are the hot path's allocation besides the message itself.
    const keySizeBytes = index.keySizesBytes[i];
    this.key = keySizeBytes < 0 ? null
      : bufferView(buffer, base + index.keyPositions[i], keySizeBytes);
    const valueSizeBytes = index.valueSizesBytes[i];
    this.value = valueSizeBytes < 0 ? null
      : bufferView(buffer, base + index.valuePositions[i], valueSizeBytes);
    const headerCount = index.headerCounts[i];
    this.headers = headerCount === 0 ? noHeaders
      : headersOf(index.records, index.headersPositions[i], headerCount);
  }

  keyCopy(): Buffer | null {
    return this.key === null ? null : Buffer.from(this.key);
  }

  valueCopy(): Buffer | null {
    return this.value === null ? null : Buffer.from(this.value);
  }

  toJSON(): ConsumedMessageJson {
    const headers: Record<string, JsonBytes> = {};
    for (const [name, value] of Object.entries(this.headers)) headers[name] = jsonBytes(value);
    return {
      topic: this.topic, partition: this.partition, offset: this.offset,
      timestamp: this.timestamp, key: jsonBytes(this.key), value: jsonBytes(this.value), headers,
    };
  }

  [inspect.custom](): string {
    const headerNames = Object.keys(this.headers);
    const headers = headerNames.length === 0 ? '' : `, headers: [${headerNames.join(', ')}]`;
    return `ConsumedMessage { ${this.topic}/${this.partition}@${this.offset}, timestamp: ` +
      `${this.timestamp}, key: ${previewBytes(this.key)}, value: ${previewBytes(this.value)}` +
      `${headers} }`;
  }
}

/**
 * A record's headers as an object of Buffer views, read straight from the record bytes: one view
 * per header and the name from `headerNames`. (Through `decodeHeaders` each header cost a
 * `[name, view]` pair, a `subarray`, the view made again as a Buffer, and the name built one
 * character at a time; the structure was checked by `indexBatch` already.)
 */
function headersOf(records: Uint8Array, position: number, count: number,
): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  const buffer = records.buffer;
  const base = records.byteOffset;
  const cursor = headerCursor;
  cursor.position = position;
  for (let i = 0; i < count; i++) {
    const nameSizeBytes = readVarint(records, cursor);
    const name = headerNames.name(records, cursor.position, nameSizeBytes);
    cursor.position += nameSizeBytes;
    const valueSizeBytes = readVarint(records, cursor);
    // A null header value is handed out as an empty Buffer, as decodeHeaders does.
    const sizeBytes = valueSizeBytes < 0 ? 0 : valueSizeBytes;
    headers[name] = bufferView(buffer, base + cursor.position, sizeBytes);
    cursor.position += sizeBytes;
  }
  return headers;
}

const headerCursor: VarintCursor = { position: 0 };

/**
 * The header names last seen, as strings: a consumer sees the same few names on every record,
 * and comparing a short ASCII name's bytes with a cached string costs less than decoding it.
 * Bounded (`HEADER_NAMES_CACHED_MAX`, replaced round-robin); names that are not ASCII are
 * decoded every time.
 */
class HeaderNames {
  private readonly names: string[] = [];
  private nextSlot = 0;

  name(bytes: Uint8Array, start: number, sizeBytes: number): string {
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      if (sameAscii(names[i], bytes, start, sizeBytes)) return names[i];
    }
    const name = utf8.decode(bytes.subarray(start, start + sizeBytes));
    // A UTF-8 name is ASCII exactly when it has as many characters as bytes.
    if (name.length === sizeBytes && sizeBytes <= HEADER_NAME_CACHED_BYTES_MAX) {
      names[this.nextSlot] = name;
      this.nextSlot = (this.nextSlot + 1) % HEADER_NAMES_CACHED_MAX;
    }
    return name;
  }
}

function sameAscii(name: string, bytes: Uint8Array, start: number, sizeBytes: number): boolean {
  if (name.length !== sizeBytes) return false;
  for (let i = 0; i < sizeBytes; i++) {
    if (name.charCodeAt(i) !== bytes[start + i]) return false;
  }
  return true;
}

const HEADER_NAMES_CACHED_MAX = 16;
const HEADER_NAME_CACHED_BYTES_MAX = 64;
const utf8 = new TextDecoder();
const headerNames = new HeaderNames();

export interface DecodedChunk {
  messages: ConsumedMessage[];
  /** The offset after the last batch decoded (a bad batch's base offset when one stopped it). */
  nextOffset: number;
  /** Records a filter skipped: consumed, but made into no message. */
  filteredCount: number;
}

/** Where a chunk's bytes are: for the corruption errors. */
export interface ChunkOrigin {
  /** The segment file. */
  path: string;
  /** The byte position in that file of the chunk's first byte. */
  bytePosition: number;
}

/**
 * A read_committed reader's look-up of the aborted transactions overlapping the chunk (the
 * partition's aborted index, segments/aborted-index.ts). Called at most once per chunk, and
 * only when the chunk holds a transactional batch, so reading without transactions costs
 * nothing.
 */
export type AbortedLookup = () => readonly AbortedTransaction[];

/**
 * The records at or above `fromOffset` in `bytes`, whole batches as a `LogReader` returns them
 * (the first may start below `fromOffset`; gap markers hold no records). Each batch is checked
 * (`checkBatch`, with its CRC when `checkCrcs`) before its records are decoded. A bad batch
 * after good ones ends the chunk there; a bad first batch throws `CORRUPT_LOG`. A `filter` is
 * asked about each record before its message is made (record-filter.ts).
 *
 * Transactions: control batches (markers) are never made into messages, at either isolation
 * level; with `aborted` (read_committed), neither are the batches of aborted transactions.
 * Both still count in `nextOffset`, so the position moves past them.
 */
export function decodeChunk(
  bytes: Uint8Array, topic: string, partition: number, fromOffset: number, checkCrcs: boolean,
  origin: ChunkOrigin, filter?: RecordPredicate, aborted?: AbortedLookup,
): DecodedChunk {
  let abortedList: readonly AbortedTransaction[] | undefined;
  const messages: ConsumedMessage[] = [];
  const view = dataViewOf(bytes);
  const rules = checkCrcs ? STORED_BATCH : STORED_BATCH_NO_CRC;
  let filteredCount = 0;
  let position = 0;
  let nextOffset = fromOffset;
  while (position < bytes.byteLength) {
    const baseOffset = batchBaseOffset(view, position);
    const verdict = checkBatch(bytes, view, position, bytes.byteLength, -1, rules);
    if (verdict !== 'valid') {
      const error = corruptRead(topic, partition, Math.max(baseOffset, fromOffset), {
        path: origin.path, bytePosition: origin.bytePosition + position,
        reason: BATCH_VERDICT_REASONS[verdict],
      });
      if (messages.length === 0) throw error;
      return { messages, nextOffset, filteredCount };
    }
    const lastOffset = batchLastOffset(view, position);
    let skip = false;
    if (batchIsTransactional(view, position)) {
      skip = batchIsControl(view, position);
      if (!skip && aborted !== undefined) {
        abortedList ??= aborted();
        skip = isAbortedBatch(abortedList, batchProducerId(view, position), baseOffset);
      }
    }
    if (!skip && lastOffset >= fromOffset && batchRecordCount(view, position) > 0) {
      const before = messages.length;
      const filteredBefore = filteredCount;
      try {
        indexBatch(bytes, position, recordIndex);
      } catch (error) {
        if (!MambaError.is(error, 'CORRUPT_BATCH')) throw error;
        // None of a bad batch is handed out: the records before it are, then it is reported.
        messages.length = before;
        filteredCount = filteredBefore;
        if (before > 0) return { messages, nextOffset, filteredCount };
        throw corruptRead(topic, partition, Math.max(baseOffset, fromOffset), {
          path: origin.path, bytePosition: origin.bytePosition + position,
          reason: error.corruption?.reason ?? error.message,
        }, error);
      }
      filteredCount += pushMessages(messages, recordIndex, topic, partition, fromOffset,
        filter);
    }
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1;
    position += batchSizeBytesAt(view, position);
  }
  return { messages, nextOffset, filteredCount };
}

/** One index for every chunk a consumer decodes on this thread: decoding never nests. */
const recordIndex = new RecordIndex();

/**
 * A message for each record of `index` at or above `fromOffset` that `filter` keeps, in order;
 * returns the number of records the filter skipped. The filter sees each record through one
 * reused `RecordView` filled from the index, before a message is made.
 */
function pushMessages(messages: ConsumedMessage[], index: RecordIndex, topic: string,
  partition: number, fromOffset: number, filter: RecordPredicate | undefined): number {
  const records = index.records;
  const buffer = records.buffer;
  const base = records.byteOffset;
  const offsets = index.offsets;
  const probe = filter === undefined ? undefined : new RecordView(records);
  let filteredCount = 0;
  for (let i = 0; i < index.count; i++) {
    if (offsets[i] < fromOffset) continue;
    if (probe !== undefined && !filter!(fillView(probe, index, i))) {
      filteredCount++;
      continue;
    }
    messages.push(new MappedMessage(topic, partition, index, i, buffer, base));
  }
  return filteredCount;
}

function fillView(view: RecordView, index: RecordIndex, i: number): RecordView {
  view.offset = index.offsets[i];
  view.timestamp = index.timestamps[i];
  view.keyPosition = index.keyPositions[i];
  view.keySizeBytes = index.keySizesBytes[i];
  view.valuePosition = index.valuePositions[i];
  view.valueSizeBytes = index.valueSizesBytes[i];
  view.headersPosition = index.headersPositions[i];
  view.headerCount = index.headerCounts[i];
  return view;
}

/**
 * The first offset at or after `fromOffset` in `bytes` whose record's timestamp is at least
 * `timestampMs` (undefined if none), and the offset after the last batch scanned. Reads batch
 * headers only, and decodes just the batches whose `maxTimestamp` reaches `timestampMs`.
 */
export function firstOffsetAtTimestamp(
  bytes: Uint8Array, fromOffset: number, timestampMs: number,
): { offset: number | undefined; nextOffset: number } {
  const view = dataViewOf(bytes);
  let position = 0;
  let nextOffset = fromOffset;
  while (position < bytes.byteLength) {
    const lastOffset = batchLastOffset(view, position);
    if (lastOffset >= fromOffset && batchRecordCount(view, position) > 0 &&
      batchMaxTimestamp(view, position) >= timestampMs) {
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
