/**
 * snappy (Kafka codec 2) from `snappyjs` (pure JavaScript). Kafka's Java client writes snappy
 * in the xerial framing (snappy-java's `SnappyOutputStream`), and so do librdkafka and kafkajs's
 * snappy plugins; others (some Go and Rust clients) write one raw snappy block. This codec
 * writes xerial and reads both:
 *
 * ```
 *  0        8         12        16
 *  +--------+---------+---------+----------------+-------------+----------------+---
 *  | magic  | version | compat  | block length   | raw snappy  | block length   | …
 *  | 8 bytes| int32=1 | int32=1 | int32 (BE)     | block       | int32 (BE)     |
 *  +--------+---------+---------+----------------+-------------+----------------+---
 *  magic = 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
 * ```
 */
import snappy from 'snappyjs';
import { CODEC_ID } from '../batch-view.js';
import { tooLarge, type CompressionCodec } from './codec.js';

const XERIAL_MAGIC = Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00);
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;
const XERIAL_HEADER_SIZE_BYTES = XERIAL_MAGIC.length + 4 + 4;
const BLOCK_LENGTH_SIZE_BYTES = 4;
/** snappy-java's default block: input is cut into blocks of this size before compressing. */
const XERIAL_BLOCK_SIZE_BYTES = 32 * 1024;

function isXerial(bytes: Uint8Array): boolean {
  if (bytes.length < XERIAL_HEADER_SIZE_BYTES) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (bytes[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

function compressXerial(bytes: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  let sizeBytes = XERIAL_HEADER_SIZE_BYTES;
  for (let start = 0; start < bytes.length; start += XERIAL_BLOCK_SIZE_BYTES) {
    const block = snappy.compress(bytes.subarray(start, start + XERIAL_BLOCK_SIZE_BYTES));
    blocks.push(block);
    sizeBytes += BLOCK_LENGTH_SIZE_BYTES + block.length;
  }
  const out = new Uint8Array(sizeBytes);
  const view = new DataView(out.buffer);
  out.set(XERIAL_MAGIC, 0);
  view.setInt32(XERIAL_MAGIC.length, XERIAL_VERSION);
  view.setInt32(XERIAL_MAGIC.length + 4, XERIAL_COMPATIBLE_VERSION);
  let position = XERIAL_HEADER_SIZE_BYTES;
  for (const block of blocks) {
    view.setInt32(position, block.length);
    out.set(block, position + BLOCK_LENGTH_SIZE_BYTES);
    position += BLOCK_LENGTH_SIZE_BYTES + block.length;
  }
  return out;
}

function decompressXerial(bytes: Uint8Array, sizeBytesMax: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let sizeBytes = 0;
  let position = XERIAL_HEADER_SIZE_BYTES;
  while (position < bytes.length) {
    if (position + BLOCK_LENGTH_SIZE_BYTES > bytes.length) {
      throw new Error('xerial snappy block length runs past the data');
    }
    const blockSizeBytes = view.getInt32(position);
    const start = position + BLOCK_LENGTH_SIZE_BYTES;
    if (blockSizeBytes < 0 || start + blockSizeBytes > bytes.length) {
      throw new Error(`xerial snappy block of ${blockSizeBytes} bytes runs past the data`);
    }
    const part = snappy.uncompress(bytes.subarray(start, start + blockSizeBytes),
      sizeBytesMax - sizeBytes);
    parts.push(part);
    sizeBytes += part.length;
    position = start + blockSizeBytes;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(sizeBytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export const snappyCodec: CompressionCodec = {
  id: CODEC_ID.SNAPPY,
  name: 'snappy',
  compress: compressXerial,
  decompress(bytes: Uint8Array, sizeBytesMax: number): Uint8Array {
    if (isXerial(bytes)) return decompressXerial(bytes, sizeBytesMax);
    const out = snappy.uncompress(bytes, sizeBytesMax);
    if (out.length > sizeBytesMax) throw tooLarge('snappy', out.length, sizeBytesMax);
    return out;
  },
};
