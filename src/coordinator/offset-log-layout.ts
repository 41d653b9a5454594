/**
 * The on-disk layout of a consumer group's offset log, `<dataDir>/__groups/<name>.offsets`.
 *
 * ```
 * file:    [file header 8 B][record][record]…
 *
 * file header
 *   0      4   magic      u32 LE  "MOFL"
 *   4      2   version    u16 LE  1
 *   6      2   reserved   u16     0
 *
 * record
 *   0      4   length     u32 LE  bytes of the body (type + payload)
 *   4      4   crc        u32 LE  CRC32C of the body
 *   8      2   type       u16 LE  GROUP | COMMIT | DELETE_TOPIC |    ┐
 *                                  COMMIT_WITH_METADATA              │
 *  10      2   reserved   u16     0                                 │ body
 *  12      …   payload                                              ┘
 *
 * payloads
 *   GROUP         utf8 group id (always the first record)
 *   COMMIT        entryCount u32, then per entry:
 *                 topicLength u16, partition u32, logOffset f64, topic utf8
 *   DELETE_TOPIC  utf8 topic
 *   COMMIT_WITH_METADATA  entryCount u32, then per entry:
 *                 topicLength u16, partition u32, logOffset f64, metadataLength u16,
 *                 topic utf8, metadata utf8
 * ```
 *
 * A commit whose entries carry no metadata (the embedded consumers' commits, most Kafka
 * clients') is written as COMMIT, the layout every earlier build reads; only a commit with
 * metadata (Kafka's OffsetCommit `committed_metadata`, at most `offsetMetadataBytesMax` bytes)
 * takes the longer COMMIT_WITH_METADATA record. Both decode to a COMMIT record.
 *
 * A commit of many partitions is one record, so it is recovered whole or not at all. Log
 * offsets are stored as float64, which holds every integer up to 2^53 exactly (asserted).
 */
import { assert } from '../assert.js';
import { crc32c } from '../records/index.js';

export const MAGIC = 0x4c464f4d; // "MOFL" read as a little-endian u32.
export const VERSION = 1;

export const FILE_MAGIC_OFFSET = 0;
export const FILE_VERSION_OFFSET = FILE_MAGIC_OFFSET + 4;
export const FILE_RESERVED_OFFSET = FILE_VERSION_OFFSET + 2;
export const FILE_HEADER_SIZE_BYTES = FILE_RESERVED_OFFSET + 2;

export const RECORD_LENGTH_OFFSET = 0;
export const RECORD_CRC_OFFSET = RECORD_LENGTH_OFFSET + 4;
export const RECORD_BODY_OFFSET = RECORD_CRC_OFFSET + 4;
export const RECORD_TYPE_OFFSET = RECORD_BODY_OFFSET;
export const RECORD_RESERVED_OFFSET = RECORD_TYPE_OFFSET + 2;
export const RECORD_PAYLOAD_OFFSET = RECORD_RESERVED_OFFSET + 2;
export const RECORD_HEADER_SIZE_BYTES = RECORD_PAYLOAD_OFFSET;
const BODY_HEADER_SIZE_BYTES = RECORD_PAYLOAD_OFFSET - RECORD_BODY_OFFSET;

export const ENTRY_TOPIC_LENGTH_OFFSET = 0;
export const ENTRY_PARTITION_OFFSET = ENTRY_TOPIC_LENGTH_OFFSET + 2;
export const ENTRY_LOG_OFFSET_OFFSET = ENTRY_PARTITION_OFFSET + 4;
export const ENTRY_TOPIC_OFFSET = ENTRY_LOG_OFFSET_OFFSET + 8;
/** In a COMMIT_WITH_METADATA entry: the metadata's length, then topic and metadata. */
export const ENTRY_METADATA_LENGTH_OFFSET = ENTRY_LOG_OFFSET_OFFSET + 8;
export const ENTRY_WITH_METADATA_TOPIC_OFFSET = ENTRY_METADATA_LENGTH_OFFSET + 2;
const COMMIT_COUNT_SIZE_BYTES = 4;

/** The largest record body accepted when reading; anything larger is a torn or corrupt length. */
export const RECORD_BODY_SIZE_BYTES_MAX = 16 * 1024 * 1024;

