/**
 * Kafka's four compression codecs behind one interface (codec.ts), one file each: gzip,
 * snappy (xerial framing), lz4 (frame format) and zstd (wasm). A compressed RecordBatch is one
 * wrapper batch whose header is as usual (count, offsets, timestamps, CRC over the compressed
 * bytes) and whose records section is compressed as a whole, as Kafka does.
 *
 * Who uses it: producers compress (`compressBatch`) after encoding; consumers inflate
 * (`decompressRecords`) before decoding; the partition actor never does, since it stores a batch
 * as it was sent. Decoding paths are synchronous, so `initCompression()` (zstd's wasm start) is
 * awaited once per thread when a broker opens, a consumer subscribes or a producer sends.
 */
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { snappyCodec } from './snappy.js';
import { initZstd, zstdCodec, zstdReady } from './zstd.js';
import type { CompressionCodec, CompressionName } from './codec.js';
import {
  ATTRIBUTE_COMPRESSION_MASK, ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE_BYTES,
  BATCH_LENGTH_EXCLUDED_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET, CRC_SPAN_START, RECORDS_OFFSET,
} from '../batch-layout.js';
import { batchCompression, batchSizeBytesAt } from '../batch-view.js';
import { crc32c } from '../crc32c.js';
import { decompressedBatchBytesMax } from '../../constants.js';
import { MambaError } from '../../errors.js';

export type { CompressionCodec, CompressionName } from './codec.js';

/** The names a producer may give, in Kafka's id order (index = codec id). */
export const COMPRESSION_NAMES: readonly CompressionName[] =
  Object.freeze(['none', 'gzip', 'snappy', 'lz4', 'zstd']);

const CODECS: ReadonlyArray<CompressionCodec | undefined> = [
  undefined, gzipCodec, snappyCodec, lz4Codec, zstdCodec,
];

/** The codec for a Kafka codec id; undefined for none (0) and for ids Kafka does not define. */
export function codecOf(id: number): CompressionCodec | undefined {
  return CODECS[id];
}

export function codecNamed(name: CompressionName): CompressionCodec | undefined {
  return CODECS[COMPRESSION_NAMES.indexOf(name)];
}

/** Starts what the codecs need in this thread (zstd's wasm); cheap once done. */
export function initCompression(): Promise<void> {
  return initZstd();
}

export function compressionReady(): boolean {
  return zstdReady();
}

/**
 * The records section of the compressed batch at `position`, inflated into memory of its own
 * (a compressed batch cannot be read in place). Throws `CORRUPT_BATCH` with the codec's reason
 * for a payload that does not inflate or inflates past `decompressedBatchBytesMax`.
 */
export function decompressRecords(
  bytes: Uint8Array, view: DataView, position: number,
): Uint8Array {
  const id = batchCompression(view, position);
  const codec = codecOf(id);
  const end = position + batchSizeBytesAt(view, position);
  if (codec === undefined) {
    throw badPayload(position, id, 'no such codec');
  }
  try {
    return codec.decompress(bytes.subarray(position + RECORDS_OFFSET, end),
      decompressedBatchBytesMax);
  } catch (error) {
    throw badPayload(position, id, error instanceof Error ? error.message : String(error),
      error);
  }
}

function badPayload(position: number, id: number, reason: string, cause?: unknown): MambaError {
  const name = COMPRESSION_NAMES[id] ?? `codec ${id}`;
  return new MambaError('CORRUPT_BATCH',
    `compressed batch at byte ${position} does not inflate (${name}): ${reason}`,
    { corruption: { path: '', bytePosition: position, reason: `${name}: ${reason}` }, cause });
}

/**
 * The batch `batch` (one uncompressed batch, as the encoder writes it) with its records
 * compressed by `codec`: the same header with the codec's bits set, a new length and a new
 * CRC. Returns `batch` itself when compression would not make it smaller, as Kafka's clients
 * may (the codec bits then stay 0, which every reader understands).
 */
export function compressBatch(batch: Uint8Array, codec: CompressionCodec): Uint8Array {
  const records = batch.subarray(RECORDS_OFFSET);
  const compressed = codec.compress(records);
  if (compressed.length >= records.length) return batch;
  const out = new Uint8Array(BATCH_HEADER_SIZE_BYTES + compressed.length);
  out.set(batch.subarray(0, BATCH_HEADER_SIZE_BYTES), 0);
  out.set(compressed, BATCH_HEADER_SIZE_BYTES);
  const view = new DataView(out.buffer);
  view.setInt32(BATCH_LENGTH_OFFSET, out.length - BATCH_LENGTH_EXCLUDED_BYTES);
  const attributes = view.getInt16(ATTRIBUTES_OFFSET) & ~ATTRIBUTE_COMPRESSION_MASK;
  view.setInt16(ATTRIBUTES_OFFSET, attributes | codec.id);
  view.setUint32(CRC_OFFSET, crc32c(out.subarray(CRC_SPAN_START)));
  return out;
}
