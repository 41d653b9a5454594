/**
 * The value of every record the crash test sends: who sent it, its place in that producer's
 * sequence, where it was sent, and a checksum, so that the checker can tell a record the harness
 * sent from anything else (an unexpected record) without a table of every value.
 *
 * ```
 *  0        4        8            12         16      18          20            size-4    size
 *  +--------+--------+------------+----------+-------+-----------+-- ... ------+---------+
 *  | magic  | runId  | producerId | sequence | topic | partition | filler      | crc32c  |
 *  | "MCRT" | u32    | u32        | u32      | u16   | u16       | seq-derived | u32     |
 *  +--------+--------+------------+----------+-------+-----------+-- ... ------+---------+
 *  little-endian; the CRC32C covers bytes [0, size-4)
 * ```
 */
import { assert } from '../../assert.js';
import { crc32c } from '../../records/index.js';

export const VALUE_MAGIC = 0x5452_434d; // "MCRT" read little-endian
const u16 = 2;
const u32 = 4;
export const VALUE_MAGIC_OFFSET = 0;
export const VALUE_RUN_ID_OFFSET = VALUE_MAGIC_OFFSET + u32;
export const VALUE_PRODUCER_ID_OFFSET = VALUE_RUN_ID_OFFSET + u32;
export const VALUE_SEQUENCE_OFFSET = VALUE_PRODUCER_ID_OFFSET + u32;
export const VALUE_TOPIC_OFFSET = VALUE_SEQUENCE_OFFSET + u32;
export const VALUE_PARTITION_OFFSET = VALUE_TOPIC_OFFSET + u16;
export const VALUE_FILLER_OFFSET = VALUE_PARTITION_OFFSET + u16;
export const VALUE_CHECKSUM_SIZE_BYTES = u32;
export const VALUE_HEADER_SIZE_BYTES = VALUE_FILLER_OFFSET;

assert(VALUE_HEADER_SIZE_BYTES === 20, 'record value header is 20 bytes');

export interface RecordIdentity {
  producerId: number;
  sequence: number;
  topicIndex: number;
  partition: number;
}

/** A new value of `sizeBytes` for one record. */
export function encodeValue(runId: number, identity: RecordIdentity,
  sizeBytes: number): Uint8Array {
  assert(sizeBytes >= VALUE_HEADER_SIZE_BYTES + VALUE_CHECKSUM_SIZE_BYTES,
    `value size ${sizeBytes} holds header and checksum`);
  const bytes = new Uint8Array(sizeBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(VALUE_MAGIC_OFFSET, VALUE_MAGIC, true);
  view.setUint32(VALUE_RUN_ID_OFFSET, runId, true);
  view.setUint32(VALUE_PRODUCER_ID_OFFSET, identity.producerId, true);
  view.setUint32(VALUE_SEQUENCE_OFFSET, identity.sequence, true);
  view.setUint16(VALUE_TOPIC_OFFSET, identity.topicIndex, true);
  view.setUint16(VALUE_PARTITION_OFFSET, identity.partition, true);
  const checksumAt = sizeBytes - VALUE_CHECKSUM_SIZE_BYTES;
  for (let i = VALUE_FILLER_OFFSET; i < checksumAt; i++) bytes[i] = (identity.sequence + i) & 0xff;
  view.setUint32(checksumAt, crc32c(bytes.subarray(0, checksumAt)), true);
  return bytes;
}

/** Why `value` is not a record of run `runId`, or undefined when it is one. */
export function valueProblem(value: Uint8Array | null, runId: number): string | undefined {
  if (value === null) return 'null value';
  if (value.length < VALUE_HEADER_SIZE_BYTES + VALUE_CHECKSUM_SIZE_BYTES) {
    return `value of ${value.length} bytes is too short`;
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (view.getUint32(VALUE_MAGIC_OFFSET, true) !== VALUE_MAGIC) return 'bad magic';
  const checksumAt = value.length - VALUE_CHECKSUM_SIZE_BYTES;
  if (view.getUint32(checksumAt, true) !== crc32c(value.subarray(0, checksumAt))) {
    return 'bad checksum';
  }
  if (view.getUint32(VALUE_RUN_ID_OFFSET, true) !== runId) return 'from another run';
  return undefined;
}

/** The identity in a value that passed `valueProblem`. */
export function decodeIdentity(value: Uint8Array): RecordIdentity {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return {
    producerId: view.getUint32(VALUE_PRODUCER_ID_OFFSET, true),
    sequence: view.getUint32(VALUE_SEQUENCE_OFFSET, true),
    topicIndex: view.getUint16(VALUE_TOPIC_OFFSET, true),
    partition: view.getUint16(VALUE_PARTITION_OFFSET, true),
  };
}