export const RecordType = {
  GROUP: 1, COMMIT: 2, DELETE_TOPIC: 3, COMMIT_WITH_METADATA: 4,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export interface OffsetEntry {
  topic: string;
  partition: number;
  offset: number;
  /** What the committer stored with the offset (Kafka's `committed_metadata`); '' for none. */
  metadata?: string;
}

export type OffsetLogRecord =
  | { type: typeof RecordType.GROUP; groupId: string }
  | { type: typeof RecordType.COMMIT; entries: OffsetEntry[] }
  | { type: typeof RecordType.DELETE_TOPIC; topic: string };

assert(FILE_HEADER_SIZE_BYTES === 8, 'file header is 8 bytes');
assert(RECORD_HEADER_SIZE_BYTES === 12, 'record header is 12 bytes');

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeFileHeader(): Uint8Array {
  const bytes = new Uint8Array(FILE_HEADER_SIZE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(FILE_MAGIC_OFFSET, MAGIC, true);
  view.setUint16(FILE_VERSION_OFFSET, VERSION, true);
  return bytes;
}

export function checkFileHeader(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength < FILE_HEADER_SIZE_BYTES) return 'file shorter than its header';
  const view = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_SIZE_BYTES);
  if (view.getUint32(FILE_MAGIC_OFFSET, true) !== MAGIC) return 'bad magic';
  if (view.getUint16(FILE_VERSION_OFFSET, true) !== VERSION) return 'unknown version';
  return undefined;
}

function payloadOf(record: OffsetLogRecord): Uint8Array {
  switch (record.type) {
    case RecordType.GROUP: return encoder.encode(record.groupId);
    case RecordType.DELETE_TOPIC: return encoder.encode(record.topic);
    case RecordType.COMMIT: return encodeEntries(record.entries, hasMetadata(record.entries));
  }
}

function hasMetadata(entries: readonly OffsetEntry[]): boolean {
  return entries.some((entry) => entry.metadata !== undefined && entry.metadata !== '');
}

/** The type word a record is written with. */
function typeOf(record: OffsetLogRecord): RecordType {
  return record.type === RecordType.COMMIT && hasMetadata(record.entries) ?
    RecordType.COMMIT_WITH_METADATA : record.type;
}

/** COMMIT entries, or with `withMetadata` COMMIT_WITH_METADATA ones (see the layout above). */
function encodeEntries(entries: readonly OffsetEntry[], withMetadata: boolean): Uint8Array {
  const topics = entries.map((e) => encoder.encode(e.topic));
  const metadata = entries.map((e) => encoder.encode(withMetadata ? e.metadata ?? '' : ''));
  const fixedBytes = withMetadata ? ENTRY_WITH_METADATA_TOPIC_OFFSET : ENTRY_TOPIC_OFFSET;
  let size = COMMIT_COUNT_SIZE_BYTES;
  entries.forEach((_, i) => {
    size += fixedBytes + topics[i].byteLength + metadata[i].byteLength;
  });
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, entries.length, true);
  let position = COMMIT_COUNT_SIZE_BYTES;
  entries.forEach((entry, i) => {
    assert(Number.isSafeInteger(entry.offset), 'a log offset is a safe integer');
    assert(topics[i].byteLength <= 0xffff, 'a topic name fits its u16 length');
    assert(metadata[i].byteLength <= 0xffff, 'commit metadata fits its u16 length');
    view.setUint16(position + ENTRY_TOPIC_LENGTH_OFFSET, topics[i].byteLength, true);
    view.setUint32(position + ENTRY_PARTITION_OFFSET, entry.partition, true);
    view.setFloat64(position + ENTRY_LOG_OFFSET_OFFSET, entry.offset, true);
    if (withMetadata) {
      view.setUint16(position + ENTRY_METADATA_LENGTH_OFFSET, metadata[i].byteLength, true);
    }
    position += fixedBytes;
    bytes.set(topics[i], position);
    position += topics[i].byteLength;
    bytes.set(metadata[i], position);
    position += metadata[i].byteLength;
  });
  return bytes;
}

