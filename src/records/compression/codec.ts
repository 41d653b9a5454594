/**
 * The one small interface every compression codec implements. A codec turns the records
 * section of a batch (everything after the 61-byte header) into Kafka's compressed form and
 * back; the batch header stays uncompressed, with the codec id in attribute bits 0-2.
 *
 * `decompress` is given a bound: it must fail, never allocate past `sizeBytesMax`, for input
 * that claims or would inflate to more (a corrupt or hostile batch must not exhaust memory).
 * Both directions are synchronous: the consumer decodes on its hot path, and a codec that
 * needs an asynchronous start (zstd's wasm) is started once per thread by `initCompression()`.
 * Failures are thrown as plain errors; compression/index.ts wraps them in a `MambaError`.
 */
import type { CompressionCodecId } from '../batch-view.js';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface CompressionCodec {
  readonly id: CompressionCodecId;
  readonly name: CompressionName;
  compress(bytes: Uint8Array): Uint8Array;
  decompress(bytes: Uint8Array, sizeBytesMax: number): Uint8Array;
}

/** The error a codec throws for input that would inflate past its bound. */
export function tooLarge(name: string, sizeBytes: number, sizeBytesMax: number): Error {
  return new Error(`${name} data inflates to ${sizeBytes} bytes, over ${sizeBytesMax}`);
}
