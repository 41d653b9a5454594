/**
 * lz4 (Kafka codec 3) from `lz4js` (pure JavaScript), in the LZ4 *frame* format (magic
 * 0x184D2204) that Kafka's clients write for RecordBatch v2, not raw blocks. lz4js does not
 * verify the frame's optional checksums (the batch's CRC32C covers the compressed bytes) and
 * reads past the end of a cut frame as zeros, so the frame's structure is walked here first:
 * every block must lie within the bytes and the end mark must be there.
 *
 * ```
 *  magic u32 LE | FLG | BD | [content size u64] | HC | { size u32 LE | data | [checksum u32] }*
 *  | 0 u32 (end mark) | [content checksum u32]
 * ```
 */
import lz4 from 'lz4js';
import { CODEC_ID } from '../batch-view.js';
import { tooLarge, type CompressionCodec } from './codec.js';

const LZ4_MAGIC = 0x184d2204;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const BLOCK_UNCOMPRESSED = 0x8000_0000;

/** Throws unless `bytes` is one whole LZ4 frame (header, blocks within bounds, end mark). */
function checkFrame(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 7 || view.getUint32(0, true) !== LZ4_MAGIC) {
    throw new Error('not an LZ4 frame');
  }
  const flags = bytes[4];
  let position = 6 + ((flags & FLG_CONTENT_SIZE) !== 0 ? 8 : 0) + 1;
  const blockChecksumBytes = (flags & FLG_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
  for (;;) {
    if (position + 4 > bytes.length) throw new Error('LZ4 frame ends without its end mark');
    const blockSizeBytes = view.getUint32(position, true) & ~BLOCK_UNCOMPRESSED;
    position += 4;
    if (blockSizeBytes === 0) break;
    position += blockSizeBytes + blockChecksumBytes;
    if (position > bytes.length) throw new Error('LZ4 block runs past the frame');
  }
  if ((flags & FLG_CONTENT_CHECKSUM) !== 0) position += 4;
  if (position !== bytes.length) throw new Error('bytes after the LZ4 frame');
}

export const lz4Codec: CompressionCodec = {
  id: CODEC_ID.LZ4,
  name: 'lz4',
  compress(bytes: Uint8Array): Uint8Array {
    return lz4.compress(bytes);
  },
  decompress(bytes: Uint8Array, sizeBytesMax: number): Uint8Array {
    // The bound is read from the frame (its content size, or its blocks' sizes) before
    // anything is allocated, so a frame that claims too much is refused.
    checkFrame(bytes);
    const boundBytes = lz4.decompressBound(bytes);
    if (!(boundBytes >= 0)) throw new Error('lz4 frame has no readable size');
    if (boundBytes > sizeBytesMax) throw tooLarge('lz4', boundBytes, sizeBytesMax);
    const out = new Uint8Array(boundBytes);
    const sizeBytes = lz4.decompressFrame(bytes, out);
    return out.subarray(0, sizeBytes);
  },
};