/** One record, framed and checksummed, ready to append. */
export function encodeRecord(record: OffsetLogRecord): Uint8Array {
  const payload = payloadOf(record);
  const bodySize = BODY_HEADER_SIZE_BYTES + payload.byteLength;
  assert(bodySize <= RECORD_BODY_SIZE_BYTES_MAX, 'an offset record fits the body limit');
  const bytes = new Uint8Array(RECORD_HEADER_SIZE_BYTES + payload.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(RECORD_LENGTH_OFFSET, bodySize, true);
  view.setUint16(RECORD_TYPE_OFFSET, typeOf(record), true);
  bytes.set(payload, RECORD_PAYLOAD_OFFSET);
  view.setUint32(RECORD_CRC_OFFSET, crc32c(bytes.subarray(RECORD_BODY_OFFSET)), true);
  return bytes;
}

export type DecodeResult =
  | { ok: true; record: OffsetLogRecord; sizeBytes: number }
  | { ok: false; reason: string };

/**
 * Decodes the record at `position`. Every failure (short header, zero or oversized length,
 * short body, CRC mismatch, unknown type, malformed payload) is reported, never thrown: the
 * caller treats the first one as the end of the valid log.
 */
export function decodeRecord(bytes: Uint8Array, position: number): DecodeResult {
  if (bytes.byteLength - position < RECORD_HEADER_SIZE_BYTES) return fail('short record header');
  const view = new DataView(bytes.buffer, bytes.byteOffset + position);
  const bodySize = view.getUint32(RECORD_LENGTH_OFFSET, true);
  if (bodySize < BODY_HEADER_SIZE_BYTES) return fail(`record length ${bodySize} too small`);
  if (bodySize > RECORD_BODY_SIZE_BYTES_MAX) return fail(`record length ${bodySize} too large`);
  const end = position + RECORD_BODY_OFFSET + bodySize;
  if (end > bytes.byteLength) return fail('record body runs past the end of the file');
  const body = bytes.subarray(position + RECORD_BODY_OFFSET, end);
  if (crc32c(body) !== view.getUint32(RECORD_CRC_OFFSET, true)) return fail('CRC mismatch');
  const payload = bytes.subarray(position + RECORD_PAYLOAD_OFFSET, end);
  const record = decodePayload(view.getUint16(RECORD_TYPE_OFFSET, true), payload);
  if (typeof record === 'string') return fail(record);
  return { ok: true, record, sizeBytes: end - position };
}

function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}

function decodePayload(type: number, payload: Uint8Array): OffsetLogRecord | string {
  try {
    switch (type) {
      case RecordType.GROUP: return { type, groupId: decoder.decode(payload) };
      case RecordType.DELETE_TOPIC: return { type, topic: decoder.decode(payload) };
      case RecordType.COMMIT: return decodeEntries(payload, false);
      case RecordType.COMMIT_WITH_METADATA: return decodeEntries(payload, true);
      default: return `unknown record type ${type}`;
    }
  } catch (error) {
    return `malformed payload: ${(error as Error).message}`;
  }
}

/** COMMIT entries, or with `withMetadata` COMMIT_WITH_METADATA ones; both a COMMIT record. */
function decodeEntries(payload: Uint8Array, withMetadata: boolean): OffsetLogRecord | string {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.byteLength < COMMIT_COUNT_SIZE_BYTES) return 'short commit payload';
  const count = view.getUint32(0, true);
  const fixedBytes = withMetadata ? ENTRY_WITH_METADATA_TOPIC_OFFSET : ENTRY_TOPIC_OFFSET;
  const entries: OffsetEntry[] = [];
  let position = COMMIT_COUNT_SIZE_BYTES;
  for (let i = 0; i < count; i++) {
    if (payload.byteLength - position < fixedBytes) return 'short commit entry';
    const topicStart = position + fixedBytes;
    const topicEnd = topicStart + view.getUint16(position + ENTRY_TOPIC_LENGTH_OFFSET, true);
    const end = withMetadata ?
      topicEnd + view.getUint16(position + ENTRY_METADATA_LENGTH_OFFSET, true) : topicEnd;
    if (end > payload.byteLength) return 'commit entry runs past the payload';
    const offset = view.getFloat64(position + ENTRY_LOG_OFFSET_OFFSET, true);
    if (!Number.isSafeInteger(offset) || offset < 0) return `bad log offset ${offset}`;
    const entry: OffsetEntry = {
      topic: decoder.decode(payload.subarray(topicStart, topicEnd)),
      partition: view.getUint32(position + ENTRY_PARTITION_OFFSET, true),
      offset,
    };
    if (withMetadata) entry.metadata = decoder.decode(payload.subarray(topicEnd, end));
    entries.push(entry);
    position = end;
  }
  if (position !== payload.byteLength) return 'trailing bytes after commit entries';
  return { type: RecordType.COMMIT, entries };
}
