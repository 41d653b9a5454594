/**
 * lz4 (Kafka codec 3) from `lz4js` (pure JavaScript), in the LZ4 *frame* format (magic
 * 0x184D2204) that Kafka's clients write for RecordBatch v2, not raw blocks. lz4js does not
 * verify the frame's optional checksums; the batch's CRC32C covers the compressed bytes.
 */
import lz4 from 'lz4js';
import { CODEC_ID } from '../batch-view.js';
import { tooLarge, type CompressionCodec } from './codec.js';

export const lz4Codec: CompressionCodec = {
  id: CODEC_ID.LZ4,
  name: 'lz4',
  compress(bytes: Uint8Array): Uint8Array {
    return lz4.compress(bytes);
  },
  decompress(bytes: Uint8Array, sizeBytesMax: number): Uint8Array {
    // The bound is read from the frame (its content size, or its blocks' sizes) before
    // anything is allocated, so a frame that claims too much is refused.
    const boundBytes = lz4.decompressBound(bytes);
    if (!(boundBytes >= 0)) throw new Error('lz4 frame has no readable size');
    if (boundBytes > sizeBytesMax) throw tooLarge('lz4', boundBytes, sizeBytesMax);
    const out = new Uint8Array(boundBytes);
    const sizeBytes = lz4.decompressFrame(bytes, out);
    return out.subarray(0, sizeBytes);
  },
};
