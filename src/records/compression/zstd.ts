/**
 * zstd (Kafka codec 4) from `@bokuweb/zstd-wasm` (WebAssembly, so it installs from the
 * registry alone and loads in worker threads). The wasm module starts asynchronously, once per
 * thread: `initZstd()` is awaited when a broker opens, a consumer subscribes and a producer
 * first sends, so that compress and decompress stay synchronous.
 *
 * The library sizes its output from the frame's content size, or a default when the frame
 * does not say; the size is read here first (the frame header, RFC 8878 §3.1.1.1) so that a
 * frame claiming more than the bound is refused before the wasm heap grows.
 */
import { compress, decompress, init } from '@bokuweb/zstd-wasm';
import { CODEC_ID } from '../batch-view.js';
import { tooLarge, type CompressionCodec } from './codec.js';

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_LEVEL = 3;

let started: Promise<void> | undefined;
let ready = false;

/** Starts the wasm module of this thread (idempotent). */
export function initZstd(): Promise<void> {
  started ??= init().then(() => { ready = true; });
  return started;
}

export function zstdReady(): boolean {
  return ready;
}

function checkReady(): void {
  if (!ready) throw new Error('zstd is not started in this thread (initCompression)');
}

/** The content size a frame header declares, or -1 when it does not declare one. */
function frameContentSizeBytes(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 6 || view.getUint32(0, true) !== ZSTD_MAGIC) {
    throw new Error('not a zstd frame');
  }
  const descriptor = bytes[4];
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictionaryIdSizeBytes = [0, 1, 2, 4][descriptor & 3];
  const at = 5 + (singleSegment === 1 ? 0 : 1) + dictionaryIdSizeBytes;
  const fieldSizeBytes = [singleSegment, 2, 4, 8][contentSizeFlag];
  if (fieldSizeBytes === 0) return -1;
  if (at + fieldSizeBytes > bytes.length) throw new Error('zstd frame header is cut');
  switch (fieldSizeBytes) {
    case 1: return bytes[at];
    case 2: return view.getUint16(at, true) + 256;
    case 4: return view.getUint32(at, true);
    default: return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
  }
}

export const zstdCodec: CompressionCodec = {
  id: CODEC_ID.ZSTD,
  name: 'zstd',
  compress(bytes: Uint8Array): Uint8Array {
    checkReady();
    return compress(bytes, ZSTD_LEVEL);
  },
  decompress(bytes: Uint8Array, sizeBytesMax: number): Uint8Array {
    checkReady();
    const declared = frameContentSizeBytes(bytes);
    if (declared > sizeBytesMax) throw tooLarge('zstd', declared, sizeBytesMax);
    // A frame without a declared size gets the whole bound as its output space.
    const out = decompress(bytes, { defaultHeapSize: declared >= 0 ? declared : sizeBytesMax });
    if (out.length > sizeBytesMax) throw tooLarge('zstd', out.length, sizeBytesMax);
    return out;
  },
};
