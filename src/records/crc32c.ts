/**
 * CRC32C (Castagnoli), the checksum RecordBatch v2 uses. `@node-rs/crc32` computes it with SIMD
 * (~4.7 GB/s measured here against ~0.9 GB/s for the best table-driven JavaScript) and loads in
 * worker threads.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** The CRC32C of `bytes`, as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return nativeCrc32c(buffer) >>> 0;
}
